//! Canonical stream events → streamed `GenerateContentResponse`s.
//!
//! With `?alt=sse` each response is one `data:` event; without it the body
//! is one JSON array (`[`, responses separated by `,\r\n`, `]`), as Google
//! sends it. Every chunk carries `modelVersion` and `responseId`:
//! - one chunk per text or thinking delta, with one part;
//! - a tool call is buffered until `tool-call-end` and sent whole as one
//!   `functionCall` part (Gemini never streams arguments);
//! - `usage` and `finish` are held: the last chunk carries `finishReason`
//!   and `usageMetadata` (gemini-cli retries a stream whose last chunk has
//!   no `finishReason`). Chunks after usage is known carry it too.
//! - a signature-only thinking delta rides on the next part, or on the last
//!   chunk's empty text part.
//! - an error ends the stream: a `data:` event with the Gemini error body,
//!   or an error element closing the array.

use serde_json::{Map, Value};

use super::error::error_body;
use super::response::{function_call_part, text_part};
use super::signature::to_wire;
use super::{finish_reason, usage_json};
use crate::api_error::ApiError;
use crate::canonical::{FinishReason, StreamEvent, Usage};
use crate::frontend::Format;
use crate::frontend::sse::StreamEncoder;

/// A tool call whose arguments are still arriving.
#[derive(Debug)]
struct PendingCall {
    index: u32,
    id: String,
    name: String,
    arguments: String,
}

/// Encodes one streamed answer as Gemini chunks.
#[derive(Debug)]
pub struct GeminiStreamEncoder {
    sse: bool,
    id: String,
    model: String,
    /// `"modelVersion":…,"responseId":…}`, the end of every chunk.
    tail: Vec<u8>,
    /// Fields of the stream start's `extra` for the first chunk.
    start_extra: Map<String, Value>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
    /// A thought signature waiting for the next part.
    signature: Option<String>,
    calls: Vec<PendingCall>,
    /// Chunks written so far (the JSON array needs separators).
    written: usize,
    failed: bool,
}

impl GeminiStreamEncoder {
    /// An encoder; `id` and `model` are used until the upstream names its
    /// own. `sse` picks server-sent events over the JSON array.
    pub fn new(id: String, model: String, sse: bool) -> Self {
        let mut encoder = Self {
            sse,
            id,
            model,
            tail: Vec::new(),
            start_extra: Map::new(),
            usage: None,
            finish: None,
            signature: None,
            calls: Vec::new(),
            written: 0,
            failed: false,
        };
        encoder.build_tail();
        encoder
    }

    fn build_tail(&mut self) {
        let mut tail = Vec::with_capacity(64 + self.id.len() + self.model.len());
        tail.extend_from_slice(b"\"modelVersion\":");
        write_json(&mut tail, &self.model);
        tail.extend_from_slice(b",\"responseId\":");
        write_json(&mut tail, &self.id);
        tail.push(b'}');
        self.tail = tail;
    }

    /// Start one element: `data: ` or the array's `[` / `,\r\n`.
    fn open(&mut self, out: &mut Vec<u8>) {
        if self.sse {
            out.extend_from_slice(b"data: ");
        } else if self.written == 0 {
            out.push(b'[');
        } else {
            out.extend_from_slice(b",\r\n");
        }
        self.written += 1;
    }

    fn close(&self, out: &mut Vec<u8>) {
        if self.sse {
            out.extend_from_slice(b"\n\n");
        }
    }

