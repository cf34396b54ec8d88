//! Canonical response → `chat.completion` JSON, written straight from
//! borrowed fields (no JSON tree is built for an answer).

use serde::Serialize;
use serde_json::{Map, Value};

use super::{WireUsage, finish_reason};
use crate::canonical::{ContentPart, Response};
use crate::frontend::{Format, extra};

/// Top-level keys this encoder always writes; an `extra` field of the same
/// name gives way (and to `usage` when the answer has one).
const KEYS: &[&str] = &["id", "object", "created", "model", "choices"];

/// The reserved `extra` key holding the choice's wire fields with no
/// canonical home (`logprobs`, …), as docs/canonical.md says.
const CHOICE_KEY: &str = "$choice";

/// Choice keys this encoder always writes; a `$choice` field of the same
/// name gives way (but `logprobs`, written from it).
const CHOICE_KEYS: &[&str] = &["index", "message", "finish_reason", "logprobs"];

/// Message keys this encoder always writes; a field of the same name in
/// `$choice`'s `message` gives way (but `refusal`, written from it).
const MESSAGE_KEYS: &[&str] = &[
    "role",
    "content",
    "refusal",
    "reasoning_content",
    "tool_calls",
];

/// Encode a whole response. `model` is used when the upstream named none.
pub fn encode_response(resp: &Response, model: &str) -> Result<Vec<u8>, serde_json::Error> {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for part in &resp.content {
        match part {
            ContentPart::Text(t) => text.push_str(t),
            ContentPart::Thinking(t) if !t.redacted => reasoning.push_str(&t.text),
            ContentPart::ToolCall(call) => tool_calls.push(WireCall {
                id: &call.id,
                kind: "function",
                function: WireFunction {
                    name: &call.name,
                    arguments: &call.arguments,
                },
            }),
            _ => {}
        }
    }
    let mut extra = extra::unwrap(Format::OpenAiChat, resp.extra.as_deref());
    let mut choice_extra = extra::take_object(&mut extra, CHOICE_KEY);
    let logprobs = choice_extra.remove("logprobs").unwrap_or(Value::Null);
    let mut message_extra = extra::take_object(&mut choice_extra, "message");
    let refusal = message_extra.remove("refusal").unwrap_or(Value::Null);
    message_extra.retain(|key, _| !MESSAGE_KEYS.contains(&key.as_str()));
    choice_extra.retain(|key, _| !CHOICE_KEYS.contains(&key.as_str()));
    // Reserved keys are the canonical model's, never wire fields.
    extra.retain(|key, _| !KEYS.contains(&key.as_str()) && !key.starts_with('$'));
    if resp.usage.is_some() {
        extra.remove("usage");
    }
    let completion = Completion {
        id: &resp.id,
        object: "chat.completion",
        created: resp.created.unwrap_or_else(super::stream::now_secs),
        model: if resp.model.is_empty() {
            model
        } else {
            &resp.model
        },
        choices: [Choice {
            index: 0,
            message: Message {
                role: "assistant",
                content: (!text.is_empty() || tool_calls.is_empty() && refusal.is_null())
                    .then_some(text),
                refusal,
                reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
                tool_calls,
                extra: message_extra,
            },
            logprobs,
            finish_reason: finish_reason(resp.finish_reason.as_ref()),
            extra: choice_extra,
        }],
        usage: resp.usage.as_ref().map(WireUsage::new),
        extra,
    };
    serde_json::to_vec(&completion)
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [Choice<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<WireUsage>,
    /// Wire fields with no canonical home (`system_fingerprint`, …).
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: Message<'a>,
    /// `null` unless the upstream sent some.
    logprobs: Value,
    finish_reason: &'static str,
    /// The choice's other wire fields (vLLM's `stop_reason`, …).
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    /// `null` when the answer is only tool calls, or a refusal.
    content: Option<String>,
    /// `null` unless the upstream refused.
    refusal: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireCall<'a>>,
    /// The message's other wire fields (`annotations`, `audio`, …).
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
struct WireCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    arguments: &'a str,
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
        let body: Value = serde_json::from_slice(&encode_response(&resp, "m").unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(body["model"], "m");
        assert_eq!(body["id"], "x");
        assert_eq!(body["object"], "chat.completion");
        assert_eq!(body["created"], 1);
        assert_eq!(body["choices"][0]["message"]["refusal"], Value::Null);
        assert!(
            body["choices"][0]["message"]
                .get("reasoning_content")
                .is_none()
        );
        assert_eq!(body["choices"][0]["message"]["tool_calls"][0]["id"], "c1");
        assert_eq!(
            body["choices"][0]["message"]["tool_calls"][0]["type"],
            "function"
        );
        assert_eq!(body["choices"][0]["logprobs"], Value::Null);
        assert_eq!(body["system_fingerprint"], "fp");
        assert_eq!(body["choices"][0]["message"]["content"], Value::Null);
        assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(
            body["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
            "f"
        );
        assert_eq!(body["usage"]["total_tokens"], 5);
        assert_eq!(body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
    }

    #[test]
    fn an_extra_usage_stays_unless_the_answer_has_its_own() {
        let mut resp = Response {
            id: "x".into(),
            model: "m".into(),
            created: Some(1),
            content: vec![ContentPart::Text("hi".into())],
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            extra: Some(r#"{"openai-chat":{"usage":{"total_tokens":9}}}"#.into()),
        };
        let body = |resp: &Response| -> Value {
            serde_json::from_slice(&encode_response(resp, "m").unwrap_or_default())
                .unwrap_or_default()
        };
        assert_eq!(body(&resp)["usage"]["total_tokens"], 9);
        resp.usage = Some(Usage {
            input_tokens: 3,
            output_tokens: 2,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        });
        let text = encode_response(&resp, "m").unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&text).matches("\"usage\"").count(),
            1
        );
        assert_eq!(body(&resp)["usage"]["total_tokens"], 5);
    }

    #[test]
    fn choice_fields_are_restored_to_the_choice() {
        let resp = Response {
            id: "x".into(),
            model: "m".into(),
            created: Some(1),
            content: vec![ContentPart::Text("Hi".into())],
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            extra: Some(
                r#"{"openai-chat":{"$choice":{"logprobs":{"content":[{"token":"Hi","logprob":-0.5,"bytes":[72,105],"top_logprobs":[]}]},"stop_reason":7,"index":3,"message":{"refusal":"No.","annotations":[],"role":"x"}},"$other":1}}"#
                    .into(),
            ),
        };
        let body: Value = serde_json::from_slice(&encode_response(&resp, "m").unwrap_or_default())
            .unwrap_or_default();
        let choice = &body["choices"][0];
        assert_eq!(choice["logprobs"]["content"][0]["logprob"], -0.5);
        assert_eq!(choice["stop_reason"], 7);
        assert_eq!(choice["index"], 0, "a field the encoder writes wins");
        assert_eq!(choice["message"]["refusal"], "No.");
        assert_eq!(choice["message"]["annotations"], serde_json::json!([]));
        assert_eq!(choice["message"]["role"], "assistant");
        assert!(body.get("$choice").is_none() && body.get("$other").is_none());
    }

    #[test]
    fn text_answer_and_extra_fields() {
        let resp = Response {
            id: "chatcmpl-1".into(),
            model: "gpt-up".into(),
            created: None,
            content: vec![
                ContentPart::Thinking(crate::canonical::Thinking {
                    text: "hmm".into(),
                    signature: None,
                    redacted: false,
                }),
                ContentPart::Text("Hello".into()),
                ContentPart::Text(" there".into()),
            ],
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            // An extra field named like one the encoder writes gives way.
            extra: Some(r#"{"openai-chat":{"service_tier":"default","id":"shadow"}}"#.into()),
        };
        let text = encode_response(&resp, "m").unwrap_or_default();
        let body: Value = serde_json::from_slice(&text).unwrap_or_default();
        assert_eq!(body["id"], "chatcmpl-1");
        assert_eq!(body["model"], "gpt-up");
        assert!(body["created"].as_u64().is_some_and(|t| t > 1_700_000_000));
        assert_eq!(body["service_tier"], "default");
        assert_eq!(body["choices"][0]["message"]["content"], "Hello there");
        assert_eq!(body["choices"][0]["message"]["reasoning_content"], "hmm");
        assert!(body["choices"][0]["message"].get("tool_calls").is_none());
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert!(body.get("usage").is_none());
        let ids = String::from_utf8_lossy(&text).matches("\"id\"").count();
        assert_eq!(ids, 1, "{}", String::from_utf8_lossy(&text));
    }
}
