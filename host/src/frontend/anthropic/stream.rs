//! Canonical stream events → Messages SSE.
//!
//! The grammar the SDK's stream helper and Claude Code require:
//! `message_start`, then content blocks one at a time
//! (`content_block_start`, deltas, `content_block_stop`), then
//! `message_delta` (stop reason and usage) and `message_stop`.
//!
//! Anthropic blocks never interleave, but canonical events may (parallel
//! tool calls from an OpenAI upstream). While a tool call is open, events
//! that belong to other blocks wait in a queue and are replayed, in order,
//! when it ends; its own argument deltas stream straight through.

use std::collections::VecDeque;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};

use super::error::error_body;
use super::response::{message_id, stop_reason, usage_json};
use crate::api_error::ApiError;
use crate::canonical::{FinishReason, StreamEvent, Usage};
use crate::frontend::sse::{StreamEncoder, write_event};

/// The block being streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Text,
    Thinking,
    /// A tool call, by canonical index.
    Tool(u32),
}

/// Encodes one streamed answer as Messages events.
#[derive(Debug)]
pub struct AnthropicStreamEncoder {
    fallback_id: String,
    model: String,
    started: bool,
    failed: bool,
    open: Option<Block>,
    next_index: u32,
    queue: VecDeque<StreamEvent>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
}

impl AnthropicStreamEncoder {
    /// An encoder; `model` is used until the upstream names its own.
    pub fn new(fallback_id: String, model: String) -> Self {
        Self {
            fallback_id,
            model,
            started: false,
            failed: false,
            open: None,
            next_index: 0,
            queue: VecDeque::new(),
            usage: None,
            finish: None,
        }
    }

    fn start(&mut self, out: &mut Vec<u8>, id: &str) {
        if self.started {
            return;
        }
        self.started = true;
        let message = json!({
            "type": "message_start",
            "message": {
                "id": message_id(id, &self.fallback_id),
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }
        });
        write_event(out, "message_start", &message);
        write_event(out, "ping", &json!({"type": "ping"}));
    }

    /// Close the open block, if any.
    fn close(&mut self, out: &mut Vec<u8>) {
        if self.open.take().is_some() {
            let index = self.next_index - 1;
            write_event(
                out,
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            );
        }
    }

    /// Open `block` (closing another) with `content_block()` as its start.
    fn open(&mut self, out: &mut Vec<u8>, block: Block, content_block: impl FnOnce() -> Value) {
        self.start(out, "");
        if self.open == Some(block) {
            return;
        }
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some(block);
        write_event(
            out,
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": content_block()}),
        );
    }

    /// A delta of the open block: `{"type": kind, field: value}`.
    fn delta(&self, out: &mut Vec<u8>, kind: &'static str, field: &'static str, value: &str) {
        let event = DeltaEvent {
            index: self.next_index.saturating_sub(1),
            kind,
            field,
            value,
        };
        write_event(out, "content_block_delta", &event);
    }

    /// The tool call whose block is open.
    fn current_tool(&self) -> Option<u32> {
        match self.open {
            Some(Block::Tool(index)) => Some(index),
            _ => None,
        }
    }

    /// True when `event` must wait for the open tool call to end.
    fn must_wait(&self, event: &StreamEvent) -> bool {
        let Some(current) = self.current_tool() else {
            return false;
        };
        match event {
            StreamEvent::ToolCallDelta(d) => d.index != current,
            StreamEvent::ToolCallEnd(index) => *index != current,
            StreamEvent::TextDelta(_)
            | StreamEvent::ThinkingDelta(_)
            | StreamEvent::ToolCallStart(_) => true,
            StreamEvent::Start(_)
            | StreamEvent::Usage(_)
            | StreamEvent::Finish(_)
            | StreamEvent::Error(_) => false,
        }
    }

    /// Replay the events that waited for a tool call.
    fn drain(&mut self, out: &mut Vec<u8>) {
        let pending = std::mem::take(&mut self.queue);
        for event in pending {
            self.event(event, out);
        }
    }
}

