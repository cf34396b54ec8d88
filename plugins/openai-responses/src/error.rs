//! Typed errors: the shared constructors (`invalid_request`, `upstream`, …,
//! written by `wasmgate_wire::wit_errors!`), the mapping from a failed
//! upstream HTTP response to a canonical error, and the mapping of in-stream
//! error objects.

use serde_json::Value;
use wasmgate_wire::{Failure, KindName, message, status};

use crate::PLUGIN_ID;
use crate::types::{Error, ErrorKind};

wasmgate_wire::wit_errors!(Error, ErrorKind, PLUGIN_ID);

/// Phrases of an error message that say the prompt was too long for the
/// model.
const CONTEXT_LENGTH: &[&str] = &[
    "context length",
    "context window",
    "maximum context",
    "context_length_exceeded",
];

/// The canonical error kind for an upstream HTTP status, error message and
/// error code: any 4xx that says the prompt was too long is a
/// context-length error, a 400 whose code names a safety system a content
/// filter.
fn kind_for_status(status: u16, message: &str, code: &str) -> KindName {
    let too_long =
        code == "context_length_exceeded" || status::mentions_any(message, CONTEXT_LENGTH);
    if (400..=499).contains(&status) && too_long {
        return KindName::ContextLength;
    }
    if status == 400 && mentions_content_filter(code) {
        return KindName::ContentFilter;
    }
    status::kind_for_status(status, too_long)
}

/// True when an error code says a safety system refused the request.
fn mentions_content_filter(code: &str) -> bool {
    code.contains("content_policy") || code.contains("content_filter")
}

/// The error for a client `status` (400..=599), its message and error code.
fn for_status(status: u16, message: String, code: &str) -> Failure {
    let kind = kind_for_status(status, &message, code);
    Failure::for_status(status, kind, message)
}

/// The canonical error for a non-2xx upstream response. The message is
/// OpenAI's `error.message`, else the body text, else the status; clipped.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let json = serde_json::from_slice::<Value>(body).ok();
    let message = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(message::error_text)
        .map(message::clip)
        .unwrap_or_else(|| message::body_text(status, body));
    let code = json
        .as_ref()
        .and_then(|j| j.pointer("/error/code"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    for_status(status::client_status(status), message, code).into()
}

/// The canonical error for an error object met inside a stream or a failed
/// response: `{code, message}` (the `error` event itself, or
/// `response.error` of `response.failed`).
pub fn from_stream_error(err: &Value) -> Error {
    let message = message::describe(err, "upstream stream error");
    let failure = match err.get("code") {
        Some(Value::String(code)) => for_code(code, message),
        Some(Value::Number(n)) => {
            let status = n
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .map_or(502, status::client_status);
            for_status(status, message, "")
        }
        _ => Failure::upstream(message, 502, false),
    };
    failure.into()
}

/// The error for a Responses error `code` (an HTTP status as text, or a
/// name such as `rate_limit_exceeded`).
fn for_code(code: &str, message: String) -> Failure {
    if let Ok(status) = code.parse::<u16>()
        && (400..=599).contains(&status)
    {
        return for_status(status, message, "");
    }
    let (kind, status, retryable) = match code {
        "server_error" => (KindName::Upstream, 502, true),
        "rate_limit_exceeded" => (KindName::RateLimit, 429, true),
        "insufficient_quota" => (KindName::RateLimit, 429, false),
        "context_length_exceeded" => (KindName::ContextLength, 400, false),
        "vector_store_timeout" => (KindName::Timeout, 504, true),
        c if mentions_content_filter(c) => (KindName::ContentFilter, 400, false),
        c if c.starts_with("invalid_") || c.starts_with("empty_") => {
            (KindName::InvalidRequest, 400, false)
        }
        _ => (KindName::Upstream, 502, false),
    };
    Failure {
        kind,
        message,
        status,
        retryable,
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
