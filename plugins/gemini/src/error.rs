//! Typed errors: the shared constructors (`invalid_request`, `upstream`, …,
//! written by `wasmgate_wire::wit_errors!`) and the mapping from a failed
//! upstream HTTP response (or an in-stream error object) to a canonical
//! error.
//!
//! Gemini errors look like
//! `{"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT","details":[…]}}`,
//! sometimes wrapped in a one-element array.

use serde_json::Value;
use wasmgate_wire::{Failure, KindName, message, status};

use crate::types::{Error, ErrorKind};

wasmgate_wire::wit_errors!(Error, ErrorKind, "gemini");

/// Phrases of an error message that say the prompt was too long for the
/// model ("The input token count (N) exceeds the maximum number of tokens
/// allowed (M).").
const CONTEXT_LENGTH: &[&str] = &[
    "context length",
    "maximum context",
    "exceeds the maximum number of tokens",
    "input token count",
];

/// The error for a client `status` (400..=599) and its message.
fn for_status(status: u16, message: String) -> Error {
    let too_long = status::mentions_any(&message, CONTEXT_LENGTH);
    Failure::for_status(status, status::kind_for_status(status, too_long), message).into()
}

/// The canonical error for a non-2xx upstream response. The message is
/// `error.message`, else the body text, else the status; clipped.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let json = serde_json::from_slice::<Value>(body).ok();
    let object = json.as_ref().and_then(error_object);
    let message = object
        .and_then(message::error_text)
        .map(message::clip)
        .unwrap_or_else(|| message::body_text(status, body));
    // Gemini answers a bad API key with 400 INVALID_ARGUMENT; clients
    // expect an authentication error for that.
    if (400..=599).contains(&status) && object.is_some_and(is_bad_api_key) {
        return Failure::for_status(401, KindName::Authentication, message).into();
    }
    for_status(status::client_status(status), message)
}

/// The canonical error for an `error` object inside a 2xx stream.
pub fn from_stream_error(err: &Value) -> Error {
    let code = err
        .get("code")
        .and_then(|c| match c {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..=599).contains(c));
    let message = message::describe(err, "upstream stream error");
    match code {
        Some(status) => for_status(status, message),
        None => upstream(message, 502, true),
    }
}

/// The `error` object of a Gemini error body (plain or in a one-element
/// array).
pub fn error_object(json: &Value) -> Option<&Value> {
    let json = match json {
        Value::Array(items) => items.first()?,
        other => other,
    };
    json.get("error").filter(|e| e.is_object())
}

/// True for Gemini's "API key not valid" error.
fn is_bad_api_key(err: &Value) -> bool {
    if err.get("status").and_then(Value::as_str) == Some("UNAUTHENTICATED") {
        return true;
    }
    err.get("details")
        .and_then(Value::as_array)
        .is_some_and(|details| {
            details
                .iter()
                .any(|d| d.get("reason").and_then(Value::as_str) == Some("API_KEY_INVALID"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gemini_error_body_gives_message_and_kind() {
        let body = br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#;
        assert_eq!(
            from_http(429, body),
            Error {
                kind: ErrorKind::RateLimit,
                message: "Resource has been exhausted".into(),
                status: 429,
                retryable: true,
            }
        );
    }

    #[test]
    fn array_wrapped_error_body() {
        let body =
            br#"[{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}]"#;
        let e = from_http(404, body);
        assert_eq!((e.kind, e.status), (ErrorKind::NotFound, 404));
        assert_eq!(e.message, "models/x is not found");
    }

    #[test]
    fn bad_api_key_is_authentication() {
        let body = br#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        let e = from_http(400, body);
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (ErrorKind::Authentication, 401, false)
        );
        assert!(e.message.starts_with("API key not valid"));
    }

    #[test]
    fn status_table() {
        let cases = [
            (400, ErrorKind::InvalidRequest, false),
            (401, ErrorKind::Authentication, false),
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
            assert_eq!(
                (e.kind, e.retryable, e.status),
                (kind, retryable, status),
                "status {status}"
            );
            assert_eq!(e.message, "nope");
        }
    }

    #[test]
    fn context_length_is_detected() {
        let body = br#"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#;
        assert_eq!(from_http(400, body).kind, ErrorKind::ContextLength);
    }

    #[test]
    fn empty_long_and_odd_bodies() {
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
    fn stream_errors() {
        let e = from_stream_error(
            &json!({"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}),
        );
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::Overloaded,
                message: "The model is overloaded.".into(),
                status: 503,
                retryable: true,
            }
        );
        let e = from_stream_error(&json!({"message": "odd"}));
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
        assert_eq!(from_stream_error(&json!("plain")).message, "plain");
    }
}
