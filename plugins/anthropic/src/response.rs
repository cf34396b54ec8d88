//! A whole (non-streamed) Messages API response to a canonical response.

use serde_json::Value;
use wasmgate_wire::extra;
use wasmgate_wire::json::str_or_empty;

use crate::fields::{self, WireUsage};
use crate::types::{ContentPart, Error, HttpResponse, Response, Thinking, ToolCall};
use crate::{WIRE, error};

/// Top-level keys that have a canonical home (or none worth keeping).
const KNOWN_KEYS: &[&str] = &[
    "id",
    "type",
    "role",
    "model",
    "content",
    "stop_reason",
    "usage",
];

/// The canonical response, or the typed error for a failed request.
pub fn parse_response(resp: &HttpResponse) -> Result<Response, Error> {
    if !(200..=299).contains(&resp.status) {
        return Err(error::from_http(resp.status, &resp.body));
    }
    let json: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| error::upstream(format!("upstream sent invalid JSON: {e}"), 502, false))?;
    let Some(obj) = json.as_object() else {
        return Err(error::upstream(
            "upstream sent a JSON value that is not an object",
            502,
            false,
        ));
    };
    if obj.get("type").and_then(Value::as_str) == Some("error") {
        // An error body with a success status: report it all the same.
        return Err(error::from_error_object(
            obj.get("error").unwrap_or(&Value::Null),
        ));
    }

    let content = obj
        .get("content")
        .and_then(Value::as_array)
        .map(|blocks| blocks.iter().filter_map(content_part).collect())
        .unwrap_or_default();
    let rest = extra::leftovers(obj, KNOWN_KEYS);

    Ok(Response {
        id: str_or_empty(&json, "id"),
        model: str_or_empty(&json, "model"),
        created: None,
        content,
        finish_reason: obj
            .get("stop_reason")
            .and_then(Value::as_str)
            .map(fields::finish_reason),
        usage: obj
            .get("usage")
            .and_then(WireUsage::read)
            .map(|u| u.canonical()),
        extra: extra::to_text(rest, WIRE),
    })
}