    /// One chunk whose single part is the JSON text `part`; `last` adds
    /// `finishReason`.
    fn write_chunk(&mut self, out: &mut Vec<u8>, part: &[u8], last: bool) {
        self.open(out);
        out.extend_from_slice(b"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[");
        out.extend_from_slice(part);
        out.extend_from_slice(b"]}");
        if last {
            out.extend_from_slice(b",\"finishReason\":");
            write_json(out, finish_reason(self.finish.as_ref()));
        }
        out.extend_from_slice(b",\"index\":0}],");
        if let Some(usage) = &self.usage {
            out.extend_from_slice(b"\"usageMetadata\":");
            let _ = serde_json::to_writer(&mut *out, &usage_json(usage));
            out.push(b',');
        } else if last {
            // Unknown usage: present (clients look for it), but empty.
            out.extend_from_slice(b"\"usageMetadata\":{},");
        }
        for (key, value) in std::mem::take(&mut self.start_extra) {
            if matches!(
                key.as_str(),
                "candidates" | "usageMetadata" | "modelVersion" | "responseId"
            ) {
                continue;
            }
            write_json(out, &key);
            out.push(b':');
            let _ = serde_json::to_writer(&mut *out, &value);
            out.push(b',');
        }
        out.extend_from_slice(&self.tail);
        self.close(out);
    }

    /// A chunk with one part, with any waiting signature attached.
    fn write_part(&mut self, out: &mut Vec<u8>, mut part: Map<String, Value>) {
        if let Some(signature) = self.signature.take() {
            part.entry("thoughtSignature")
                .or_insert(Value::String(signature));
        }
        let bytes = serde_json::to_vec(&Value::Object(part)).unwrap_or_default();
        self.write_chunk(out, &bytes, false);
    }

    /// A plain text chunk, written without building a JSON tree.
    fn write_text(&mut self, out: &mut Vec<u8>, text: &str) {
        if self.signature.is_some() {
            self.write_part(out, text_part(text));
            return;
        }
        let mut part = Vec::with_capacity(text.len() + 12);
        part.extend_from_slice(b"{\"text\":");
        write_json(&mut part, text);
        part.push(b'}');
        self.write_chunk(out, &part, false);
    }

    /// Send a tool call whole.
    fn write_call(&mut self, out: &mut Vec<u8>, call: PendingCall) {
        let part = function_call_part(&call.id, &call.name, &call.arguments);
        self.write_part(out, part);
    }

    /// A signature (already in wire form) with no part of its own yet: keep
    /// it for the next part.
    fn hold_signature(&mut self, out: &mut Vec<u8>, signature: String) {
        if let Some(previous) = self.signature.take() {
            let mut part = text_part("");
            part.insert("thoughtSignature".into(), previous.into());
            self.write_part(out, part);
        }
        self.signature = Some(signature);
    }
}

