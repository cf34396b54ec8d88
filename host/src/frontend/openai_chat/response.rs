//! Canonical response → `chat.completion` JSON.

use serde_json::{Map, Value, json};

use super::{finish_reason, usage_json};
use crate::canonical::{ContentPart, Response};

/// Encode a whole response. `model` is used when the upstream named none.
pub fn encode_response(resp: &Response, model: &str) -> Value {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for part in &resp.content {
        match part {
            ContentPart::Text(t) => text.push_str(t),
            ContentPart::Thinking(t) if !t.redacted => reasoning.push_str(&t.text),
            ContentPart::ToolCall(call) => tool_calls.push(json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            })),
            _ => {}
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    message.insert(
        "content".into(),
        if text.is_empty() && !tool_calls.is_empty() {
            Value::Null
        } else {
            text.into()
        },
    );
    message.insert("refusal".into(), Value::Null);
    if !reasoning.is_empty() {
        message.insert("reasoning_content".into(), reasoning.into());
    }
    if !tool_calls.is_empty() {
        message.insert("tool_calls".into(), tool_calls.into());
    }
    let mut body = Map::new();
    body.extend(crate::frontend::extra::unwrap(
        crate::frontend::Format::OpenAiChat,
        resp.extra.as_deref(),
    ));
    body.insert("id".into(), resp.id.clone().into());
    body.insert("object".into(), "chat.completion".into());
    body.insert(
        "created".into(),
        resp.created.unwrap_or_else(super::stream::now_secs).into(),
    );
    body.insert(
        "model".into(),
        if resp.model.is_empty() {
            model.into()
        } else {
            resp.model.clone().into()
        },
    );
    body.insert(
        "choices".into(),
        json!([{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(resp.finish_reason.as_ref()),
        }]),
    );
    if let Some(usage) = &resp.usage {
        body.insert("usage".into(), usage_json(usage));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{FinishReason, ToolCall, Usage};

    #[test]
    fn tool_call_response_has_null_content() {
        let resp = Response {
            id: "x".into(),
            model: String::new(),
            created: Some(1),
            content: vec![ContentPart::ToolCall(ToolCall {
                id: "c1".into(),
                name: "f".into(),
                arguments: "{}".into(),
            })],
            finish_reason: Some(FinishReason::ToolCalls),
            usage: Some(Usage {
                input_tokens: 3,
                output_tokens: 2,
                cached_input_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            }),
            extra: Some(r#"{"openai-chat":{"system_fingerprint":"fp"}}"#.into()),
        };
        let body = encode_response(&resp, "m");
        assert_eq!(body["model"], "m");
        assert_eq!(body["system_fingerprint"], "fp");
        assert_eq!(body["choices"][0]["message"]["content"], Value::Null);
        assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(
            body["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
            "f"
        );
        assert_eq!(body["usage"]["total_tokens"], 5);
    }
}
