//! A whole (non-streamed) Chat Completions response to a canonical response.

use std::borrow::Cow;

use serde_json::{Map, Value};
use wasmgate_wire::extra;
use wasmgate_wire::json::{non_empty_str, str_or_empty};

use crate::completion::{self, SimpleCompletion};
use crate::fields::{self, WireUsage};
use crate::types::{ContentPart, Error, HttpResponse, Response, Thinking, ToolCall};
use crate::{WIRE, error};

/// Top-level keys that have a canonical home (or none worth keeping).
const KNOWN_KEYS: &[&str] = &["id", "object", "created", "model", "choices", "usage"];

/// Keys of a choice that have a canonical home; the others (`logprobs`,
/// vLLM's `stop_reason`, OpenRouter's `native_finish_reason`) are kept
/// under `extra`'s `$choice` when not `null`.
const CHOICE_KEYS: &[&str] = &["index", "message", "finish_reason"];

/// Keys of a message that have a canonical home; the others (`refusal`,
/// `annotations`, `audio`) are kept under `$choice`'s `message` when not
/// `null`.
const MESSAGE_KEYS: &[&str] = &[
    "role",
    "content",
    "reasoning_content",
    "reasoning",
    "tool_calls",
    "function_call",
];

/// The canonical response, or the typed error for a failed request.
pub fn parse_response(resp: &HttpResponse) -> Result<Response, Error> {
    if !(200..=299).contains(&resp.status) {
        return Err(error::from_http(resp.status, &resp.body));
    }
    match completion::parse(&resp.body) {
        Some(simple) => Ok(from_simple(simple)),
        None => general(&resp.body),
    }
}

/// Any 2xx body, through a JSON tree.
fn general(body: &[u8]) -> Result<Response, Error> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| error::upstream(format!("upstream sent invalid JSON: {e}"), 502, false))?;
    let Some(obj) = json.as_object() else {
        return Err(error::upstream(
            "upstream sent a JSON value that is not an object",
            502,
            false,
        ));
    };
    let choice = json.pointer("/choices/0");
    if choice.is_none()
        && let Some(message) = error::error_message(&json)
    {
        // Some OpenAI-compatible servers report failures with a 200.
        return Err(error::upstream(message, 502, false));
    }

    let content = choice
        .and_then(|c| c.get("message"))
        .map(message_content)
        .unwrap_or_default();
    let finish_reason = choice
        .and_then(|c| c.get("finish_reason"))
        .and_then(Value::as_str)
        .map(fields::finish_reason);

    let mut rest = extra::leftovers(obj, KNOWN_KEYS);
    if let Some(Value::Object(choice)) = choice {
        let mut kept = unplaced(choice, CHOICE_KEYS);
        if let Some(Value::Object(message)) = choice.get("message") {
            let message = unplaced(message, MESSAGE_KEYS);
            if !message.is_empty() {
                kept.insert("message".to_owned(), Value::Object(message));
            }
        }
        keep_choice_fields(&mut rest, kept);
    }

    Ok(Response {
        id: str_or_empty(&json, "id"),
        model: str_or_empty(&json, "model"),
        created: json.get("created").and_then(Value::as_u64),
        content,
        finish_reason,
        usage: json.get("usage").and_then(fields::usage),
        extra: extra::to_text(rest, WIRE),
    })
}

/// The canonical response for a completion of the common shape; the same
/// as the general path gives for it.
fn from_simple(simple: SimpleCompletion<'_>) -> Response {
    let mut rest = simple.rest;
    let mut choice = simple.choices.into_iter().next();
    if let Some(choice) = choice.as_mut() {
        let mut kept = Map::new();
        if let Some(logprobs) = choice.logprobs.take() {
            kept.insert("logprobs".to_owned(), logprobs);
        }
        if let Some(message) = choice.message.as_mut() {
            let fields = [
                ("refusal", message.refusal.take()),
                ("annotations", message.annotations.take()),
            ];
            let message: Map<String, Value> = fields
                .into_iter()
                .filter_map(|(key, value)| Some((key.to_owned(), value?)))
                .collect();
            if !message.is_empty() {
                kept.insert("message".to_owned(), Value::Object(message));
            }
        }
        keep_choice_fields(&mut rest, kept);
    }
    let finish_reason = choice
        .as_ref()
        .and_then(|c| c.finish_reason.as_deref())
        .map(fields::finish_reason);
    let mut content = Vec::new();
    if let Some(message) = choice.and_then(|c| c.message) {
        if let Some(text) = fields::reasoning(
            message.reasoning_content.as_deref(),
            message.reasoning.as_deref(),
        ) {
            content.push(ContentPart::Thinking(Thinking {
                text,
                signature: None,
                redacted: false,
            }));
        }
        if let Some(text) = fields::non_empty(message.content.as_deref()) {
            content.push(ContentPart::Text(text));
        }
        for call in message.tool_calls.unwrap_or_default() {
            let function = call.function;
            content.push(ContentPart::ToolCall(ToolCall {
                id: call.id.map(Cow::into_owned).unwrap_or_default(),
                name: function
                    .as_ref()
                    .and_then(|f| f.name.as_deref())
                    .unwrap_or_default()
                    .to_string(),
                arguments: function
                    .and_then(|f| f.arguments)
                    .map_or_else(|| "{}".to_string(), Cow::into_owned),
            }));
        }
    }
    Response {
        id: simple.id.map(Cow::into_owned).unwrap_or_default(),
        model: simple.model.map(Cow::into_owned).unwrap_or_default(),
        created: simple.created,
        content,
        finish_reason,
        usage: simple.usage.as_ref().map(WireUsage::canonical),
        extra: extra::to_text(rest, WIRE),
    }
}

