//! A streamed `/api/chat` body (NDJSON: one JSON object per line, the last
//! with `done: true`) to canonical stream events.

use serde_json::Value;

use crate::response::{self, non_empty_str};
use crate::types::{Error, StreamEvent, StreamStart, ThinkingDelta, ToolCallDelta, ToolCallStart};
use crate::{error, time};

/// Longest line the decoder holds while waiting for its end.
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Decoder state for one streamed answer.
#[derive(Debug)]
pub struct Decoder {
    /// Bytes of a line not yet ended by `\n`.
    line: Vec<u8>,
    /// The number of this answer's first tool call (ids are `call_<n>`).
    call_offset: u32,
    /// Stands in for a missing `created_at`.
    now_ms: u64,
    /// True once `start` was emitted.
    started: bool,
    /// Tool calls seen so far (Ollama sends each call whole, once).
    calls: u32,
    /// True once the `done: true` object arrived.
    done: bool,
    /// True once an in-stream error ended the answer.
    failed: bool,
}

impl Decoder {
    /// A decoder whose tool calls are numbered from `call_offset`.
    pub fn new(call_offset: u32, now_ms: u64) -> Self {
        Decoder {
            line: Vec::new(),
            call_offset,
            now_ms,
            started: false,
            calls: 0,
            done: false,
            failed: false,
        }
    }