impl StreamEncoder for AnthropicStreamEncoder {
    fn event(&mut self, event: StreamEvent, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        if self.must_wait(&event) {
            self.queue.push_back(event);
            return;
        }
        match event {
            StreamEvent::Start(start) => {
                if !start.model.is_empty() {
                    self.model = start.model;
                }
                self.start(out, &start.id);
            }
            StreamEvent::TextDelta(text) => {
                if !text.is_empty() {
                    self.open(out, Block::Text, || json!({"type": "text", "text": ""}));
                    self.delta(out, "text_delta", "text", &text);
                }
            }
            StreamEvent::ThinkingDelta(thinking) if thinking.redacted => {
                self.close(out);
                self.open(
                    out,
                    Block::Thinking,
                    || json!({"type": "redacted_thinking", "data": thinking.text}),
                );
                self.close(out);
            }
            StreamEvent::ThinkingDelta(thinking) => {
                let block = json!({"type": "thinking", "thinking": "", "signature": ""});
                if !thinking.text.is_empty() {
                    self.open(out, Block::Thinking, || block.clone());
                    self.delta(out, "thinking_delta", "thinking", &thinking.text);
                }
                if let Some(signature) = thinking.signature {
                    self.open(out, Block::Thinking, || block);
                    self.delta(out, "signature_delta", "signature", &signature);
                    // A signature ends its thinking block.
                    self.close(out);
                }
            }
            StreamEvent::ToolCallStart(start) => {
                self.open(
                    out,
                    Block::Tool(start.index),
                    || json!({"type": "tool_use", "id": start.id, "name": start.name, "input": {}}),
                );
            }
            StreamEvent::ToolCallDelta(delta) => {
                if self.current_tool() == Some(delta.index) && !delta.arguments.is_empty() {
                    self.delta(out, "input_json_delta", "partial_json", &delta.arguments);
                }
            }
            StreamEvent::ToolCallEnd(index) => {
                if self.current_tool() == Some(index) {
                    self.close(out);
                    self.drain(out);
                }
            }
            StreamEvent::Usage(usage) => self.usage = Some(usage),
            StreamEvent::Finish(reason) => self.finish = Some(reason),
            StreamEvent::Error(error) => {
                self.start(out, "");
                self.failed = true;
                write_event(out, "error", &error_body(&ApiError::from(error)));
            }
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        self.start(out, "");
        // A tool call the upstream never ended: end it, then replay the rest.
        while self.current_tool().is_some() || !self.queue.is_empty() {
            self.close(out);
            self.drain(out);
        }
        self.close(out);
        let usage = self.usage.unwrap_or(Usage {
            input_tokens: 0,
            output_tokens: 0,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        });
        write_event(
            out,
            "message_delta",
            &json!({
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason(self.finish.as_ref()), "stop_sequence": null},
                "usage": usage_json(&usage),
            }),
        );
        write_event(out, "message_stop", &json!({"type": "message_stop"}));
    }
}

/// `{"type": "content_block_delta", "index": …, "delta": {"type": kind,
/// field: value}}`, written without building a tree (one per streamed
/// chunk).
struct DeltaEvent<'a> {
    index: u32,
    kind: &'static str,
    field: &'static str,
    value: &'a str,
}