/// The fields of `obj` other than `known`, and not `null`.
fn unplaced(obj: &Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    let mut fields = extra::leftovers(obj, known);
    fields.retain(|_, v| !v.is_null());
    fields
}

/// Keep a choice's wire `fields` that have no canonical home in `rest`,
/// the response's extra fields, under `$choice`.
fn keep_choice_fields(rest: &mut Map<String, Value>, fields: Map<String, Value>) {
    if !fields.is_empty() {
        rest.insert(extra::CHOICE_KEY.to_owned(), Value::Object(fields));
    }
}

/// The content parts of `choices[0].message`: reasoning, text, tool calls.
fn message_content(message: &Value) -> Vec<ContentPart> {
    let mut parts = Vec::new();
    if let Some(reasoning) =
        non_empty_str(message, "reasoning_content").or_else(|| non_empty_str(message, "reasoning"))
    {
        parts.push(ContentPart::Thinking(Thinking {
            text: reasoning.to_string(),
            signature: None,
            redacted: false,
        }));
    }
    if let Some(text) = message_text(message.get("content")) {
        parts.push(ContentPart::Text(text));
    }
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        parts.extend(
            calls
                .iter()
                .map(|call| ContentPart::ToolCall(tool_call(call))),
        );
    } else if let Some(call) = message.get("function_call").filter(|c| c.is_object()) {
        // The legacy single-function form.
        parts.push(ContentPart::ToolCall(ToolCall {
            id: String::new(),
            name: str_or_empty(call, "name"),
            arguments: arguments(call.get("arguments")),
        }));
    }
    parts
}

