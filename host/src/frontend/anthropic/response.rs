//! Canonical response → Messages `message` JSON.

use serde_json::{Map, Value, json};

use crate::canonical::{ContentPart, FinishReason, Response, Usage};
use crate::frontend::{Format, extra};

/// Encode a whole response. `model` is used when the upstream named none;
/// `fallback_id` when it gave no id.
pub fn encode_response(resp: &Response, model: &str, fallback_id: &str) -> Value {
    let mut content = Vec::with_capacity(resp.content.len());
    for part in &resp.content {
        match part {
            ContentPart::Text(text) => content.push(json!({"type": "text", "text": text})),
            ContentPart::Thinking(t) if t.redacted => {
                content.push(json!({"type": "redacted_thinking", "data": t.text}));
            }
            ContentPart::Thinking(t) => content.push(json!({
                "type": "thinking",
                "thinking": t.text,
                "signature": t.signature.clone().unwrap_or_default(),
            })),
            ContentPart::ToolCall(call) => content.push(json!({
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": tool_input(&call.arguments),
            })),
            ContentPart::Image(_) | ContentPart::ToolResult(_) => {}
        }
    }
    let mut body = extra::unwrap(Format::Anthropic, resp.extra.as_deref());
    body.insert("id".into(), message_id(&resp.id, fallback_id).into());
    body.insert("type".into(), "message".into());
    body.insert("role".into(), "assistant".into());
    body.insert(
        "model".into(),
        if resp.model.is_empty() {
            model
        } else {
            &resp.model
        }
        .into(),
    );
    body.insert("content".into(), Value::Array(content));
    body.insert(
        "stop_reason".into(),
        stop_reason(resp.finish_reason.as_ref()).into(),
    );
    body.entry("stop_sequence").or_insert(Value::Null);
    body.insert(
        "usage".into(),
        usage_json(resp.usage.as_ref().unwrap_or(&Usage {
            input_tokens: 0,
            output_tokens: 0,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        })),
    );
    Value::Object(body)
}

/// A `msg_…` id: the upstream's own when it has that shape.
pub fn message_id(upstream: &str, fallback: &str) -> String {
    if upstream.starts_with("msg_") {
        upstream.to_owned()
    } else if upstream.is_empty() {
        format!("msg_{fallback}")
    } else {
        format!("msg_{upstream}")
    }
}

/// Tool arguments as the `input` object Anthropic requires. Arguments that
/// are not a JSON object (a model that wrote broken JSON) are kept as
/// `{"_raw": "<text>"}` so nothing is lost.
pub fn tool_input(arguments: &str) -> Value {
    if arguments.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(obj)) => Value::Object(obj),
        _ => {
            tracing::warn!("tool call arguments are not a JSON object; kept under `_raw`");
            json!({"_raw": arguments})
        }
    }
}

/// The wire `stop_reason`.
pub fn stop_reason(reason: Option<&FinishReason>) -> &str {
    match reason {
        Some(FinishReason::Length) => "max_tokens",
        Some(FinishReason::ToolCalls) => "tool_use",
        Some(FinishReason::ContentFilter) => "refusal",
        Some(FinishReason::Other(other))
            if matches!(
                other.as_str(),
                "pause_turn" | "stop_sequence" | "refusal" | "model_context_window_exceeded"
            ) =>
        {
            other
        }
        _ => "end_turn",
    }
}

/// The wire usage object. Anthropic's `input_tokens` excludes cache reads
/// and writes, which the canonical count includes (docs/canonical.md).
pub fn usage_json(usage: &Usage) -> Value {
    let cached = usage.cached_input_tokens.unwrap_or(0);
    let written = usage.cache_write_tokens.unwrap_or(0);
    json!({
        "input_tokens": usage.input_tokens.saturating_sub(cached + written),
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{Thinking, ToolCall};

    #[test]
    fn tool_use_message() {
        let resp = Response {
            id: "chatcmpl-1".into(),
            model: String::new(),
            created: Some(1),
            content: vec![
                ContentPart::Thinking(Thinking {
                    text: "hmm".into(),
                    signature: Some("s".into()),
                    redacted: false,
                }),
                ContentPart::Text("Let me check.".into()),
                ContentPart::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into(),
                }),
            ],
            finish_reason: Some(FinishReason::ToolCalls),
            usage: Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: None,
                reasoning_tokens: None,
            }),
            extra: Some(r#"{"openai-chat":{"system_fingerprint":"fp"}}"#.into()),
        };
        let body = encode_response(&resp, "claude-x", "r1");
        assert_eq!(body["id"], "msg_chatcmpl-1");
        assert_eq!(body["model"], "claude-x");
        assert_eq!(body["stop_reason"], "tool_use");
        assert_eq!(body["stop_sequence"], Value::Null);
        assert_eq!(body["content"][0]["signature"], "s");
        assert_eq!(body["content"][2]["input"]["city"], "Paris");
        assert_eq!(body["usage"]["input_tokens"], 6);
        assert_eq!(body["usage"]["cache_read_input_tokens"], 4);
        assert!(body.get("system_fingerprint").is_none());
    }

    #[test]
    fn broken_arguments_are_kept() {
        assert_eq!(tool_input(""), json!({}));
        assert_eq!(tool_input("{\"a\":"), json!({"_raw": "{\"a\":"}));
    }
}
