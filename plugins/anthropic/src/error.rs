//! Typed errors: the shared constructors (`invalid_request`, `upstream`, …,
//! written by `wasmgate_wire::wit_errors!`) and the mapping from Anthropic
//! error bodies (`{"type":"error","error":{"type":…,"message":…}}`) to
//! canonical errors.

use serde_json::Value;
use wasmgate_wire::{Failure, message, status};

use crate::types::{Error, ErrorKind};

wasmgate_wire::wit_errors!(Error, ErrorKind, "anthropic");

/// Phrases of an error message that say the prompt was too long for the
/// model ("prompt is too long: 210000 tokens > 200000 maximum", "input
/// length and `max_tokens` exceed context limit").
const CONTEXT_LENGTH: &[&str] = &[
    "context length",
    "context limit",
    "context window",
    "maximum context",
    "prompt is too long",
];

/// The error for a client `status` (400..=599) and its message.
fn for_status(status: u16, message: String) -> Error {
    let too_long = status::mentions_any(&message, CONTEXT_LENGTH);
    Failure::for_status(status, status::kind_for_status(status, too_long), message).into()
}

/// The HTTP status Anthropic uses for an `error.type`.
fn status_for_type(kind: &str) -> Option<u16> {
    Some(match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => return None,
    })
}

/// The canonical error for a non-2xx upstream response. The message is
/// `error.message`, else the body text, else the status; clipped.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(|json| json.get("error"))
        .and_then(message::error_text)
        .map(message::clip)
        .unwrap_or_else(|| message::body_text(status, body));
    for_status(status::client_status(status), message)
}

/// The canonical error for an `error` object: the body of an in-stream
/// `error` event, or of a 200 answer of `"type":"error"`. The status comes
/// from `error.type`.
pub fn from_error_object(err: &Value) -> Error {
    let message = message::describe(err, "upstream error");
    let status = err
        .get("type")
        .and_then(Value::as_str)
        .and_then(status_for_type)
        .unwrap_or(502);
    for_status(status, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anthropic_error_body_gives_message_and_kind() {
        let body = br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_1"}"#;
        assert_eq!(
            from_http(401, body),
            Error {
                kind: ErrorKind::Authentication,
                message: "invalid x-api-key".into(),
                status: 401,
                retryable: false,
            }
        );
        let body =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            from_http(529, body),
            Error {
                kind: ErrorKind::Overloaded,
                message: "Overloaded".into(),
                status: 529,
                retryable: true,
            }
        );
    }

    #[test]
    fn status_table() {
        let cases = [
            (400, ErrorKind::InvalidRequest, false),
            (402, ErrorKind::InvalidRequest, false),
            (403, ErrorKind::Permission, false),
            (404, ErrorKind::NotFound, false),
            (408, ErrorKind::Timeout, true),
            (409, ErrorKind::InvalidRequest, true),
            (413, ErrorKind::ContextLength, false),
            (429, ErrorKind::RateLimit, true),
            (500, ErrorKind::Upstream, true),
            (502, ErrorKind::Upstream, true),
            (503, ErrorKind::Overloaded, true),
            (504, ErrorKind::Timeout, true),
            (529, ErrorKind::Overloaded, true),
        ];
        for (status, kind, retryable) in cases {
            let e = from_http(status, b"nope");
            assert_eq!((e.kind, e.retryable), (kind, retryable), "status {status}");
            assert_eq!((e.message.as_str(), e.status), ("nope", status));
        }
    }

    #[test]
    fn context_length_is_detected() {
        let body = br#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#;
        assert_eq!(from_http(400, body).kind, ErrorKind::ContextLength);
    }

    #[test]
    fn empty_long_and_odd_bodies_are_safe() {
        assert_eq!(from_http(500, b"").message, "upstream returned HTTP 500");
        let mut body = vec![0xff, 0xfe];
        body.extend(std::iter::repeat_n(b'x', 5000));
        assert_eq!(from_http(500, &body).message.chars().count(), 1000);
        let long = json!({"error": {"message": "y".repeat(3000)}}).to_string();
        assert_eq!(
            from_http(400, long.as_bytes()).message.chars().count(),
            1000
        );
        let e = from_http(302, b"moved");
        assert_eq!((e.status, e.kind), (502, ErrorKind::Upstream));
    }

    #[test]
    fn error_objects_take_their_status_from_the_type() {
        let e = from_error_object(&json!({"type": "overloaded_error", "message": "Overloaded"}));
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::Overloaded,
                message: "Overloaded".into(),
                status: 529,
                retryable: true,
            }
        );
        let e = from_error_object(&json!({"type": "rate_limit_error", "message": "slow"}));
        assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429));
        let e = from_error_object(&json!({"type": "brand_new_error"}));
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (ErrorKind::Upstream, 502, true)
        );
        assert!(e.message.contains("brand_new_error"), "{}", e.message);
    }
}
