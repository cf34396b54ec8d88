//! A whole (non-streamed) Responses API answer to a canonical response.

use serde_json::{Map, Value};
use wasmgate_wire::extra;
use wasmgate_wire::json::{non_empty_str, str_or_empty};

use crate::fields;
use crate::types::{ContentPart, Error, HttpResponse, Response, Thinking, ToolCall};
use crate::{WIRE, error};

/// Top-level keys of a response object that have a canonical home.
const KNOWN_KEYS: &[&str] = &[
    "id",
    "object",
    "created_at",
    "model",
    "output",
    "usage",
    "status",
    "incomplete_details",
];

/// The canonical response, or the typed error for a failed request.
pub fn parse_response(resp: &HttpResponse) -> Result<Response, Error> {
    if !(200..=299).contains(&resp.status) {
        return Err(error::from_http(resp.status, &resp.body));
    }
    let json: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| error::upstream(format!("upstream sent invalid JSON: {e}"), 502, false))?;
    if !json.is_object() {
        return Err(error::upstream(
            "upstream sent a JSON value that is not an object",
            502,
            false,
        ));
    }
    if json.get("output").is_none()
        && let Some(err) = json.get("error").filter(|e| e.is_object())
    {
        // An error body with a success status: report it as the error it is.
        return Err(error::from_stream_error(err));
    }
    Ok(from_object(&json))
}

/// The canonical response for a Responses `response` object (also the
/// payload of a stream's final event).
pub fn from_object(json: &Value) -> Response {
    let (content, has_calls) = output_content(json.get("output"));
    Response {
        id: str_or_empty(json, "id"),
        model: str_or_empty(json, "model"),
        created: json.get("created_at").and_then(Value::as_u64),
        content,
        finish_reason: fields::finish_reason(json, has_calls),
        usage: json.get("usage").and_then(fields::usage),
        extra: extra::to_text(unmapped_fields(json), WIRE),
    }
}

/// Top-level fields with no canonical home, kept for `extra`.
pub fn unmapped_fields(json: &Value) -> Map<String, Value> {
    json.as_object()
        .map(|obj| extra::leftovers(obj, KNOWN_KEYS))
        .unwrap_or_default()
}

/// The content parts of the `output` items, in order, and whether any of
/// them is a function call.
fn output_content(output: Option<&Value>) -> (Vec<ContentPart>, bool) {
    let mut parts = Vec::new();
    let mut has_calls = false;
    for item in output.and_then(Value::as_array).into_iter().flatten() {
        match item.get("type").and_then(Value::as_str) {
            Some("message") => {
                parts.extend(
                    fields::message_texts(item)
                        .into_iter()
                        .map(ContentPart::Text),
                );
            }
            Some("reasoning") => {
                let text = fields::reasoning_text(item);
                let signature = fields::encrypted_content(item);
                if !text.is_empty() || signature.is_some() {
                    parts.push(ContentPart::Thinking(Thinking {
                        text,
                        signature,
                        redacted: false,
                    }));
                }
            }
            Some("function_call") => {
                has_calls = true;
                parts.push(ContentPart::ToolCall(tool_call(item)));
            }
            // Built-in tool items (web search, …) have no canonical home.
            _ => {}
        }
    }
    (parts, has_calls)
}