impl Serialize for DeltaEvent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Delta<'a>(&'a DeltaEvent<'a>);
        impl Serialize for Delta<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", self.0.kind)?;
                map.serialize_entry(self.0.field, self.0.value)?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("type", "content_block_delta")?;
        map.serialize_entry("index", &self.index)?;
        map.serialize_entry("delta", &Delta(self))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{StreamStart, ThinkingDelta, ToolCallDelta, ToolCallStart};

    fn events(out: &[u8]) -> Vec<(String, Value)> {
        String::from_utf8_lossy(out)
            .split("\n\n")
            .filter(|e| !e.trim().is_empty())
            .filter_map(|e| {
                let (name, data) = e.strip_prefix("event: ")?.split_once("\ndata: ")?;
                Some((name.to_owned(), serde_json::from_str(data).ok()?))
            })
            .collect()
    }

    fn run(input: Vec<StreamEvent>) -> Vec<(String, Value)> {
        let mut enc = AnthropicStreamEncoder::new("r1".into(), "claude-x".into());
        let mut out = Vec::new();
        for event in input {
            enc.event(event, &mut out);
        }
        enc.end(&mut out);
        events(&out)
    }

    fn start() -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: "up1".into(),
            model: String::new(),
            created: None,
            extra: None,
        })
    }

    fn tool_start(index: u32, id: &str) -> StreamEvent {
        StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: id.into(),
            name: "get_weather".into(),
        })
    }

    fn tool_delta(index: u32, arguments: &str) -> StreamEvent {
        StreamEvent::ToolCallDelta(ToolCallDelta {
            index,
            arguments: arguments.into(),
        })
    }

    #[test]
    fn thinking_text_and_usage() {
        let got = run(vec![
            start(),
            StreamEvent::ThinkingDelta(ThinkingDelta {
                text: "hmm".into(),
                signature: None,
                redacted: false,
            }),
            StreamEvent::ThinkingDelta(ThinkingDelta {
                text: String::new(),
                signature: Some("sig".into()),
                redacted: false,
            }),
            StreamEvent::TextDelta("Hi".into()),
            StreamEvent::TextDelta(" there".into()),
            StreamEvent::Usage(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: None,
                reasoning_tokens: Some(2),
            }),
            StreamEvent::Finish(FinishReason::Stop),
        ]);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "message_start",
                "ping",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(got[0].1["message"]["id"], "msg_up1");
        assert_eq!(got[0].1["message"]["model"], "claude-x");
        assert_eq!(got[4].1["delta"]["signature"], "sig");
        assert_eq!(got[6].1["index"], 1);
        assert_eq!(got[10].1["delta"]["stop_reason"], "end_turn");
        assert_eq!(got[10].1["usage"]["output_tokens"], 5);
        assert_eq!(got[10].1["usage"]["input_tokens"], 6);
    }

    #[test]
    fn interleaved_tool_calls_become_sequential_blocks() {
        let got = run(vec![
            start(),
            tool_start(0, "a"),
            tool_start(1, "b"),
            tool_delta(1, "{\"city\":\"Tokyo\"}"),
            tool_delta(0, "{\"city\":"),
            tool_delta(0, "\"Paris\"}"),
            StreamEvent::ToolCallEnd(0),
            StreamEvent::ToolCallEnd(1),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ]);
        let blocks: Vec<(String, Value)> = got
            .into_iter()
            .filter(|(n, _)| n.starts_with("content_block"))
            .collect();
        let summary: Vec<String> = blocks
            .iter()
            .map(|(n, v)| format!("{n}:{}", v["index"]))
            .collect();
        assert_eq!(
            summary,
            [
                "content_block_start:0",
                "content_block_delta:0",
                "content_block_delta:0",
                "content_block_stop:0",
                "content_block_start:1",
                "content_block_delta:1",
                "content_block_stop:1"
            ]
        );
        assert_eq!(blocks[0].1["content_block"]["id"], "a");
        assert_eq!(blocks[4].1["content_block"]["id"], "b");
        assert_eq!(blocks[5].1["delta"]["partial_json"], "{\"city\":\"Tokyo\"}");
    }

    #[test]
    fn unended_tool_call_is_closed_and_errors_stop_the_stream() {
        let got = run(vec![start(), tool_start(0, "a"), tool_delta(0, "{}")]);
        assert_eq!(got[got.len() - 3].0, "content_block_stop");
        assert_eq!(got[got.len() - 1].0, "message_stop");

        let got = run(vec![
            start(),
            StreamEvent::TextDelta("x".into()),
            StreamEvent::Error(crate::canonical::Error {
                kind: crate::canonical::ErrorKind::Upstream,
                message: "cut".into(),
                status: 502,
                retryable: true,
            }),
        ]);
        let last = &got[got.len() - 1];
        assert_eq!(last.0, "error");
        assert_eq!(last.1["error"]["type"], "api_error");
    }
}
