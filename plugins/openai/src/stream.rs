//! A streamed Chat Completions body (SSE of `chat.completion.chunk`s) to
//! canonical stream events.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use wasmgate_wire::extra;
use wasmgate_wire::json::{non_empty_str, str_or_empty};
use wasmgate_wire::sse::SseParser;

use crate::chunk::{self, SimpleChunk};
use crate::fields::{self, WireUsage};
use crate::types::{
    Error, FinishReason, StreamEvent, StreamStart, ThinkingDelta, ToolCallDelta, ToolCallStart,
};
use crate::{WIRE, error};

/// Decoder state for one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    /// SSE framing.
    sse: SseParser,
    /// True once `start` was emitted.
    started: bool,
    /// Indexes of tool calls ever started.
    calls: BTreeSet<u32>,
    /// Indexes of tool calls started and not yet ended.
    open: BTreeSet<u32>,
    /// True once `finish` was emitted.
    finished: bool,
    /// True once `[DONE]` arrived.
    done: bool,
    /// True once an in-stream error ended the answer.
    failed: bool,
}

impl Decoder {
    /// Decode more body bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, Error> {
        let sse_events = self
            .sse
            .feed(bytes)
            .map_err(|e| error::upstream(e.to_string(), 502, false))?;
        let mut events = Vec::new();
        for event in sse_events {
            self.payload(&event.data, &mut events)?;
        }
        Ok(events)
    }

    /// The body ended: flush what is left and close the answer.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        let mut events = Vec::new();
        if let Some(last_event) = self.sse.finish() {
            // An unterminated last event is used when it is whole; one cut
            // off mid-line is judged below like any early end.
            let mut last = Vec::new();
            if self.payload(&last_event.data, &mut last).is_ok() {
                events.append(&mut last);
            }
        }
        if self.failed {
            return Ok(events);
        }
        if !self.finished && !self.done {
            return Err(error::upstream(
                "upstream stream ended before the answer was complete",
                502,
                true,
            ));
        }
        self.close_calls(&mut events);
        if !self.finished {
            // `[DONE]` without a `finish_reason`: some compatible servers
            // do this. Keep the event grammar whole.
            self.ensure_started(&Value::Null, &mut events);
            let reason = if self.calls.is_empty() {
                FinishReason::Stop
            } else {
                FinishReason::ToolCalls
            };
            events.push(StreamEvent::Finish(reason));
            self.finished = true;
        }
        Ok(events)
    }

    /// Handle one SSE data payload.
    fn payload(&mut self, payload: &str, events: &mut Vec<StreamEvent>) -> Result<(), Error> {
        let payload = payload.trim();
        if self.done || self.failed || payload.is_empty() {
            return Ok(());
        }
        if payload == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if let Some(chunk) = chunk::parse(payload) {
            self.simple(chunk, events);
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(payload).map_err(|e| {
            error::upstream(
                format!("upstream sent invalid JSON in the stream: {e}"),
                502,
                false,
            )
        })?;
        if let Some(err) = chunk.get("error").filter(|e| !e.is_null()) {
            events.push(StreamEvent::Error(stream_error(err)));
            self.failed = true;
            return Ok(());
        }
        self.ensure_started(&chunk, events);

        let choice = chunk.pointer("/choices/0");
        if !self.finished
            && let Some(delta) = choice.and_then(|c| c.get("delta"))
        {
            self.delta(delta, events);
        }
        if let Some(reason) = choice
            .and_then(|c| c.get("finish_reason"))
            .and_then(Value::as_str)
            && !self.finished
        {
            self.close_calls(events);
            events.push(StreamEvent::Finish(fields::finish_reason(reason)));
            self.finished = true;
        }
        if let Some(usage) = chunk.get("usage").and_then(fields::usage) {
            events.push(StreamEvent::Usage(usage));
        }
        Ok(())
    }

    /// Emit `start` from the first chunk.
    fn ensure_started(&mut self, chunk: &Value, events: &mut Vec<StreamEvent>) {
        if self.started {
            return;
        }
        let fingerprint = chunk
            .get("system_fingerprint")
            .filter(|v| !v.is_null())
            .cloned();
        self.start(
            chunk.get("id").and_then(Value::as_str).unwrap_or_default(),
            chunk
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            chunk.get("created").and_then(Value::as_u64),
            fingerprint,
            events,
        );
    }

    /// Emit `start` (once).
    fn start(
        &mut self,
        id: &str,
        model: &str,
        created: Option<u64>,
        fingerprint: Option<Value>,
        events: &mut Vec<StreamEvent>,
    ) {
        if self.started {
            return;
        }
        self.started = true;
        let mut rest = Map::new();
        if let Some(fp) = fingerprint {
            rest.insert("system_fingerprint".into(), fp);
        }
        events.push(StreamEvent::Start(StreamStart {
            id: id.to_string(),
            model: model.to_string(),
            created,
            extra: extra::to_text(rest, WIRE),
        }));
    }

    /// The common case, a chunk with only text, reasoning, a finish reason
    /// or usage (see [`chunk`]); same events as the general path.
    fn simple(&mut self, chunk: SimpleChunk<'_>, events: &mut Vec<StreamEvent>) {
        if !self.started {
            let fingerprint = chunk
                .system_fingerprint
                .as_deref()
                .map(|f| Value::String(f.to_string()));
            self.start(
                chunk.id.as_deref().unwrap_or_default(),
                chunk.model.as_deref().unwrap_or_default(),
                chunk.created,
                fingerprint,
                events,
            );
        }
        let choice = chunk.choices.first();
        if !self.finished
            && let Some(delta) = choice.and_then(|c| c.delta.as_ref())
        {
            if let Some(text) = fields::reasoning(
                delta.reasoning_content.as_deref(),
                delta.reasoning.as_deref(),
            ) {
                events.push(StreamEvent::ThinkingDelta(ThinkingDelta {
                    text,
                    signature: None,
                    redacted: false,
                }));
            }
            if let Some(text) = fields::non_empty(delta.content.as_deref()) {
                events.push(StreamEvent::TextDelta(text));
            }
        }
        if let Some(reason) = choice.and_then(|c| c.finish_reason.as_deref())
            && !self.finished
        {
            self.close_calls(events);
            events.push(StreamEvent::Finish(fields::finish_reason(reason)));
            self.finished = true;
        }
        if let Some(usage) = chunk.usage.as_ref().map(WireUsage::canonical) {
            events.push(StreamEvent::Usage(usage));
        }
    }

    /// Events for one `choices[0].delta`.
    fn delta(&mut self, delta: &Value, events: &mut Vec<StreamEvent>) {
        if let Some(text) =
            non_empty_str(delta, "reasoning_content").or_else(|| non_empty_str(delta, "reasoning"))
        {
            events.push(StreamEvent::ThinkingDelta(ThinkingDelta {
                text: text.to_string(),
                signature: None,
                redacted: false,
            }));
        }
        if let Some(text) = non_empty_str(delta, "content") {
            events.push(StreamEvent::TextDelta(text.to_string()));
        }
        let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) else {
            return;
        };
        for (position, call) in calls.iter().enumerate() {
            let index = call
                .get("index")
                .and_then(Value::as_u64)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            let function = call.get("function").unwrap_or(&Value::Null);
            if self.calls.insert(index) {
                // A call starts with the chunk that carries its id; some
                // compatible servers omit it, and the host then gives the
                // call one that is unique across the conversation.
                let id = str_or_empty(call, "id");
                self.open.insert(index);
                events.push(StreamEvent::ToolCallStart(ToolCallStart {
                    index,
                    id,
                    name: str_or_empty(function, "name"),
                }));
            }
            if let Some(arguments) = non_empty_str(function, "arguments")
                && self.open.contains(&index)
            {
                events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                    index,
                    arguments: arguments.to_string(),
                }));
            }
        }
    }

    /// End every open tool call, in index order.
    fn close_calls(&mut self, events: &mut Vec<StreamEvent>) {
        events.extend(
            std::mem::take(&mut self.open)
                .into_iter()
                .map(StreamEvent::ToolCallEnd),
        );
    }
}

