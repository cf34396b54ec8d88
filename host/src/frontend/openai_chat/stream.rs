//! Canonical stream events → `chat.completion.chunk` SSE.

use serde_json::{Value, json};

use super::error::error_body;
use super::{finish_reason, usage_json};
use crate::api_error::ApiError;
use crate::canonical::{StreamEvent, Usage};
use crate::frontend::sse::{StreamEncoder, write_data};

/// Unix seconds now.
pub(super) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Encodes one streamed answer as Chat Completions chunks.
#[derive(Debug)]
pub struct ChatStreamEncoder {
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    usage: Option<Usage>,
    started: bool,
    failed: bool,
    /// Canonical tool-call index → OpenAI `tool_calls[].index`, in order of appearance.
    tool_indices: Vec<u32>,
}

impl ChatStreamEncoder {
    /// An encoder; `id` and `model` are used until the upstream names its own.
    pub fn new(id: String, model: String, include_usage: bool) -> Self {
        Self {
            id,
            model,
            created: now_secs(),
            include_usage,
            usage: None,
            started: false,
            failed: false,
            tool_indices: Vec::new(),
        }
    }

    fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
    }

    fn emit(&mut self, out: &mut Vec<u8>, delta: Value, finish: Option<&str>) {
        if !self.started {
            self.started = true;
            let first = self.chunk(json!({"role": "assistant", "content": ""}), None);
            write_data(out, &first);
        }
        write_data(out, &self.chunk(delta, finish));
    }

    fn tool_index(&mut self, index: u32) -> usize {
        match self.tool_indices.iter().position(|i| *i == index) {
            Some(position) => position,
            None => {
                self.tool_indices.push(index);
                self.tool_indices.len() - 1
            }
        }
    }
}

impl StreamEncoder for ChatStreamEncoder {
    fn event(&mut self, event: StreamEvent, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        match event {
            StreamEvent::Start(start) => {
                if !start.id.is_empty() {
                    self.id = start.id;
                }
                if !start.model.is_empty() {
                    self.model = start.model;
                }
                if let Some(created) = start.created {
                    self.created = created;
                }
                if !self.started {
                    self.started = true;
                    let first = self.chunk(json!({"role": "assistant", "content": ""}), None);
                    write_data(out, &first);
                }
            }
            StreamEvent::TextDelta(text) => self.emit(out, json!({"content": text}), None),
            StreamEvent::ThinkingDelta(thinking) => {
                if !thinking.redacted && !thinking.text.is_empty() {
                    self.emit(out, json!({"reasoning_content": thinking.text}), None);
                }
            }
            StreamEvent::ToolCallStart(start) => {
                let index = self.tool_index(start.index);
                let delta = json!({"tool_calls": [{
                    "index": index,
                    "id": start.id,
                    "type": "function",
                    "function": {"name": start.name, "arguments": ""},
                }]});
                self.emit(out, delta, None);
            }
            StreamEvent::ToolCallDelta(delta) => {
                let index = self.tool_index(delta.index);
                let delta = json!({"tool_calls": [{
                    "index": index,
                    "function": {"arguments": delta.arguments},
                }]});
                self.emit(out, delta, None);
            }
            StreamEvent::ToolCallEnd(_) => {}
            StreamEvent::Usage(usage) => self.usage = Some(usage),
            StreamEvent::Finish(reason) => {
                let reason = finish_reason(Some(&reason));
                self.emit(out, json!({}), Some(reason));
            }
            StreamEvent::Error(error) => {
                self.failed = true;
                write_data(out, &error_body(&ApiError::from(error)));
            }
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        if self.include_usage
            && let Some(usage) = &self.usage
        {
            let chunk = json!({
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": usage_json(usage),
            });
            write_data(out, &chunk);
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{FinishReason, StreamStart, ToolCallDelta, ToolCallStart};

    fn data_lines(out: &[u8]) -> Vec<Value> {
        String::from_utf8_lossy(out)
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect()
    }

    #[test]
    fn tool_indices_are_dense_and_usage_comes_last() {
        let mut enc = ChatStreamEncoder::new("id0".into(), "m".into(), true);
        let mut out = Vec::new();
        for event in [
            StreamEvent::Start(StreamStart {
                id: "up".into(),
                model: "um".into(),
                created: Some(7),
                extra: None,
            }),
            StreamEvent::ToolCallStart(ToolCallStart {
                index: 5,
                id: "c".into(),
                name: "f".into(),
            }),
            StreamEvent::ToolCallDelta(ToolCallDelta {
                index: 5,
                arguments: "{}".into(),
            }),
            StreamEvent::ToolCallEnd(5),
            StreamEvent::Usage(Usage {
                input_tokens: 1,
                output_tokens: 2,
                cached_input_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            }),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ] {
            enc.event(event, &mut out);
        }
        enc.end(&mut out);
        assert!(out.ends_with(b"data: [DONE]\n\n"));
        let chunks = data_lines(&out);
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(
            chunks[1]["choices"][0]["delta"]["tool_calls"][0]["index"],
            0
        );
        assert!(
            chunks
                .iter()
                .all(|c| c["id"] == "up" && c["model"] == "um" && c["created"] == 7)
        );
        assert_eq!(chunks[3]["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(chunks[4]["usage"]["total_tokens"], 3);
        assert_eq!(chunks[4]["choices"], json!([]));
    }
}
