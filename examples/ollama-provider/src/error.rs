//! Typed errors: constructors, and the mapping of a failed Ollama HTTP
//! response (`{"error": "..."}` with a status) to a canonical error.

use serde_json::Value;

use crate::types::{Error, ErrorKind};

/// Longest upstream text (in characters) copied into an error message.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The client sent something Ollama cannot take: 400, not retryable.
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

/// The stream ended before Ollama sent its `done: true` line.
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
        message: "ollama-provider stream decoder called while busy".into(),
        status: 500,
        retryable: false,
    }
}

/// The canonical error for a non-2xx Ollama response: the message is the
/// body's `error` string, else the body text (clipped), else the status.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|json| error_message(&json))
        .unwrap_or_else(|| body_text(status, body));
    // The client sees an error status: 1xx-3xx (and nonsense) become 502.
    let status = if (400..=599).contains(&status) {
        status
    } else {
        502
    };
    Error {
        kind: kind_for_status(status, &message),
        message,
        status,
        retryable: matches!(status, 408 | 429) || (500..=599).contains(&status),
    }
}

/// Ollama's `error` field: a string (or, defensively, `{message}`), clipped.
pub fn error_message(json: &Value) -> Option<String> {
    let text = match json.get("error")? {
        Value::String(s) => s.as_str(),
        other => other.get("message").and_then(Value::as_str)?,
    };
    (!text.is_empty()).then(|| clip(text))
}

/// The canonical kind for an upstream status and message.
fn kind_for_status(status: u16, message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    match status {
        400 | 413 | 422 if lower.contains("context length") => ErrorKind::ContextLength,
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

/// An error body as a message: its trimmed text, clipped, or the status.
fn body_text(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("upstream returned HTTP {status}")
    } else {
        clip(text)
    }
}

/// `text` cut to [`MAX_MESSAGE_CHARS`] characters.
fn clip(text: &str) -> String {
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_error_body() {
        let e = from_http(
            404,
            br#"{"error":"model \"nope\" not found, try pulling it first"}"#,
        );
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::NotFound,
                message: r#"model "nope" not found, try pulling it first"#.into(),
                status: 404,
                retryable: false,
            }
        );
    }

    #[test]
    fn status_table() {
        let cases = [
            (400, ErrorKind::InvalidRequest, false),
            (401, ErrorKind::Authentication, false),
            (403, ErrorKind::Permission, false),
            (408, ErrorKind::Timeout, true),
            (429, ErrorKind::RateLimit, true),
            (500, ErrorKind::Upstream, true),
            (503, ErrorKind::Overloaded, true),
            (504, ErrorKind::Timeout, true),
        ];
        for (status, kind, retryable) in cases {
            let e = from_http(status, b"nope");
            assert_eq!((e.kind, e.retryable), (kind, retryable), "status {status}");
            assert_eq!(e.message, "nope");
        }
    }

    #[test]
    fn context_length_empty_bodies_and_odd_statuses() {
        let e = from_http(400, br#"{"error":"input exceeds the context length"}"#);
        assert_eq!(e.kind, ErrorKind::ContextLength);
        assert_eq!(from_http(500, b"").message, "upstream returned HTTP 500");
        let e = from_http(302, b"moved");
        assert_eq!((e.status, e.kind), (502, ErrorKind::Upstream));
        let long = vec![b'x'; 5000];
        assert_eq!(from_http(500, &long).message.len(), 1000);
    }
}
