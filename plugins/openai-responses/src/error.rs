//! Typed errors: small constructors, the mapping from a failed upstream HTTP
//! response to a canonical error, and the mapping of in-stream error objects.

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

/// The decoder was re-entered, which the host never does.
pub fn busy() -> Error {
    Error {
        kind: ErrorKind::Internal,
        message: "openai-responses stream decoder called while busy".into(),
        status: 500,
        retryable: false,
    }
}

/// True when a request that failed with `status` may succeed if retried.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// The canonical error kind for an upstream HTTP status, error message and
/// error code.
pub fn kind_for_status(status: u16, message: &str, code: &str) -> ErrorKind {
    if (400..=499).contains(&status) && mentions_context_length(message, code) {
        return ErrorKind::ContextLength;
    }
    if status == 400 && mentions_content_filter(code) {
        return ErrorKind::ContentFilter;
    }
    match status {
        401 => ErrorKind::Authentication,
        403 => ErrorKind::Permission,
        404 => ErrorKind::NotFound,
        408 | 504 => ErrorKind::Timeout,
        413 => ErrorKind::ContextLength,
        429 => ErrorKind::RateLimit,
        503 | 529 => ErrorKind::Overloaded,
        500..=599 => ErrorKind::Upstream,
        _ => ErrorKind::InvalidRequest,
    }
}

/// True when an error says the prompt was too long for the model.
fn mentions_context_length(message: &str, code: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    code == "context_length_exceeded"
        || lower.contains("context length")
        || lower.contains("context window")
        || lower.contains("maximum context")
        || lower.contains("context_length_exceeded")
}

/// True when an error code says a safety system refused the request.
fn mentions_content_filter(code: &str) -> bool {
    code.contains("content_policy") || code.contains("content_filter")
}

