//! The Response object and its output items, shared by whole and streamed
//! answers.

use serde_json::{Map, Value, json};

use super::request::Echo;
use super::usage_json;
use crate::canonical::Usage;
use crate::frontend::{Format, extra};

/// The parts of a Response object that stay the same for one answer:
/// what it echoes from the request, what the upstream added, its id,
/// creation time and model.
#[derive(Debug, Clone)]
pub struct Shell {
    base: Map<String, Value>,
}

impl Shell {
    /// `upstream_extra` is the canonical response's (or stream start's)
    /// `extra`; its `openai-responses` fields override the echo.
    pub fn new(
        echo: &Echo,
        upstream_extra: Option<&str>,
        id: &str,
        created_at: u64,
        model: &str,
    ) -> Self {
        let mut base = echo.0.clone();
        base.extend(extra::unwrap(Format::OpenAiResponses, upstream_extra));
        base.insert("id".into(), id.into());
        base.insert("object".into(), "response".into());
        base.insert("created_at".into(), created_at.into());
        base.insert("model".into(), model.into());
        base.insert("previous_response_id".into(), Value::Null);
        Shell { base }
    }

    /// The response id.
    pub fn id(&self) -> &str {
        self.base
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The whole Response object.
    pub fn render(
        &self,
        status: &str,
        incomplete_details: Value,
        error: Value,
        output: &[Value],
        usage: Option<&Usage>,
    ) -> Value {
        let mut body = self.base.clone();
        body.insert("status".into(), status.into());
        body.insert("error".into(), error);
        body.insert("incomplete_details".into(), incomplete_details);
        body.insert("output".into(), Value::Array(output.to_vec()));
        body.insert("usage".into(), usage.map_or(Value::Null, usage_json));
        Value::Object(body)
    }
}

/// An `output_text` content part.
pub fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

/// An assistant `message` item holding one text part (none while it is
/// still empty and in progress).
pub fn message_item(id: &str, text: Option<&str>, status: &str) -> Value {
    let content: Vec<Value> = text.map(output_text).into_iter().collect();
    json!({
        "type": "message",
        "id": id,
        "status": status,
        "role": "assistant",
        "content": content,
    })
}

/// A `reasoning` item: the text as one summary part (none when empty), the
/// signature as `encrypted_content`.
pub fn reasoning_item(id: &str, text: &str, signature: Option<&str>) -> Value {
    let summary: Vec<Value> = if text.is_empty() {
        Vec::new()
    } else {
        vec![json!({"type": "summary_text", "text": text})]
    };
    let mut item = json!({"type": "reasoning", "id": id, "summary": summary});
    if let (Some(signature), Value::Object(fields)) = (signature, &mut item) {
        fields.insert("encrypted_content".into(), signature.into());
    }
    item
}

/// A `function_call` item.
pub fn function_call_item(
    id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
    status: &str,
) -> Value {
    json!({
        "type": "function_call",
        "id": id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    })
}
