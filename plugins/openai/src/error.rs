//! Typed errors: small constructors and the mapping from a failed upstream
//! HTTP response to a canonical error.

use serde_json::Value;

use crate::types::{Error, ErrorKind};

/// Longest upstream body text (in characters) copied into an error message.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The client sent something this provider cannot express.
pub fn invalid_request(message: impl Into<String>) -> Error {
    Error {
        kind: ErrorKind::InvalidRequest,
        message: message.into(),
        status: 400,
        retryable: false,
    }
}

/// The upstream misbehaved (bad JSON, a broken stream, an in-stream error).
pub fn upstream(message: impl Into<String>, status: u16, retryable: bool) -> Error {
    Error {
        kind: ErrorKind::Upstream,
        message: message.into(),
        status,
        retryable,
    }
}

/// The decoder was re-entered, which the host never does.
pub fn busy() -> Error {
    Error {
        kind: ErrorKind::Internal,
        message: "openai stream decoder called while busy".into(),
        status: 500,
        retryable: false,
    }
}

/// True when a request that failed with `status` may succeed if retried.
pub fn is_retryable(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// The canonical error kind for an upstream HTTP status and message.
pub fn kind_for_status(status: u16, message: &str) -> ErrorKind {
    match status {
        400 | 413 | 422 if mentions_context_length(message) => ErrorKind::ContextLength,
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

/// True when an error message says the prompt was too long for the model.
fn mentions_context_length(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("context length")
        || lower.contains("maximum context")
        || lower.contains("context_length_exceeded")
}

/// The canonical error for a non-2xx upstream response.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let message = upstream_message(status, body);
    // The canonical contract wants a client-facing status in 400..=599; an
    // odd upstream status (1xx, 3xx) is reported as a bad gateway.
    let (status, kind) = if (400..=599).contains(&status) {
        (status, kind_for_status(status, &message))
    } else {
        (502, ErrorKind::Upstream)
    };
    Error {
        kind,
        message,
        status,
        retryable: is_retryable(status),
    }
}

/// The most useful message in an upstream error body: OpenAI's
/// `error.message`, else the body text (truncated), else the status.
fn upstream_message(status: u16, body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<Value>(body)
        && let Some(message) = error_message(&json)
    {
        return message;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("upstream returned HTTP {status}")
    } else {
        truncate_chars(text, MAX_MESSAGE_CHARS)
    }
}

/// `error.message` of an OpenAI error object (or `error` itself when it is
/// a plain string).
pub fn error_message(json: &Value) -> Option<String> {
    match json.get("error")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(obj) => match obj.get("message") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        },
        _ => None,
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

    #[test]
    fn openai_error_body_gives_message_and_kind() {
        let body =
            br#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
        let e = from_http(401, body);
        assert_eq!(e.kind, ErrorKind::Authentication);
        assert_eq!(e.message, "Incorrect API key provided");
        assert_eq!(e.status, 401);
        assert!(!e.retryable);
    }

    #[test]
    fn status_table() {
        let cases = [
            (400, ErrorKind::InvalidRequest, false),
            (422, ErrorKind::InvalidRequest, false),
            (403, ErrorKind::Permission, false),
            (404, ErrorKind::NotFound, false),
            (408, ErrorKind::Timeout, true),
            (504, ErrorKind::Timeout, true),
            (429, ErrorKind::RateLimit, true),
            (503, ErrorKind::Overloaded, true),
            (529, ErrorKind::Overloaded, true),
            (500, ErrorKind::Upstream, true),
            (502, ErrorKind::Upstream, true),
        ];
        for (status, kind, retryable) in cases {
            let e = from_http(status, b"nope");
            assert_eq!((e.kind, e.retryable), (kind, retryable), "status {status}");
            assert_eq!(e.message, "nope");
        }
    }

    #[test]
    fn context_length_is_detected() {
        let body =
            br#"{"error":{"message":"This model's maximum context length is 8192 tokens."}}"#;
        assert_eq!(from_http(400, body).kind, ErrorKind::ContextLength);
    }

    #[test]
    fn empty_body_names_the_status() {
        assert_eq!(from_http(500, b"").message, "upstream returned HTTP 500");
    }

    #[test]
    fn long_and_invalid_utf8_bodies_are_safe() {
        let mut body = vec![0xff, 0xfe];
        body.extend(std::iter::repeat_n(b'x', 5000));
        let e = from_http(500, &body);
        assert_eq!(e.message.chars().count(), 1000);
    }

    #[test]
    fn odd_status_becomes_bad_gateway() {
        let e = from_http(302, b"moved");
        assert_eq!((e.status, e.kind), (502, ErrorKind::Upstream));
    }
}
