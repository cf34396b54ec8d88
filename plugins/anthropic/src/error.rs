//! Typed errors: small constructors and the mapping from Anthropic error
//! bodies (`{"type":"error","error":{"type":…,"message":…}}`) to canonical
//! errors.

use serde_json::Value;

use crate::types::{Error, ErrorKind};

/// Longest upstream text (in characters) copied into an error message.
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

/// The upstream misbehaved (bad JSON, a broken stream).
pub fn upstream(message: impl Into<String>, status: u16, retryable: bool) -> Error {
    Error {
        kind: ErrorKind::Upstream,
        message: message.into(),
        status,
        retryable,
    }
}

/// The stream ended before `message_stop` (or `message_delta`).
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
        message: "anthropic stream decoder called while busy".into(),
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
/// (Anthropic: "prompt is too long: 210000 tokens > 200000 maximum",
/// "input length and `max_tokens` exceed context limit").
fn mentions_context_length(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "context length",
        "context limit",
        "context window",
        "maximum context",
        "prompt is too long",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
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

/// The canonical error for a non-2xx upstream response.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let message = upstream_message(status, body);
    // The canonical contract wants a client-facing status in 400..=599; an
    // odd upstream status (1xx, 2xx, 3xx) is reported as a bad gateway.
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

/// The canonical error for an `error` object: the body of an in-stream
/// `error` event, or of a 200 answer of `"type":"error"`. The status comes
/// from `error.type`.
pub fn from_error_object(err: &Value) -> Error {
    let message = error_message(err)
        .unwrap_or_else(|| truncate_chars(&format!("upstream error: {err}"), MAX_MESSAGE_CHARS));
    let status = err
        .get("type")
        .and_then(Value::as_str)
        .and_then(status_for_type)
        .unwrap_or(502);
    Error {
        kind: kind_for_status(status, &message),
        message,
        status,
        retryable: is_retryable(status),
    }
}

/// The most useful message in an upstream error body: `error.message`, else
/// the body text (truncated), else the status.
fn upstream_message(status: u16, body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<Value>(body)
        && let Some(message) = json.get("error").and_then(error_message)
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

/// `message` of an Anthropic error object (or the object itself when it is
/// a plain string), truncated.
fn error_message(err: &Value) -> Option<String> {
    let text = match err {
        Value::String(s) => s.as_str(),
        _ => err.get("message").and_then(Value::as_str)?,
    };
    (!text.is_empty()).then(|| truncate_chars(text, MAX_MESSAGE_CHARS))
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
