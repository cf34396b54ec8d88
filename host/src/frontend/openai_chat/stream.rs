//! Canonical stream events → `chat.completion.chunk` SSE.

use serde_json::{Value, json};

use super::error::error_body;
use super::{WireUsage, finish_reason};
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
///
/// Chunks are written straight into the output buffer: the part before
/// `delta` (id, created, model) is serialised once per stream, not per chunk.
#[derive(Debug)]
pub struct ChatStreamEncoder {
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    usage: Option<Usage>,
    started: bool,
    failed: bool,
    /// `{"id":…,"object":…,"created":…,"model":…,"choices":[{"index":0,"delta":`
    prefix: Vec<u8>,
    /// Canonical tool-call index → OpenAI `tool_calls[].index`, in order of appearance.
    tool_indices: Vec<u32>,
}

impl ChatStreamEncoder {
    /// An encoder; `id` and `model` are used until the upstream names its own.
    pub fn new(id: String, model: String, include_usage: bool) -> Self {
        let mut encoder = Self {
            id,
            model,
            created: now_secs(),
            include_usage,
            usage: None,
            started: false,
            failed: false,
            prefix: Vec::new(),
            tool_indices: Vec::new(),
        };
        encoder.build_prefix();
        encoder
    }

    fn build_prefix(&mut self) {
        let mut prefix = Vec::with_capacity(128);
        prefix.extend_from_slice(b"{\"id\":");
        write_json(&mut prefix, &self.id);
        prefix.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        prefix.extend_from_slice(self.created.to_string().as_bytes());
        prefix.extend_from_slice(b",\"model\":");
        write_json(&mut prefix, &self.model);
        prefix.extend_from_slice(b",\"choices\":[{\"index\":0,\"delta\":");
        self.prefix = prefix;
    }

    /// One `data:` chunk whose delta is the JSON text `delta`.
    fn write_chunk(&self, out: &mut Vec<u8>, delta: &[u8], finish: Option<&str>) {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(delta);
        out.extend_from_slice(b",\"logprobs\":null,\"finish_reason\":");
        match finish {
            Some(reason) => write_json(out, reason),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b"}]}\n\n");
    }

    fn ensure_started(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            self.write_chunk(out, br#"{"role":"assistant","content":""}"#, None);
        }
    }

    /// A delta with one string field, e.g. `{"content":"…"}`.
    fn emit_text(&mut self, out: &mut Vec<u8>, field: &str, text: &str) {
        self.ensure_started(out);
        let mut delta = Vec::with_capacity(text.len() + field.len() + 8);
        delta.push(b'{');
        write_json(&mut delta, field);
        delta.push(b':');
        write_json(&mut delta, text);
        delta.push(b'}');
        self.write_chunk(out, &delta, None);
    }

    fn emit(&mut self, out: &mut Vec<u8>, delta: &Value, finish: Option<&str>) {
        self.ensure_started(out);
        let delta = serde_json::to_vec(delta).unwrap_or_default();
        self.write_chunk(out, &delta, finish);
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

/// Append `value` as a JSON string.
fn write_json(out: &mut Vec<u8>, value: &str) {
    // Serialising a `&str` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
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
                self.build_prefix();
                self.ensure_started(out);
            }
            StreamEvent::TextDelta(text) => self.emit_text(out, "content", &text),
            StreamEvent::ThinkingDelta(thinking) => {
                if !thinking.redacted && !thinking.text.is_empty() {
                    self.emit_text(out, "reasoning_content", &thinking.text);
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
                self.emit(out, &delta, None);
            }
            StreamEvent::ToolCallDelta(delta) => {
                let index = self.tool_index(delta.index);
                let delta = json!({"tool_calls": [{
                    "index": index,
                    "function": {"arguments": delta.arguments},
                }]});
                self.emit(out, &delta, None);
            }
            StreamEvent::ToolCallEnd(_) => {}
            StreamEvent::Usage(usage) => self.usage = Some(usage),
            StreamEvent::Finish(reason) => {
                self.ensure_started(out);
                self.write_chunk(out, b"{}", Some(finish_reason(Some(&reason))));
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
                "usage": WireUsage::new(usage),
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