    /// Decode more body bytes (split anywhere, even inside a UTF-8 character).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, Error> {
        let mut events = Vec::new();
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(end);
            rest = &tail[1..];
            if self.line.is_empty() {
                self.line_done(head, &mut events)?;
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(head);
                self.line_done(&line, &mut events)?;
            }
        }
        if self.line.len() + rest.len() > MAX_LINE_BYTES {
            return Err(error::upstream(
                "upstream sent an NDJSON line over 16 MiB",
                502,
                false,
            ));
        }
        self.line.extend_from_slice(rest);
        Ok(events)
    }

    /// The body ended: decode an unterminated last line and check that the
    /// answer was complete.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        let mut events = Vec::new();
        let line = std::mem::take(&mut self.line);
        // A last line cut off mid-object is judged below like any early end.
        let _ = self.line_done(&line, &mut events);
        if self.failed || self.done {
            return Ok(events);
        }
        Err(error::ended_early())
    }

    /// Handle one NDJSON line.
    fn line_done(&mut self, line: &[u8], events: &mut Vec<StreamEvent>) -> Result<(), Error> {
        if self.done || self.failed || line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let json: Value = serde_json::from_slice(line).map_err(|e| {
            error::upstream(
                format!("upstream sent invalid JSON in the stream: {e}"),
                502,
                false,
            )
        })?;
        if let Some(message) = error::error_message(&json) {
            // Ollama reports a failure mid-stream as an `{"error": ...}` line.
            events.push(StreamEvent::Error(error::upstream(message, 502, false)));
            self.failed = true;
            return Ok(());
        }
        if !self.started {
            self.started = true;
            let created_ms = response::created_ms(&json);
            events.push(StreamEvent::Start(StreamStart {
                id: time::answer_id(created_ms.unwrap_or(self.now_ms)),
                model: json
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                created: created_ms.map(|ms| ms / 1000),
                extra: None,
            }));
        }
        let message = json.get("message").unwrap_or(&Value::Null);
        if let Some(thinking) = non_empty_str(message, "thinking") {
            events.push(StreamEvent::ThinkingDelta(ThinkingDelta {
                text: thinking.to_string(),
                signature: None,
                redacted: false,
            }));
        }
        if let Some(text) = non_empty_str(message, "content") {
            events.push(StreamEvent::TextDelta(text.to_string()));
        }
        for (name, arguments) in response::tool_calls(message) {
            let index = self.calls;
            self.calls += 1;
            events.push(StreamEvent::ToolCallStart(ToolCallStart {
                index,
                id: response::call_id(self.call_offset, index as usize),
                name,
            }));
            events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                index,
                arguments,
            }));
            events.push(StreamEvent::ToolCallEnd(index));
        }
        if json.get("done").and_then(Value::as_bool) == Some(true) {
            self.done = true;
            if let Some(usage) = response::usage(&json) {
                events.push(StreamEvent::Usage(usage));
            }
            events.push(StreamEvent::Finish(response::finish_reason(
                json.get("done_reason").and_then(Value::as_str),
                self.calls > 0,
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, FinishReason, Usage};

    const TEXT: &str = concat!(
        r#"{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"Hel"},"done":false}"#,
        "\n",
        r#"{"model":"llama3.2","created_at":"2023-08-04T08:52:19.4Z","message":{"role":"assistant","content":"lo ✓"},"done":false}"#,
        "\n",
        r#"{"model":"llama3.2","created_at":"2023-08-04T08:52:19.5Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"prompt_eval_count":26,"eval_count":2}"#,
        "\n",
    );

    const TOOL: &str = concat!(
        r#"{"model":"qwen3","created_at":"2025-05-01T00:00:00Z","message":{"role":"assistant","content":"","thinking":"Paris?"},"done":false}"#,
        "\n",
        r#"{"model":"qwen3","created_at":"2025-05-01T00:00:01Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}"#,
        "\n",
        r#"{"model":"qwen3","created_at":"2025-05-01T00:00:02Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":40,"eval_count":12}"#,
        "\n",
    );

    fn usage(input: u64, output: u64) -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: input,
            output_tokens: output,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        })
    }

    /// Every event of `body` fed in pieces of `size` bytes.
    fn decode(body: &str, size: usize, offset: u32) -> Result<Vec<StreamEvent>, Error> {
        let mut decoder = Decoder::new(offset, 7);
        let mut events = Vec::new();
        for chunk in body.as_bytes().chunks(size) {
            events.extend(decoder.feed(chunk)?);
        }
        events.extend(decoder.finish()?);
        Ok(events)
    }

    fn joined_text(events: &[StreamEvent]) -> String {
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn text_stream_in_any_split() {
        for size in [1, 2, 3, 7, 64, TEXT.len()] {
            let events = decode(TEXT, size, 0).unwrap_or_else(|e| panic!("{size}: {e:?}"));
            assert_eq!(
                events.first(),
                Some(&StreamEvent::Start(StreamStart {
                    id: "ollama-1691164339385".into(),
                    model: "llama3.2".into(),
                    created: Some(1_691_164_339),
                    extra: None,
                }))
            );
            assert_eq!(joined_text(&events), "Hello ✓");
            assert_eq!(
                events[events.len() - 2..],
                [usage(26, 2), StreamEvent::Finish(FinishReason::Stop)]
            );
        }
        // Per-line chunks give one text event per line.
        assert_eq!(decode(TEXT, TEXT.len(), 0).map(|e| e.len()).ok(), Some(5));
    }

    #[test]
    fn tool_stream() {
        let events = decode(TOOL, 5, 3).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            events[1..],
            [
                StreamEvent::ThinkingDelta(ThinkingDelta {
                    text: "Paris?".into(),
                    signature: None,
                    redacted: false,
                }),
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 0,
                    id: "call_3".into(),
                    name: "get_weather".into(),
                }),
                StreamEvent::ToolCallDelta(ToolCallDelta {
                    index: 0,
                    arguments: r#"{"city":"Paris"}"#.into(),
                }),
                StreamEvent::ToolCallEnd(0),
                usage(40, 12),
                StreamEvent::Finish(FinishReason::ToolCalls),
            ]
        );
    }

    #[test]
    fn length_and_unterminated_last_line() {
        let body = concat!(
            r#"{"model":"m","message":{"content":"a"},"done":false}"#,
            "\n\n",
            r#"{"model":"m","message":{"content":""},"done":true,"done_reason":"length","eval_count":1}"#,
        );
        let events = decode(body, 4, 0).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finish(FinishReason::Length))
        );
        // No created_at: the id comes from the clock.
        assert!(
            matches!(&events[0], StreamEvent::Start(s) if s.id == "ollama-7" && s.created.is_none())
        );
        // Nothing after `done` counts.
        let after = format!("{TEXT}{{\"message\":{{\"content\":\"late\"}}}}\n");
        let events = decode(&after, 9, 0).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(joined_text(&events), "Hello ✓");
    }

    #[test]
    fn in_stream_error_ends_the_answer() {
        let body = concat!(
            r#"{"model":"m","message":{"content":"a"},"done":false}"#,
            "\n",
            r#"{"error":"an error was encountered while running the model"}"#,
            "\n",
        );
        let events = decode(body, 10, 0).unwrap_or_else(|e| panic!("{e:?}"));
        match events.last() {
            Some(StreamEvent::Error(e)) => {
                assert_eq!(e.kind, ErrorKind::Upstream);
                assert_eq!(
                    e.message,
                    "an error was encountered while running the model"
                );
            }
            other => panic!("expected an error event, got {other:?}"),
        }
    }

    #[test]
    fn early_end_and_garbage_are_errors() {
        let cut = &TEXT[..TEXT.len() - 30];
        let e = decode(cut, 8, 0).err();
        assert!(e.is_some_and(|e| e.retryable && e.status == 502));
        let e = decode("{not json}\n", 100, 0).err();
        assert!(e.is_some_and(|e| e.message.contains("invalid JSON")));
        let e = decode("", 1, 0).err();
        assert!(e.is_some());
    }
}