/// The canonical part for one content block; `None` for empty text and for
/// blocks with no canonical home (server tool use and results).
fn content_part(block: &Value) -> Option<ContentPart> {
    match block.get("type").and_then(Value::as_str)? {
        "text" => {
            let text = block.get("text").and_then(Value::as_str)?;
            (!text.is_empty()).then(|| ContentPart::Text(text.to_string()))
        }
        "thinking" => Some(ContentPart::Thinking(Thinking {
            text: str_or_empty(block, "thinking"),
            signature: block
                .get("signature")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            redacted: false,
        })),
        "redacted_thinking" => Some(ContentPart::Thinking(Thinking {
            text: str_or_empty(block, "data"),
            signature: None,
            redacted: true,
        })),
        "tool_use" => Some(ContentPart::ToolCall(ToolCall {
            id: str_or_empty(block, "id"),
            name: str_or_empty(block, "name"),
            arguments: match block.get("input") {
                None | Some(Value::Null) => "{}".to_string(),
                Some(input) => input.to_string(),
            },
        })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, FinishReason, Usage};
    use serde_json::json;

    const FULL_TEXT: &str = include_str!("../tests/fixtures/full.anthropic.text.json");
    const FULL_TOOL: &str = include_str!("../tests/fixtures/full.anthropic.tool.json");
    const MINIMAL_TEXT: &str = include_str!("../tests/fixtures/minimal.anthropic.text.json");
    const MINIMAL_TOOL: &str = include_str!("../tests/fixtures/minimal.anthropic.tool.json");

    fn parse(status: u16, body: &str) -> Result<Response, Error> {
        parse_response(&HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
    }

    fn ok(body: &str) -> Response {
        parse(200, body).unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    fn err(status: u16, body: &str) -> Error {
        match parse(status, body) {
            Err(e) => e,
            Ok(r) => panic!("expected an error, got {r:?}"),
        }
    }

    fn usage(cached: Option<u64>) -> Option<Usage> {
        Some(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: cached,
            cache_write_tokens: cached,
            reasoning_tokens: None,
        })
    }

    #[test]
    fn text_fixtures() {
        let expected = Response {
            id: "msg_fake1".into(),
            model: "claude-fake".into(),
            created: None,
            content: vec![ContentPart::Text(
                "Hello from fake anthropic upstream.".into(),
            )],
            finish_reason: Some(FinishReason::Stop),
            usage: usage(Some(0)),
            extra: Some(r#"{"anthropic":{"stop_sequence":null}}"#.into()),
        };
        assert_eq!(ok(FULL_TEXT), expected);
        assert_eq!(
            ok(MINIMAL_TEXT),
            Response {
                usage: usage(None),
                extra: None,
                ..expected
            }
        );
    }

    #[test]
    fn tool_fixtures() {
        for body in [FULL_TOOL, MINIMAL_TOOL] {
            let r = ok(body);
            assert_eq!(
                r.content,
                vec![ContentPart::ToolCall(ToolCall {
                    id: "toolu_fake1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into(),
                })]
            );
            assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
        }
    }

    #[test]
    fn thinking_tools_cache_usage_and_unknown_fields() {
        let body = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [
                {"type": "thinking", "thinking": "Let me think.", "signature": "sig-1"},
                {"type": "redacted_thinking", "data": "EmwKAhgB"},
                {"type": "text", "text": ""},
                {"type": "text", "text": "Checking.", "citations": null},
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
                {"type": "tool_use", "id": "t2", "name": "g"},
            ],
            "stop_reason": "pause_turn",
            "stop_sequence": null,
            "container": {"id": "c1"},
            "usage": {"input_tokens": 6, "cache_read_input_tokens": 4,
                      "cache_creation_input_tokens": 3, "output_tokens": 7},
        });
        let r = ok(&body.to_string());
        assert_eq!(
            r.content,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "Let me think.".into(),
                    signature: Some("sig-1".into()),
                    redacted: false,
                }),
                ContentPart::Thinking(Thinking {
                    text: "EmwKAhgB".into(),
                    signature: None,
                    redacted: true,
                }),
                ContentPart::Text("Checking.".into()),
                ContentPart::ToolCall(ToolCall {
                    id: "t1".into(),
                    name: "f".into(),
                    arguments: "{}".into(),
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "t2".into(),
                    name: "g".into(),
                    arguments: "{}".into(),
                }),
            ]
        );
        assert_eq!(
            r.finish_reason,
            Some(FinishReason::Other("pause_turn".into()))
        );
        assert_eq!(
            r.usage,
            Some(Usage {
                input_tokens: 13,
                output_tokens: 7,
                cached_input_tokens: Some(4),
                cache_write_tokens: Some(3),
                reasoning_tokens: None,
            })
        );
        let extra: Value =
            serde_json::from_str(r.extra.as_deref().unwrap_or_default()).unwrap_or_default();
        assert_eq!(
            extra,
            json!({"anthropic": {"stop_sequence": null, "container": {"id": "c1"}}})
        );
    }

    #[test]
    fn http_errors_are_typed() {
        let e = err(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"#,
        );
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::Overloaded,
                message: "Overloaded".into(),
                status: 529,
                retryable: true
            }
        );
        let e = err(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}"#,
        );
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::InvalidRequest, "max_tokens: Field required")
        );
    }

    #[test]
    fn error_body_with_success_status() {
        let e = err(
            200,
            r#"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
        );
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (ErrorKind::Upstream, 500, true)
        );
        assert_eq!(e.message, "Internal server error");
    }

    #[test]
    fn invalid_bodies_are_upstream_errors() {
        let e = err(200, "{oops");
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
        assert!(
            e.message.starts_with("upstream sent invalid JSON: "),
            "{}",
            e.message
        );
        assert_eq!(err(200, "[1]").kind, ErrorKind::Upstream);
    }
}