/// Append `value` as a JSON string.
fn write_json(out: &mut Vec<u8>, value: &str) {
    // Serialising a `&str` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

impl StreamEncoder for GeminiStreamEncoder {
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
                self.start_extra =
                    crate::frontend::extra::unwrap(Format::Gemini, start.extra.as_deref());
                self.build_tail();
            }
            StreamEvent::TextDelta(text) => {
                if !text.is_empty() {
                    self.write_text(out, &text);
                }
            }
            StreamEvent::ThinkingDelta(thinking) => {
                if thinking.redacted {
                    tracing::debug!("redacted thinking has no Gemini form; dropped");
                } else if thinking.text.is_empty() {
                    if let Some(signature) = thinking.signature {
                        self.hold_signature(out, to_wire(&signature));
                    }
                } else {
                    let mut part = text_part(&thinking.text);
                    part.insert("thought".into(), Value::Bool(true));
                    if let Some(signature) = thinking.signature {
                        part.insert("thoughtSignature".into(), to_wire(&signature).into());
                    }
                    self.write_part(out, part);
                }
            }
            StreamEvent::ToolCallStart(start) => self.calls.push(PendingCall {
                index: start.index,
                id: start.id,
                name: start.name,
                arguments: String::new(),
            }),
            StreamEvent::ToolCallDelta(delta) => {
                if let Some(call) = self.calls.iter_mut().find(|c| c.index == delta.index) {
                    call.arguments.push_str(&delta.arguments);
                }
            }
            StreamEvent::ToolCallEnd(index) => {
                if let Some(pos) = self.calls.iter().position(|c| c.index == index) {
                    let call = self.calls.remove(pos);
                    self.write_call(out, call);
                }
            }
            StreamEvent::Usage(usage) => self.usage = Some(usage),
            StreamEvent::Finish(reason) => self.finish = Some(reason),
            StreamEvent::Error(error) => {
                self.failed = true;
                self.open(out);
                let _ = serde_json::to_writer(&mut *out, &error_body(&ApiError::from(error)));
                if self.sse {
                    self.close(out);
                } else {
                    out.push(b']');
                }
            }
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        for call in std::mem::take(&mut self.calls) {
            self.write_call(out, call);
        }
        if self.finish.is_none() {
            tracing::debug!("stream ended without a finish reason; sending STOP");
        }
        let mut part = text_part("");
        if let Some(signature) = self.signature.take() {
            part.insert("thoughtSignature".into(), signature.into());
        }
        let bytes = serde_json::to_vec(&Value::Object(part)).unwrap_or_default();
        self.write_chunk(out, &bytes, true);
        if !self.sse {
            out.push(b']');
        }
    }

    fn content_type(&self) -> &'static str {
        if self.sse {
            "text/event-stream"
        } else {
            "application/json"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{
        Error, ErrorKind, StreamStart, ThinkingDelta, ToolCallDelta, ToolCallStart,
    };
    use serde_json::json;

    fn run(sse: bool, events: Vec<StreamEvent>) -> String {
        let mut enc = GeminiStreamEncoder::new("req-1".into(), "asked".into(), sse);
        let mut out = Vec::new();
        for event in events {
            enc.event(event, &mut out);
        }
        enc.end(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    fn sse_chunks(text: &str) -> Vec<Value> {
        assert!(text.ends_with("\n\n"), "{text:?}");
        text.split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| {
                let data = e.strip_prefix("data: ").unwrap_or_default();
                serde_json::from_str(data).unwrap_or(Value::Null)
            })
            .collect()
    }

    fn start() -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: "up-1".into(),
            model: "gpt-fake".into(),
            created: Some(1),
            extra: Some(r#"{"gemini":{"promptFeedback":{}}}"#.into()),
        })
    }

    fn usage() -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        })
    }

    #[test]
    fn text_stream_ends_with_finish_and_usage() {
        let text = run(
            true,
            vec![
                start(),
                StreamEvent::TextDelta("Hello".into()),
                StreamEvent::TextDelta(String::new()),
                StreamEvent::TextDelta(" world".into()),
                StreamEvent::Finish(FinishReason::Stop),
                usage(),
            ],
        );
        let chunks = sse_chunks(&text);
        assert_eq!(chunks.len(), 3, "{text}");
        assert_eq!(
            chunks[0],
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello"}]}, "index": 0}],
                "promptFeedback": {}, "modelVersion": "gpt-fake", "responseId": "up-1"})
        );
        assert_eq!(
            chunks[1]["candidates"][0]["content"]["parts"][0]["text"],
            " world"
        );
        assert!(chunks[1].get("promptFeedback").is_none());
        assert_eq!(
            chunks[2],
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
                "modelVersion": "gpt-fake", "responseId": "up-1"})
        );
    }

    #[test]
    fn tool_calls_are_sent_whole_with_signatures() {
        let text = run(
            true,
            vec![
                start(),
                StreamEvent::ThinkingDelta(ThinkingDelta {
                    text: "plan".into(),
                    signature: None,
                    redacted: false,
                }),
                StreamEvent::ThinkingDelta(ThinkingDelta {
                    text: String::new(),
                    signature: Some("c2ln".into()),
                    redacted: false,
                }),
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 0,
                    id: "call_a".into(),
                    name: "get_weather".into(),
                }),
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 1,
                    id: "call_b".into(),
                    name: "get_time".into(),
                }),
                StreamEvent::ToolCallDelta(ToolCallDelta {
                    index: 0,
                    arguments: "{\"city\":".into(),
                }),
                StreamEvent::ToolCallDelta(ToolCallDelta {
                    index: 1,
                    arguments: "{}".into(),
                }),
                StreamEvent::ToolCallDelta(ToolCallDelta {
                    index: 0,
                    arguments: "\"Paris\"}".into(),
                }),
                StreamEvent::ToolCallEnd(1),
                usage(),
                StreamEvent::ToolCallEnd(0),
                StreamEvent::Finish(FinishReason::ToolCalls),
            ],
        );
        let chunks = sse_chunks(&text);
        let parts: Vec<&Value> = chunks
            .iter()
            .map(|c| &c["candidates"][0]["content"]["parts"][0])
            .collect();
        assert_eq!(parts[0], &json!({"text": "plan", "thought": true}));
        assert_eq!(
            parts[1],
            &json!({"functionCall": {"id": "call_b", "name": "get_time", "args": {}}, "thoughtSignature": "c2ln"})
        );
        assert!(chunks[1].get("usageMetadata").is_none());
        assert_eq!(
            parts[2],
            &json!({"functionCall": {"id": "call_a", "name": "get_weather", "args": {"city": "Paris"}}})
        );
        assert_eq!(chunks[2]["usageMetadata"]["totalTokenCount"], 15);
        assert_eq!(chunks[3]["candidates"][0]["finishReason"], "STOP");
        assert!(chunks.iter().all(|c| c["responseId"] == "up-1"));
    }

    #[test]
    fn json_array_mode() {
        let text = run(
            false,
            vec![
                start(),
                StreamEvent::TextDelta("Hi".into()),
                StreamEvent::Finish(FinishReason::Length),
            ],
        );
        assert!(text.starts_with("[{") && text.ends_with("}]"), "{text}");
        assert!(text.contains("},\r\n{"), "{text}");
        let chunks: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            chunks[0]["candidates"][0]["content"]["parts"][0]["text"],
            "Hi"
        );
        assert_eq!(chunks[1]["candidates"][0]["finishReason"], "MAX_TOKENS");
        assert_eq!(chunks[1]["usageMetadata"], json!({}));
        assert_eq!(chunks[1]["responseId"], "up-1");
        let enc = GeminiStreamEncoder::new("i".into(), "m".into(), false);
        assert_eq!(enc.content_type(), "application/json");
    }

    fn failure() -> StreamEvent {
        StreamEvent::Error(Error::new(ErrorKind::Upstream, 502, "upstream broke off"))
    }

    #[test]
    fn errors_end_the_stream_in_gemini_shape() {
        let text = run(
            true,
            vec![
                start(),
                StreamEvent::TextDelta("partial".into()),
                failure(),
                StreamEvent::TextDelta("late".into()),
            ],
        );
        let chunks = sse_chunks(&text);
        assert_eq!(chunks.len(), 2);
        assert_eq!(
            chunks[1],
            json!({"error": {"code": 502, "message": "upstream broke off", "status": "INTERNAL"}})
        );

        let text = run(
            false,
            vec![start(), StreamEvent::TextDelta("partial".into()), failure()],
        );
        let chunks: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(chunks[1]["error"]["code"], 502);
        assert_eq!(chunks.as_array().map(Vec::len), Some(2));

        let text = run(false, vec![failure()]);
        let chunks: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(chunks[0]["error"]["status"], "INTERNAL");
    }

    #[test]
    fn trailing_signature_and_unended_calls_are_flushed() {
        let text = run(
            true,
            vec![
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 3,
                    id: String::new(),
                    name: "f".into(),
                }),
                StreamEvent::ThinkingDelta(ThinkingDelta {
                    text: String::new(),
                    signature: Some("sig-anthropic-1".into()),
                    redacted: false,
                }),
            ],
        );
        let chunks = sse_chunks(&text);
        assert_eq!(
            chunks[0]["candidates"][0]["content"]["parts"][0],
            json!({"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "d2FzbWdhdGUtc2lnOnNpZy1hbnRocm9waWMtMQ=="})
        );
        assert_eq!(chunks[0]["modelVersion"], "asked");
        assert_eq!(chunks[0]["responseId"], "req-1");
        assert_eq!(
            chunks[1]["candidates"][0]["content"]["parts"][0],
            json!({"text": ""})
        );
        assert_eq!(chunks[1]["candidates"][0]["finishReason"], "STOP");
    }
}