/// The text of `content`: a string, or the text parts of an array (which
/// some compatible servers send). `None` when empty.
fn message_text(content: Option<&Value>) -> Option<String> {
    let text = match content? {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// One `tool_calls` entry.
fn tool_call(call: &Value) -> ToolCall {
    let function = call.get("function").unwrap_or(&Value::Null);
    ToolCall {
        id: str_or_empty(call, "id"),
        name: str_or_empty(function, "name"),
        arguments: arguments(function.get("arguments")),
    }
}

/// Tool-call arguments as JSON text: a string as-is, anything else
/// serialized, nothing as `{}`.
fn arguments(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => "{}".to_string(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, FinishReason, Usage};
    use serde_json::json;

    const TEXT: &str = include_str!("../tests/fixtures/full.chat.text.json");
    const TOOL: &str = include_str!("../tests/fixtures/full.chat.tool.json");

    fn ok(status: u16, body: &str) -> Response {
        parse_response(&HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
        .unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    fn err(status: u16, body: &str) -> Error {
        match parse_response(&HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }) {
            Err(e) => e,
            Ok(r) => panic!("expected an error, got {r:?}"),
        }
    }

    fn usage_10_5() -> Option<Usage> {
        Some(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        })
    }

    #[test]
    fn text_fixture() {
        assert_eq!(
            ok(200, TEXT),
            Response {
                id: "chatcmpl-fake1".into(),
                model: "gpt-fake".into(),
                created: Some(1795313006),
                content: vec![ContentPart::Text(
                    "Hello from fake openai-chat upstream.".into()
                )],
                finish_reason: Some(FinishReason::Stop),
                usage: usage_10_5(),
                extra: Some(r#"{"openai-chat":{"system_fingerprint":"fp_fake"}}"#.into()),
            }
        );
    }

    #[test]
    fn tool_fixture() {
        let r = ok(200, TOOL);
        assert_eq!(
            r.content,
            vec![ContentPart::ToolCall(ToolCall {
                id: "call_fake1".into(),
                name: "get_weather".into(),
                arguments: r#"{"city": "Paris"}"#.into(),
            })]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
    }

    #[test]
    fn reasoning_comes_first_and_object_arguments_are_serialized() {
        let body = json!({
            "id": "x", "model": "m",
            "choices": [{"message": {
                "content": "answer",
                "reasoning_content": "because",
                "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {"a": 1}}}],
            }, "finish_reason": "weird"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2,
                      "completion_tokens_details": {"reasoning_tokens": 1}},
        });
        let r = ok(200, &body.to_string());
        assert_eq!(
            r.content,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "because".into(),
                    signature: None,
                    redacted: false
                }),
                ContentPart::Text("answer".into()),
                ContentPart::ToolCall(ToolCall {
                    id: "c".into(),
                    name: "f".into(),
                    arguments: r#"{"a":1}"#.into()
                }),
            ]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::Other("weird".into())));
        assert_eq!(r.usage.and_then(|u| u.reasoning_tokens), Some(1));
        assert_eq!(r.created, None);
        assert_eq!(r.extra, None);
    }

    #[test]
    fn empty_content_gives_no_text_part() {
        let r = ok(
            200,
            r#"{"choices":[{"message":{"content":""},"finish_reason":"length"}]}"#,
        );
        assert!(r.content.is_empty());
        assert_eq!(r.finish_reason, Some(FinishReason::Length));
    }

    #[test]
    fn invalid_json_is_an_upstream_error() {
        let e = err(200, "{oops");
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
        assert!(
            e.message.starts_with("upstream sent invalid JSON: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn http_errors_are_typed() {
        let e = err(
            429,
            r#"{"error":{"message":"slow down","type":"rate_limit"}}"#,
        );
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::RateLimit,
                message: "slow down".into(),
                status: 429,
                retryable: true
            }
        );
        let e = err(503, "");
        assert_eq!(e.message, "upstream returned HTTP 503");
        assert_eq!(e.kind, ErrorKind::Overloaded);
    }

    #[test]
    fn choice_fields_with_no_canonical_home_are_kept_unless_null() {
        let logprobs = json!({"content": [{"token": "Hi", "logprob": -0.25, "bytes": [72, 105], "top_logprobs": []}], "refusal": null});
        let body = json!({"choices": [{"index": 0, "message": {"content": "Hi"},
            "logprobs": logprobs, "finish_reason": "stop"}]});
        let r = ok(200, &body.to_string());
        let kept = extra::wire_object(r.extra.as_deref(), WIRE);
        assert_eq!(kept["$choice"], json!({"logprobs": logprobs}));
        // The general path, for a field the fast path does not know.
        let body = json!({"choices": [{"message": {"content": "Hi"}, "logprobs": null,
            "stop_reason": 128009, "native_finish_reason": null}]});
        let r = ok(200, &body.to_string());
        let kept = extra::wire_object(r.extra.as_deref(), WIRE);
        assert_eq!(kept["$choice"], json!({"stop_reason": 128009}));
        // A refusal, and a message field the fast path does not know.
        let body = json!({"choices": [{"message": {"content": null, "refusal": "I can't.", "audio": {"id": "a1"}}}]});
        let r = ok(200, &body.to_string());
        let kept = extra::wire_object(r.extra.as_deref(), WIRE);
        assert_eq!(
            kept["$choice"],
            json!({"message": {"refusal": "I can't.", "audio": {"id": "a1"}}})
        );
        assert_eq!(
            ok(200, TEXT).extra.as_deref(),
            Some(r#"{"openai-chat":{"system_fingerprint":"fp_fake"}}"#),
            "a null logprobs adds nothing"
        );
    }

    #[test]
    fn the_fast_path_gives_what_the_general_path_gives() {
        let bodies = [
            TEXT.to_string(),
            TOOL.to_string(),
            json!({
                "id": "r", "created": 5, "model": "m", "service_tier": "default",
                "choices": [
                    {"message": {"content": "", "reasoning": "think", "tool_calls": []}, "finish_reason": "length"},
                    {"message": {"content": "second"}}
                ],
                "usage": null
            })
            .to_string(),
            json!({"choices": [{"message": {"reasoning_content": "", "reasoning": "r", "content": "a",
                "tool_calls": [{"function": {"name": "f"}}, {"id": "x"}],
                "function_call": {"name": "ignored"}}}]})
            .to_string(),
            json!({"id": null, "choices": [{"message": null, "finish_reason": null}], "error": {"message": "kept in extra"}})
                .to_string(),
            // A key written with an escape, and a repeated key (the last wins).
            r#"{"\u0069d":"esc","choices":[{"message":{"content":"first"}}],"choices":[{"message":{"content":"last"}}],"x\ny":1}"#
                .to_string(),
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "No.", "annotations": []}, "finish_reason": "stop"}]})
            .to_string(),
            json!({"choices": [{"index": 0, "message": {"content": "a"}, "finish_reason": "stop",
                "logprobs": {"content": [{"token": "a", "logprob": -0.1, "bytes": [97], "top_logprobs": []}]}}]})
            .to_string(),
        ];
        for body in bodies {
            let fast = completion::parse(body.as_bytes()).map(from_simple);
            assert!(fast.is_some(), "{body} takes the fast path");
            assert_eq!(fast, general(body.as_bytes()).ok(), "{body}");
        }
    }
}
