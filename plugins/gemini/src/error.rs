//! Typed errors: small constructors and the mapping from a failed upstream
//! HTTP response (or an in-stream error object) to a canonical error.
//!
//! Gemini errors look like
//! `{"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT","details":[…]}}`,
//! sometimes wrapped in a one-element array.

use serde_json::Value;

use crate::types::{Error, ErrorKind};

/// Longest upstream text (in characters) copied into an error message.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The client sent something Gemini cannot express.
pub fn invalid_request(message: impl Into<String>) -> Error {
    Error {
        kind: ErrorKind::InvalidRequest,
        message: message.into(),
        status: 400,
        retryable: false,
    }
}

/// The upstream misbehaved (bad JSON, a broken stream).
pub fn upstream(message: impl Into<String>, status: u16, retryable: bool) -> Error {
    Error {
        kind: ErrorKind::Upstream,
        message: message.into(),
        status,
        retryable,
    }
}

/// The stream ended before Gemini said why generation stopped.
pub fn ended_early() -> Error {
    upstream(
        "upstream stream ended early, before the answer was complete",
        502,
        true,
    )
}

/// The decoder was re-entered, which the host never does.
pub fn busy() -> Error {
    Error {
        kind: ErrorKind::Internal,
        message: "gemini stream decoder called while busy".into(),
        status: 500,
        retryable: false,
    }
}

/// True when a request that failed with `status` may succeed if retried.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// The canonical error kind for an upstream HTTP status and message.
pub fn kind_for_status(status: u16, message: &str) -> ErrorKind {
    match status {
        413 => ErrorKind::ContextLength,
        400 | 422 if mentions_context_length(message) => ErrorKind::ContextLength,
        401 => ErrorKind::Authentication,
        403 => ErrorKind::Permission,
        404 => ErrorKind::NotFound,
        408 | 504 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimit,
        503 | 529 => ErrorKind::Overloaded,
        500..=599 => ErrorKind::Upstream,
        _ => ErrorKind::InvalidRequest,
    }
}

/// True when an error message says the prompt was too long for the model
/// (Gemini: "The input token count (N) exceeds the maximum number of tokens
/// allowed (M).").
fn mentions_context_length(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("context length")
        || lower.contains("maximum context")
        || lower.contains("exceeds the maximum number of tokens")
        || lower.contains("input token count")
}

/// The canonical error for a non-2xx upstream response.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let json = serde_json::from_slice::<Value>(body).ok();
    let object = json.as_ref().and_then(error_object);
    let message = object
        .and_then(|o| o.get("message"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| truncate_chars(s, MAX_MESSAGE_CHARS))
        .unwrap_or_else(|| body_text(status, body));
    // The canonical contract wants a client-facing status in 400..=599; an
    // odd upstream status (1xx, 3xx) is reported as a bad gateway.
    if !(400..=599).contains(&status) {
        return upstream(message, 502, true);
    }
    // Gemini answers a bad API key with 400 INVALID_ARGUMENT; clients
    // expect an authentication error for that.
    if object.is_some_and(is_bad_api_key) {
        return Error {
            kind: ErrorKind::Authentication,
            message,
            status: 401,
            retryable: false,
        };
    }
    Error {
        kind: kind_for_status(status, &message),
        message,
        status,
        retryable: is_retryable(status),
    }
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
    let message = match err {
        Value::String(s) if !s.is_empty() => truncate_chars(s, MAX_MESSAGE_CHARS),
        _ => err
            .get("message")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| truncate_chars(s, MAX_MESSAGE_CHARS))
            .unwrap_or_else(|| {
                truncate_chars(&format!("upstream stream error: {err}"), MAX_MESSAGE_CHARS)
            }),
    };
    match code {
        Some(status) => Error {
            kind: kind_for_status(status, &message),
            message,
            status,
            retryable: is_retryable(status),
        },
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

/// The body text (truncated), or the status when the body is empty.
fn body_text(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("upstream returned HTTP {status}")
    } else {
        truncate_chars(text, MAX_MESSAGE_CHARS)
    }
}

/// At most `max` characters of `text`.
fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
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