/// The canonical error for an in-stream `error` object: its `code`, when
/// that is an HTTP status, gives the status and the kind (a 429 is a rate
/// limit, as the same refusal before the stream would be).
fn stream_error(err: &Value) -> Error {
    let code = err.get("code").and_then(|c| match c {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    let status = code
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..=599).contains(c))
        .unwrap_or(502);
    let message = match err {
        Value::String(s) => s.clone(),
        _ => non_empty_str(err, "message")
            .map(str::to_string)
            .unwrap_or_else(|| format!("upstream stream error: {err}")),
    };
    Error {
        kind: error::kind_for_status(status, &message),
        message,
        status,
        retryable: error::is_retryable(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, Usage};
    use wasmgate_wire::testing::splits;

    const TOOL_SSE: &str = include_str!("../tests/fixtures/full.chat.tool.sse");
    const TEXT_SSE: &str = include_str!("../tests/fixtures/full.chat.text.sse");

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

    fn start() -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: "chatcmpl-fake1".into(),
            model: "gpt-fake".into(),
            created: Some(1795313006),
            extra: Some(r#"{"openai-chat":{"system_fingerprint":"fp_fake"}}"#.into()),
        })
    }

    fn delta(index: u32, arguments: &str) -> StreamEvent {
        StreamEvent::ToolCallDelta(ToolCallDelta {
            index,
            arguments: arguments.into(),
        })
    }

    #[test]
    fn tool_fixture() {
        let expected = vec![
            start(),
            StreamEvent::ToolCallStart(ToolCallStart {
                index: 0,
                id: "call_fake1".into(),
                name: "get_weather".into(),
            }),
            delta(0, "{\"cit"),
            delta(0, "y\": \""),
            delta(0, "Paris"),
            delta(0, "\"}"),
            StreamEvent::ToolCallEnd(0),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ];
        assert_eq!(decode_ok(TOOL_SSE.as_bytes()), expected);
        assert_split_invariant(TOOL_SSE.as_bytes(), &expected);
        let crlf = TOOL_SSE.replace('\n', "\r\n");
        assert_split_invariant(crlf.as_bytes(), &expected);
    }

    #[test]
    fn text_fixture() {
        let expected = vec![
            start(),
            StreamEvent::TextDelta("Hello from f".into()),
            StreamEvent::TextDelta("ake openai-c".into()),
            StreamEvent::TextDelta("hat upstream".into()),
            StreamEvent::TextDelta(".".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            }),
        ];
        assert_eq!(decode_ok(TEXT_SSE.as_bytes()), expected);
        assert_split_invariant(TEXT_SSE.as_bytes(), &expected);
        let crlf = TEXT_SSE.replace('\n', "\r\n");
        assert_split_invariant(crlf.as_bytes(), &expected);
    }

    #[test]
    fn parallel_calls_reasoning_and_usage_with_finish() {
        let body = concat!(
            ": comment\n\n",
            "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"delta\":{\"reasoning_content\":\"think\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[",
            "{\"index\":1,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}},",
            "{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"f\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"arguments\":\"{}\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}],",
            "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n",
            "data: [DONE]\n\n",
        );
        let events = decode_ok(body.as_bytes());
        assert_eq!(
            events,
            vec![
                StreamEvent::Start(StreamStart {
                    id: "c".into(),
                    model: "m".into(),
                    created: None,
                    extra: None
                }),
                StreamEvent::ThinkingDelta(ThinkingDelta {
                    text: "think".into(),
                    signature: None,
                    redacted: false
                }),
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 1,
                    id: "b".into(),
                    name: "g".into()
                }),
                delta(1, "{}"),
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 0,
                    id: "a".into(),
                    name: "f".into()
                }),
                delta(0, "{}"),
                StreamEvent::ToolCallEnd(0),
                StreamEvent::ToolCallEnd(1),
                StreamEvent::Finish(FinishReason::ToolCalls),
                StreamEvent::Usage(Usage {
                    input_tokens: 3,
                    output_tokens: 4,
                    cached_input_tokens: None,
                    cache_write_tokens: None,
                    reasoning_tokens: None,
                }),
            ]
        );
    }

    #[test]
    fn truncated_stream_is_an_error() {
        let stop = TEXT_SSE.find("\"finish_reason\": \"stop\"").unwrap_or(0);
        let event_end = TEXT_SSE[..stop].rfind("\n\n").unwrap_or(0) + 2;
        // Cut on an event boundary, and cut in the middle of an event.
        for cut in [event_end, stop] {
            let err = decode(&[&TEXT_SSE.as_bytes()[..cut]]).err();
            assert_eq!(
                err,
                Some(Error {
                    kind: ErrorKind::Upstream,
                    message: "upstream stream ended before the answer was complete".into(),
                    status: 502,
                    retryable: true,
                }),
                "cut at {cut}"
            );
        }
        assert!(decode(&[b""]).is_err());
    }

    #[test]
    fn finish_without_done_is_fine_and_done_without_finish_is_closed() {
        let body = "data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"length\"}]}";
        let events = decode_ok(body.as_bytes());
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finish(FinishReason::Length))
        );

        let body = "data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\ndata: [DONE]\n\n";
        let events = decode_ok(body.as_bytes());
        assert_eq!(
            &events[events.len() - 2..],
            &[
                StreamEvent::ToolCallEnd(0),
                StreamEvent::Finish(FinishReason::ToolCalls)
            ]
        );
    }

    #[test]
    fn in_stream_error_event() {
        let body = "data: {\"error\":{\"message\":\"overloaded\",\"code\":529}}\n\n";
        let events = decode_ok(body.as_bytes());
        assert_eq!(
            events,
            vec![StreamEvent::Error(Error {
                kind: ErrorKind::Overloaded,
                message: "overloaded".into(),
                status: 529,
                retryable: true,
            })]
        );
        let body = "data: {\"error\":{\"message\":\"slow down\",\"code\":429}}\n\n";
        match decode_ok(body.as_bytes()).as_slice() {
            [StreamEvent::Error(e)] => assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429)),
            other => panic!("unexpected {other:?}"),
        }
        let body = "data: {\"error\":{\"message\":\"bad\",\"code\":\"invalid_thing\"}}\n\n";
        match decode_ok(body.as_bytes()).as_slice() {
            [StreamEvent::Error(e)] => assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn invalid_json_is_an_error() {
        let err = decode(&[b"data: {nope\n\n"]).err();
        assert_eq!(
            err.map(|e| (e.kind, e.status)),
            Some((ErrorKind::Upstream, 502))
        );
    }
}