/// The canonical error for a non-2xx upstream response.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let json = serde_json::from_slice::<Value>(body).ok();
    let message = upstream_message(status, json.as_ref(), body);
    let code = json
        .as_ref()
        .and_then(|j| j.pointer("/error/code"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    // The canonical contract wants a client-facing status in 400..=599; an
    // odd upstream status (1xx, 2xx, 3xx) is reported as a bad gateway.
    let (status, kind) = if (400..=599).contains(&status) {
        (status, kind_for_status(status, &message, code))
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
/// `error.message`, else the body text, else the status; truncated.
fn upstream_message(status: u16, json: Option<&Value>, body: &[u8]) -> String {
    if let Some(message) = json.and_then(error_message) {
        return truncate_chars(&message, MAX_MESSAGE_CHARS);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("upstream returned HTTP {status}")
    } else {
        truncate_chars(text, MAX_MESSAGE_CHARS)
    }
}

/// `error.message` of an OpenAI error body (or `error` itself when it is a
/// plain string).
fn error_message(json: &Value) -> Option<String> {
    match json.get("error")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(obj) => match obj.get("message") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The canonical error for an error object met inside a stream or a failed
/// response: `{code, message}` (the `error` event itself, or
/// `response.error` of `response.failed`).
pub fn from_stream_error(err: &Value) -> Error {
    let message = match err {
        Value::String(s) if !s.is_empty() => s.clone(),
        _ => err
            .get("message")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("upstream stream error: {err}")),
    };
    let message = truncate_chars(&message, MAX_MESSAGE_CHARS);
    let (kind, status, retryable) = match err.get("code") {
        Some(Value::String(code)) => kind_for_code(code, &message),
        Some(Value::Number(n)) => {
            let status = n
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .filter(|c| (400..=599).contains(c))
                .unwrap_or(502);
            (
                kind_for_status(status, &message, ""),
                status,
                is_retryable(status),
            )
        }
        _ => (ErrorKind::Upstream, 502, false),
    };
    Error {
        kind,
        message,
        status,
        retryable,
    }
}

/// Kind, client status and retryability for a Responses error `code`.
fn kind_for_code(code: &str, message: &str) -> (ErrorKind, u16, bool) {
    if let Ok(status) = code.parse::<u16>()
        && (400..=599).contains(&status)
    {
        return (
            kind_for_status(status, message, ""),
            status,
            is_retryable(status),
        );
    }
    match code {
        "server_error" => (ErrorKind::Upstream, 502, true),
        "rate_limit_exceeded" => (ErrorKind::RateLimit, 429, true),
        "insufficient_quota" => (ErrorKind::RateLimit, 429, false),
        "context_length_exceeded" => (ErrorKind::ContextLength, 400, false),
        "vector_store_timeout" => (ErrorKind::Timeout, 504, true),
        c if mentions_content_filter(c) => (ErrorKind::ContentFilter, 400, false),
        c if c.starts_with("invalid_") || c.starts_with("empty_") => {
            (ErrorKind::InvalidRequest, 400, false)
        }
        _ => (ErrorKind::Upstream, 502, false),
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
    fn openai_error_body_gives_message_and_kind() {
        let body = br#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        let e = from_http(401, body);
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::Authentication,
                message: "Incorrect API key provided".into(),
                status: 401,
                retryable: false,
            }
        );
    }

    #[test]
    fn status_table() {
        let cases = [
            (400, ErrorKind::InvalidRequest, false),
            (422, ErrorKind::InvalidRequest, false),
            (403, ErrorKind::Permission, false),
            (404, ErrorKind::NotFound, false),
            (408, ErrorKind::Timeout, true),
            (409, ErrorKind::InvalidRequest, true),
            (413, ErrorKind::ContextLength, false),
            (504, ErrorKind::Timeout, true),
            (429, ErrorKind::RateLimit, true),
            (503, ErrorKind::Overloaded, true),
            (529, ErrorKind::Overloaded, true),
            (500, ErrorKind::Upstream, true),
            (502, ErrorKind::Upstream, true),
        ];
        for (status, kind, retryable) in cases {
            let e = from_http(status, b"nope");
            assert_eq!(
                (e.kind, e.status, e.retryable),
                (kind, status, retryable),
                "status {status}"
            );
            assert_eq!(e.message, "nope");
        }
    }

    #[test]
    fn context_length_and_content_filter_are_detected() {
        let body = br#"{"error":{"message":"Your input exceeds the context window of this model.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}}"#;
        assert_eq!(from_http(400, body).kind, ErrorKind::ContextLength);
        let body = br#"{"error":{"message":"too long","code":"context_length_exceeded"}}"#;
        assert_eq!(from_http(400, body).kind, ErrorKind::ContextLength);
        let body = br#"{"error":{"message":"flagged","code":"content_policy_violation"}}"#;
        assert_eq!(from_http(400, body).kind, ErrorKind::ContentFilter);
    }

    #[test]
    fn empty_long_and_invalid_bodies_are_safe() {
        assert_eq!(from_http(500, b"").message, "upstream returned HTTP 500");
        let mut body = vec![0xff, 0xfe];
        body.extend(std::iter::repeat_n(b'x', 5000));
        assert_eq!(from_http(500, &body).message.chars().count(), 1000);
        let long = json!({"error": {"message": "y".repeat(3000)}}).to_string();
        assert_eq!(
            from_http(400, long.as_bytes()).message.chars().count(),
            1000
        );
    }

    #[test]
    fn odd_status_becomes_bad_gateway() {
        let e = from_http(302, b"moved");
        assert_eq!((e.status, e.kind), (502, ErrorKind::Upstream));
    }

    #[test]
    fn stream_errors() {
        let e = from_stream_error(&json!({"code": "server_error", "message": "boom"}));
        assert_eq!(
            e,
            Error {
                kind: ErrorKind::Upstream,
                message: "boom".into(),
                status: 502,
                retryable: true
            }
        );
        let e = from_stream_error(&json!({"code": "rate_limit_exceeded", "message": "slow"}));
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (ErrorKind::RateLimit, 429, true)
        );
        let e = from_stream_error(&json!({"code": "context_length_exceeded", "message": "m"}));
        assert_eq!(e.kind, ErrorKind::ContextLength);
        let e = from_stream_error(&json!({"code": "invalid_prompt", "message": "m"}));
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        let e = from_stream_error(&json!({"code": 529, "message": "busy"}));
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (ErrorKind::Overloaded, 529, true)
        );
        let e = from_stream_error(&json!({"code": "weird", "message": "?"}));
        assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502));
        let e = from_stream_error(&json!({}));
        assert_eq!(e.message, "upstream stream error: {}");
    }
}