/// The canonical tool call for a `function_call` item; the id is the
/// `call_id` (what results refer to), the item `id` is not kept.
pub fn tool_call(item: &Value) -> ToolCall {
    let id = non_empty_str(item, "call_id")
        .or_else(|| non_empty_str(item, "id"))
        .unwrap_or_default()
        .to_string();
    ToolCall {
        id,
        name: str_or_empty(item, "name"),
        arguments: fields::arguments(item.get("arguments")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, FinishReason, Usage};
    use serde_json::json;

    const FULL_TEXT: &str = include_str!("../tests/fixtures/full.responses.text.json");
    const FULL_TOOL: &str = include_str!("../tests/fixtures/full.responses.tool.json");
    const MIN_TEXT: &str = include_str!("../tests/fixtures/minimal.responses.text.json");
    const MIN_TOOL: &str = include_str!("../tests/fixtures/minimal.responses.tool.json");

    fn parse(status: u16, body: &str) -> Result<Response, Error> {
        parse_response(&HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
    }

    fn ok(status: u16, body: &str) -> Response {
        parse(status, body).unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    fn err(status: u16, body: &str) -> Error {
        match parse(status, body) {
            Err(e) => e,
            Ok(r) => panic!("expected an error, got {r:?}"),
        }
    }

    fn usage_10_5() -> Option<Usage> {
        Some(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: Some(0),
            cache_write_tokens: Some(0),
            reasoning_tokens: Some(0),
        })
    }

    fn extra_of(r: &Response) -> Value {
        r.extra
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or_default()
    }

    #[test]
    fn full_text_fixture() {
        let r = ok(200, FULL_TEXT);
        assert_eq!(r.id, "resp_fake1");
        assert_eq!(r.model, "gpt-fake");
        assert_eq!(r.created, Some(1795313006));
        assert_eq!(
            r.content,
            vec![ContentPart::Text(
                "Hello from fake openai-responses upstream.".into()
            )]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::Stop));
        assert_eq!(r.usage, usage_10_5());
        let extra = extra_of(&r);
        let wire = &extra["openai-responses"];
        assert_eq!(wire["store"], json!(true));
        assert_eq!(wire["text"], json!({"format": {"type": "text"}}));
        assert_eq!(wire["error"], Value::Null);
        for key in KNOWN_KEYS {
            assert!(wire.get(key).is_none(), "{key} leaked into extra");
        }
        assert_eq!(extra.as_object().map(|o| o.len()), Some(1));
    }

    #[test]
    fn tool_fixtures() {
        for body in [FULL_TOOL, MIN_TOOL] {
            let r = ok(200, body);
            assert_eq!(
                r.content,
                vec![ContentPart::ToolCall(ToolCall {
                    id: "call_fake1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city": "Paris"}"#.into(),
                })]
            );
            assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
            assert_eq!(r.usage, usage_10_5());
        }
    }

    #[test]
    fn minimal_text_fixture() {
        let r = ok(200, MIN_TEXT);
        assert_eq!(
            r.content,
            vec![ContentPart::Text(
                "Hello from fake openai-responses upstream.".into()
            )]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::Stop));
        assert_eq!(
            extra_of(&r),
            json!({"openai-responses": {"parallel_tool_calls": true, "tool_choice": "auto", "tools": []}})
        );
    }

    #[test]
    fn reasoning_text_refusal_and_calls_in_order() {
        let body = json!({
            "id": "resp_1", "object": "response", "created_at": 5, "model": "o3",
            "status": "completed",
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": [
                    {"type": "summary_text", "text": "First."},
                    {"type": "summary_text", "text": "Second."}],
                 "encrypted_content": "enc-1"},
                {"type": "reasoning", "id": "rs_2", "summary": []},
                {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": "Hi", "annotations": []},
                             {"type": "refusal", "refusal": "No."}]},
                {"type": "web_search_call", "id": "ws_1", "status": "completed"},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""},
                {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "g", "arguments": "{\"a\":1}"},
            ],
            "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4},
                      "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 2},
                      "total_tokens": 15},
        });
        let r = ok(200, &body.to_string());
        assert_eq!(
            r.content,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "First.\n\nSecond.".into(),
                    signature: Some("enc-1".into()),
                    redacted: false
                }),
                ContentPart::Text("Hi".into()),
                ContentPart::Text("No.".into()),
                ContentPart::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "f".into(),
                    arguments: "{}".into()
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_2".into(),
                    name: "g".into(),
                    arguments: r#"{"a":1}"#.into()
                }),
            ]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(
            r.usage,
            Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: None,
                reasoning_tokens: Some(2),
            })
        );
        assert_eq!(r.extra, None);
    }

    #[test]
    fn mock_upstream_reasoning_answer() {
        const MOCK: &str = include_str!("../tests/fixtures/mock.responses.reasoning-text.json");
        let r = ok(200, MOCK);
        assert_eq!(
            r.content,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "Let me think.".into(),
                    signature: Some("sig-openai-responses-1".into()),
                    redacted: false
                }),
                ContentPart::Text("Hello from the mock openai-responses upstream.".into()),
            ]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::Stop));
        assert_eq!(
            r.usage,
            Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: Some(0),
                reasoning_tokens: Some(2),
            })
        );
    }

    #[test]
    fn incomplete_and_failed() {
        let r = ok(
            200,
            r#"{"id":"r","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}"#,
        );
        assert_eq!(r.finish_reason, Some(FinishReason::Length));
        let r = ok(
            200,
            r#"{"id":"r","status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]}"#,
        );
        assert_eq!(r.finish_reason, Some(FinishReason::ContentFilter));
        let r = ok(
            200,
            r#"{"id":"r","status":"failed","error":{"code":"server_error","message":"x"},"output":[]}"#,
        );
        assert_eq!(r.finish_reason, Some(FinishReason::Error));
        assert!(extra_of(&r)["openai-responses"]["error"].is_object());
    }

    #[test]
    fn error_body_with_success_status() {
        let e = err(200, r#"{"error":{"message":"bad","code":"server_error"}}"#);
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Upstream, "bad"));
    }

    #[test]
    fn invalid_json_is_an_upstream_error() {
        let e = err(200, "{oops");
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
        assert!(e.message.starts_with("upstream sent invalid JSON: "));
        let e = err(200, "[1]");
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
    }

    #[test]
    fn http_errors_are_typed() {
        let e = err(
            429,
            r#"{"error":{"message":"mock 429 error","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"#,
        );
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::RateLimit,
                message: "mock 429 error".into(),
                status: 429,
                retryable: true
            }
        );
        let e = err(503, "");
        assert_eq!(e.message, "upstream returned HTTP 503");
        assert_eq!(e.kind, ErrorKind::Overloaded);
    }
}
