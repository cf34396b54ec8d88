//! A streamed Gemini body (`streamGenerateContent?alt=sse`: one
//! `data: {GenerateContentResponse}` event per chunk) to canonical stream
//! events.
//!
//! Each chunk is a partial response: its parts are new content (text and
//! thoughts arrive in pieces, each `functionCall` whole). Usage rides on
//! every chunk, so the last `usageMetadata` seen is the one reported, just
//! before `finish`, at the end of the chunk that carries `finishReason`.

use serde_json::Value;
use wasmgate_wire::extra;
use wasmgate_wire::json::str_or_empty;
use wasmgate_wire::sse::SseParser;

use crate::fields;
use crate::types::{
    ContentPart, Error, FinishReason, StreamEvent, StreamStart, ThinkingDelta, ToolCallDelta,
    ToolCallStart, Usage,
};
use crate::{WIRE, error};

/// Decoder state for one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    /// SSE framing.
    sse: SseParser,
    /// True once `start` was emitted.
    started: bool,
    /// Tool calls emitted so far (the next call's index).
    calls: u32,
    /// The latest `usageMetadata`.
    usage: Option<Usage>,
    /// True once `finish` or `error` ended the answer.
    ended: bool,
}

impl Decoder {
    /// Decode more body bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, Error> {
        if self.ended {
            return Ok(Vec::new());
        }
        let sse_events = self.sse.feed(bytes).map_err(|e| {
            self.ended = true;
            error::upstream(e.to_string(), 502, false)
        })?;
        let mut events = Vec::new();
        for event in sse_events {
            if let Err(e) = self.payload(&event.data, &mut events) {
                self.ended = true;
                return Err(e);
            }
        }
        Ok(events)
    }

    /// The body ended: flush what is left; a stream that never said why it
    /// stopped ends with an `error` event.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        let mut events = Vec::new();
        if self.ended {
            return Ok(events);
        }
        if let Some(last_event) = self.sse.finish() {
            // An unterminated last event is used when it is whole; one cut
            // off mid-line is judged below like any early end.
            let mut last = Vec::new();
            if self.payload(&last_event.data, &mut last).is_ok() {
                events.append(&mut last);
            }
        }
        if !self.ended {
            self.ended = true;
            events.push(StreamEvent::Error(error::ended_early()));
        }
        Ok(events)
    }

    /// Handle one SSE data payload.
    fn payload(&mut self, payload: &str, events: &mut Vec<StreamEvent>) -> Result<(), Error> {
        let payload = payload.trim();
        if self.ended || payload.is_empty() || payload == "[DONE]" {
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(payload).map_err(|e| {
            error::upstream(
                format!("upstream sent invalid JSON in the stream: {e}"),
                502,
                false,
            )
        })?;
        match chunk {
            // Some proxies wrap chunks (or errors) in arrays.
            Value::Array(items) => {
                for item in &items {
                    self.chunk(item, events);
                }
            }
            other => self.chunk(&other, events),
        }
        Ok(())
    }

    /// Events for one `GenerateContentResponse` chunk.
    fn chunk(&mut self, chunk: &Value, events: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        if chunk.get("candidates").is_none()
            && let Some(err) = error::error_object(chunk)
        {
            events.push(StreamEvent::Error(error::from_stream_error(err)));
            self.ended = true;
            return;
        }
        if !self.started {
            self.started = true;
            events.push(StreamEvent::Start(StreamStart {
                id: str_or_empty(chunk, "responseId"),
                model: str_or_empty(chunk, "modelVersion"),
                created: fields::created(chunk),
                extra: extra::to_text(fields::unknown_keys(chunk), WIRE),
            }));
        }
        if let Some(usage) = chunk.get("usageMetadata").and_then(fields::usage) {
            self.usage = Some(usage);
        }
        let candidate = chunk.pointer("/candidates/0");
        if let Some(parts) = candidate
            .and_then(|c| c.pointer("/content/parts"))
            .and_then(Value::as_array)
        {
            for part in parts {
                // `part_content` names an id-less call after the next index;
                // `content` advances the count itself.
                let mut next = self.calls;
                for content in fields::part_content(part, &mut next) {
                    self.content(content, events);
                }
            }
        }
        let reason = match candidate
            .and_then(|c| c.get("finishReason"))
            .and_then(Value::as_str)
        {
            Some(reason) => Some(fields::finish_reason(reason, self.calls > 0)),
            None if candidate.is_none() && fields::prompt_blocked(chunk) => {
                Some(FinishReason::ContentFilter)
            }
            None => None,
        };
        if let Some(reason) = reason {
            if let Some(usage) = self.usage.take() {
                events.push(StreamEvent::Usage(usage));
            }
            events.push(StreamEvent::Finish(reason));
            self.ended = true;
        }
    }

    /// Events for one canonical part of a chunk.
    fn content(&mut self, content: ContentPart, events: &mut Vec<StreamEvent>) {
        match content {
            ContentPart::Text(text) => events.push(StreamEvent::TextDelta(text)),
            ContentPart::Thinking(thinking) => {
                if !thinking.text.is_empty() {
                    events.push(StreamEvent::ThinkingDelta(ThinkingDelta {
                        text: thinking.text,
                        signature: None,
                        redacted: false,
                    }));
                }
                if let Some(signature) = thinking.signature {
                    events.push(StreamEvent::ThinkingDelta(ThinkingDelta {
                        text: String::new(),
                        signature: Some(signature),
                        redacted: false,
                    }));
                }
            }
            ContentPart::ToolCall(call) => {
                let index = self.calls;
                self.calls = self.calls.saturating_add(1);
                events.push(StreamEvent::ToolCallStart(ToolCallStart {
                    index,
                    id: call.id,
                    name: call.name,
                }));
                events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                    index,
                    arguments: call.arguments,
                }));
                events.push(StreamEvent::ToolCallEnd(index));
            }
            // Stream events carry no images (or tool results).
            ContentPart::Image(_) | ContentPart::ToolResult(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorKind;
    use wasmgate_wire::testing::splits;

    const FULL_TEXT: &str = include_str!("../tests/fixtures/full.gemini.text.sse");
    const FULL_TOOL: &str = include_str!("../tests/fixtures/full.gemini.tool.sse");
    const MINIMAL_TEXT: &str = include_str!("../tests/fixtures/minimal.gemini.text.sse");
    const MINIMAL_TOOL: &str = include_str!("../tests/fixtures/minimal.gemini.tool.sse");

    /// Decode `body` fed in the given pieces.
    fn decode(pieces: &[&[u8]]) -> Result<Vec<StreamEvent>, Error> {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(d.feed(piece)?);
        }
        out.extend(d.finish()?);
        Ok(out)
    }

    fn decode_ok(body: &[u8]) -> Vec<StreamEvent> {
        decode(&[body]).unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    /// Every way of cutting `body` in two, in three and into single bytes
    /// decodes to the same events as the whole body.
    fn assert_split_invariant(body: &[u8], expected: &[StreamEvent]) {
        for split in splits(body, 37, 53) {
            let got = decode(&split.pieces);
            assert_eq!(got.as_deref(), Ok(expected), "{}", split.label);
        }
    }

    /// The split invariant for `body` with `\n` and with `\r\n` line ends.
    fn assert_both_line_ends(body: &str, expected: &[StreamEvent]) {
        let lf = body.replace("\r\n", "\n");
        assert_split_invariant(lf.as_bytes(), expected);
        let crlf = lf.replace('\n', "\r\n");
        assert_split_invariant(crlf.as_bytes(), expected);
    }

    fn start(id: &str, model: &str) -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: id.into(),
            model: model.into(),
            created: None,
            extra: None,
        })
    }

    fn text(t: &str) -> StreamEvent {
        StreamEvent::TextDelta(t.into())
    }

    fn usage(input: u64, output: u64, cached: Option<u64>, reasoning: Option<u64>) -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: input,
            output_tokens: output,
            cached_input_tokens: cached,
            cache_write_tokens: None,
            reasoning_tokens: reasoning,
        })
    }

    fn call(index: u32, id: &str, arguments: &str) -> [StreamEvent; 3] {
        [
            StreamEvent::ToolCallStart(ToolCallStart {
                index,
                id: id.into(),
                name: "get_weather".into(),
            }),
            StreamEvent::ToolCallDelta(ToolCallDelta {
                index,
                arguments: arguments.into(),
            }),
            StreamEvent::ToolCallEnd(index),
        ]
    }

    fn thinking(text: &str, signature: Option<&str>) -> StreamEvent {
        StreamEvent::ThinkingDelta(ThinkingDelta {
            text: text.into(),
            signature: signature.map(Into::into),
            redacted: false,
        })
    }

    #[test]
    fn full_text_fixture() {
        let expected = vec![
            start("fake-resp-1", "gemini-fake"),
            text("Hello from"),
            text(" fake gemi"),
            text("ni upstrea"),
            text("m."),
            usage(10, 5, None, None),
            StreamEvent::Finish(FinishReason::Stop),
        ];
        assert_eq!(decode_ok(FULL_TEXT.as_bytes()), expected);
        assert_both_line_ends(FULL_TEXT, &expected);
    }

    #[test]
    fn minimal_text_fixture() {
        let expected = vec![
            start("", ""),
            text("Hello from"),
            text(" fake gemi"),
            text("ni upstrea"),
            text("m."),
            StreamEvent::Finish(FinishReason::Stop),
        ];
        assert_both_line_ends(MINIMAL_TEXT, &expected);
    }

    #[test]
    fn tool_fixtures() {
        let mut expected = vec![start("fake-resp-1", "gemini-fake")];
        expected.extend(call(0, "", r#"{"city":"Paris"}"#));
        expected.push(usage(10, 5, None, None));
        expected.push(StreamEvent::Finish(FinishReason::ToolCalls));
        assert_both_line_ends(FULL_TOOL, &expected);

        let mut expected = vec![start("", "")];
        expected.extend(call(0, "", r#"{"city":"Paris"}"#));
        expected.push(StreamEvent::Finish(FinishReason::ToolCalls));
        assert_both_line_ends(MINIMAL_TOOL, &expected);
    }

    #[test]
    fn thinking_signatures_and_parallel_calls() {
        let body = concat!(
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Let me \",\"thought\":true}]}}],",
            "\"usageMetadata\":{\"promptTokenCount\":10},\"modelVersion\":\"gemini-3\",\"responseId\":\"r\"}\n\n",
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"think.\",\"thought\":true}]}}]}\n\n",
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[",
            "{\"functionCall\":{\"id\":\"call_mock_1\",\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"sig-gemini-1\"},",
            "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Tokyo\"}}}]},",
            "\"finishReason\":\"STOP\",\"index\":0}],",
            "\"usageMetadata\":{\"promptTokenCount\":10,\"cachedContentTokenCount\":4,\"candidatesTokenCount\":3,\"thoughtsTokenCount\":2}}\n\n",
        );
        let mut expected = vec![
            start("r", "gemini-3"),
            thinking("Let me ", None),
            thinking("think.", None),
            thinking("", Some("sig-gemini-1")),
        ];
        expected.extend(call(0, "call_mock_1", r#"{"city":"Paris"}"#));
        expected.extend(call(1, "", r#"{"city":"Tokyo"}"#));
        expected.push(usage(10, 5, Some(4), Some(2)));
        expected.push(StreamEvent::Finish(FinishReason::ToolCalls));
        assert_both_line_ends(body, &expected);
    }

    #[test]
    fn signature_on_a_last_empty_text_part() {
        let body = concat!(
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}],\"responseId\":\"r\",\"createTime\":\"1970-01-01T00:00:07Z\",\"sdkHttpResponse\":{}}\n\n",
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\",\"thoughtSignature\":\"s\"}]},\"finishReason\":\"MAX_TOKENS\"}]}\n\n",
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"after the end\"}]}}]}\n\n",
        );
        assert_eq!(
            decode_ok(body.as_bytes()),
            vec![
                StreamEvent::Start(StreamStart {
                    id: "r".into(),
                    model: String::new(),
                    created: Some(7),
                    extra: Some(r#"{"gemini":{"sdkHttpResponse":{}}}"#.into()),
                }),
                text("Hi"),
                thinking("", Some("s")),
                StreamEvent::Finish(FinishReason::Length),
            ]
        );
    }

    #[test]
    fn blocked_prompt() {
        let body = "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":4}}\r\n\r\n";
        assert_eq!(
            decode_ok(body.as_bytes()),
            vec![
                StreamEvent::Start(StreamStart {
                    id: String::new(),
                    model: String::new(),
                    created: None,
                    extra: Some(r#"{"gemini":{"promptFeedback":{"blockReason":"SAFETY"}}}"#.into()),
                }),
                usage(4, 0, None, None),
                StreamEvent::Finish(FinishReason::ContentFilter),
            ]
        );
    }

    #[test]
    fn cut_streams_end_with_an_error_event() {
        let early = StreamEvent::Error(Error {
            kind: ErrorKind::Upstream,
            message: "upstream stream ended early, before the answer was complete".into(),
            status: 502,
            retryable: true,
        });
        let lf = FULL_TEXT.replace("\r\n", "\n");
        let stop = lf.find("\"finishReason\"").unwrap_or(0);
        let event_end = lf[..stop].rfind("\n\n").unwrap_or(0) + 2;
        assert!(event_end > 2);
        for cut in [event_end, stop] {
            let events = decode_ok(&lf.as_bytes()[..cut]);
            assert_eq!(events.last(), Some(&early), "cut at {cut}");
            assert!(
                !events.iter().any(|e| matches!(e, StreamEvent::Finish(_))),
                "cut at {cut}"
            );
        }
        assert_eq!(decode_ok(b""), vec![early]);
        // An unterminated but whole last event still finishes the answer.
        let whole = FULL_TEXT.trim_end();
        assert_eq!(
            decode_ok(whole.as_bytes()).last(),
            Some(&StreamEvent::Finish(FinishReason::Stop))
        );
    }

    #[test]
    fn in_stream_error_ends_the_answer() {
        let body = concat!(
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}\n\n",
            "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\n\n",
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"more\"}]},\"finishReason\":\"STOP\"}]}\n\n",
        );
        assert_eq!(
            decode_ok(body.as_bytes()),
            vec![
                start("", ""),
                text("Hi"),
                StreamEvent::Error(Error {
                    kind: ErrorKind::Overloaded,
                    message: "The model is overloaded.".into(),
                    status: 503,
                    retryable: true,
                }),
            ]
        );
        let body = "data: [{\"error\":{\"code\":429,\"message\":\"quota\"}}]\n\n";
        match decode_ok(body.as_bytes()).as_slice() {
            [StreamEvent::Error(e)] => assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn invalid_json_is_an_error_and_nothing_follows() {
        let mut d = Decoder::default();
        let err = d.feed(b"data: {nope\n\n").err();
        assert_eq!(
            err.map(|e| (e.kind, e.status)),
            Some((ErrorKind::Upstream, 502))
        );
        assert_eq!(d.feed(FULL_TEXT.as_bytes()), Ok(vec![]));
        assert_eq!(d.finish(), Ok(vec![]));
    }
}
