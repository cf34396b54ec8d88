//! A whole (non-streamed) `GenerateContentResponse` to a canonical response.

use serde_json::Value;
use wasmgate_wire::extra;
use wasmgate_wire::json::str_or_empty;

use crate::fields;
use crate::types::{ContentPart, Error, FinishReason, HttpResponse, Response};
use crate::{WIRE, error};

/// The canonical response, or the typed error for a failed request.
pub fn parse_response(resp: &HttpResponse) -> Result<Response, Error> {
    if !(200..=299).contains(&resp.status) {
        return Err(error::from_http(resp.status, &resp.body));
    }
    let json: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| error::upstream(format!("upstream sent invalid JSON: {e}"), 502, false))?;
    // A streamed-style body (a JSON array of responses) is not expected
    // here, but its first element is the response when it is alone.
    let json = match json {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        other => other,
    };
    if !json.is_object() {
        return Err(error::upstream(
            "upstream sent a JSON value that is not an object",
            502,
            false,
        ));
    }
    if json.get("candidates").is_none()
        && let Some(err) = error::error_object(&json)
    {
        // An error reported with a 2xx status.
        return Err(error::from_stream_error(err));
    }

    let candidate = json.pointer("/candidates/0");
    let mut calls = 0;
    let content: Vec<ContentPart> = candidate
        .and_then(|c| c.pointer("/content/parts"))
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .flat_map(|part| fields::part_content(part, &mut calls))
                .collect()
        })
        .unwrap_or_default();
    let finish_reason = match candidate
        .and_then(|c| c.get("finishReason"))
        .and_then(Value::as_str)
    {
        Some(reason) => Some(fields::finish_reason(reason, calls > 0)),
        None if candidate.is_none() && fields::prompt_blocked(&json) => {
            Some(FinishReason::ContentFilter)
        }
        None => None,
    };

    Ok(Response {
        id: str_or_empty(&json, "responseId"),
        model: str_or_empty(&json, "modelVersion"),
        created: fields::created(&json),
        content,
        finish_reason,
        usage: json.get("usageMetadata").and_then(fields::usage),
        extra: extra::to_text(fields::unknown_keys(&json), WIRE),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, Thinking, ToolCall, Usage};
    use serde_json::json;

    const FULL_TEXT: &str = include_str!("../tests/fixtures/full.gemini.text.json");
    const FULL_TOOL: &str = include_str!("../tests/fixtures/full.gemini.tool.json");
    const MINIMAL_TEXT: &str = include_str!("../tests/fixtures/minimal.gemini.text.json");
    const MINIMAL_TOOL: &str = include_str!("../tests/fixtures/minimal.gemini.tool.json");

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

    fn usage_10_5() -> Option<Usage> {
        Some(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        })
    }

    fn paris(id: &str) -> ContentPart {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Paris"}"#.into(),
        })
    }

    #[test]
    fn text_fixtures() {
        assert_eq!(
            ok(FULL_TEXT),
            Response {
                id: "fake-resp-1".into(),
                model: "gemini-fake".into(),
                created: None,
                content: vec![ContentPart::Text("Hello from fake gemini upstream.".into())],
                finish_reason: Some(FinishReason::Stop),
                usage: usage_10_5(),
                extra: None,
            }
        );
        let r = ok(MINIMAL_TEXT);
        assert_eq!(
            r.content,
            vec![ContentPart::Text("Hello from fake gemini upstream.".into())]
        );
        assert_eq!((r.id.as_str(), r.usage), ("", None));
        assert_eq!(r.finish_reason, Some(FinishReason::Stop));
    }

    #[test]
    fn tool_fixtures() {
        for body in [FULL_TOOL, MINIMAL_TOOL] {
            let r = ok(body);
            assert_eq!(r.content, vec![paris("")]);
            assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
        }
    }

    #[test]
    fn thinking_signatures_parallel_calls_and_extra() {
        let body = json!({
            "candidates": [{
                "content": {"role": "model", "parts": [
                    {"text": "Let me think.", "thought": true},
                    {"functionCall": {"id": "call_mock_1", "name": "get_weather", "args": {"city": "Paris"}},
                     "thoughtSignature": "sig-gemini-1"},
                    {"functionCall": {"name": "get_weather", "args": {"city": "Tokyo"}}},
                ]},
                "finishReason": "STOP", "index": 0,
                "safetyRatings": [],
            }],
            "usageMetadata": {"promptTokenCount": 10, "cachedContentTokenCount": 4,
                              "candidatesTokenCount": 3, "thoughtsTokenCount": 2, "totalTokenCount": 15},
            "modelVersion": "gemini-3-flash-preview",
            "responseId": "r-1",
            "createTime": "2025-06-01T12:30:45.5Z",
            "modelStatus": {"modelStage": "PREVIEW"},
        });
        let r = ok(&body.to_string());
        assert_eq!(
            r,
            Response {
                id: "r-1".into(),
                model: "gemini-3-flash-preview".into(),
                created: Some(1_748_781_045),
                content: vec![
                    ContentPart::Thinking(Thinking {
                        text: "Let me think.".into(),
                        signature: None,
                        redacted: false,
                    }),
                    ContentPart::Thinking(Thinking {
                        text: String::new(),
                        signature: Some("sig-gemini-1".into()),
                        redacted: false,
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: "call_mock_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Paris"}"#.into(),
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: String::new(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Tokyo"}"#.into(),
                    }),
                ],
                finish_reason: Some(FinishReason::ToolCalls),
                usage: Some(Usage {
                    input_tokens: 10,
                    output_tokens: 5,
                    cached_input_tokens: Some(4),
                    cache_write_tokens: None,
                    reasoning_tokens: Some(2),
                }),
                extra: Some(r#"{"gemini":{"modelStatus":{"modelStage":"PREVIEW"}}}"#.into()),
            }
        );
    }

    #[test]
    fn finish_reasons_and_blocked_prompts() {
        let r = ok(
            r#"{"candidates":[{"content":{"parts":[{"text":"cut"}]},"finishReason":"MAX_TOKENS"}]}"#,
        );
        assert_eq!(r.finish_reason, Some(FinishReason::Length));
        let r = ok(r#"{"candidates":[{"finishReason":"SAFETY"}]}"#);
        assert_eq!(
            (r.content.len(), r.finish_reason),
            (0, Some(FinishReason::ContentFilter))
        );
        let r = ok(
            r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":3}}"#,
        );
        assert_eq!(r.finish_reason, Some(FinishReason::ContentFilter));
        assert!(r.content.is_empty());
        assert_eq!(
            r.extra.as_deref(),
            Some(r#"{"gemini":{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}}"#)
        );
        let r = ok(r#"{"candidates":[{"content":{"parts":[{"text":"x"}]}}]}"#);
        assert_eq!(r.finish_reason, None);
    }

    #[test]
    fn errors() {
        let e = err(
            400,
            r#"{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}"#,
        );
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::InvalidRequest,
                message: "Invalid JSON payload received.".into(),
                status: 400,
                retryable: false,
            }
        );
        let e = err(
            503,
            r#"[{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]"#,
        );
        assert_eq!((e.kind, e.retryable), (ErrorKind::Overloaded, true));
        assert_eq!(e.message, "The model is overloaded.");
        let e = err(200, "{oops");
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
        let e = err(200, "[1, 2]");
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
        let e = err(200, r#"{"error":{"code":500,"message":"internal"}}"#);
        assert_eq!(
            (e.kind, e.status, e.message.as_str()),
            (ErrorKind::Upstream, 500, "internal")
        );
    }

    #[test]
    fn single_element_array_body() {
        let body = format!("[{FULL_TEXT}]");
        assert_eq!(ok(&body).id, "fake-resp-1");
    }
}
