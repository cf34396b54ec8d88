//! Typed errors: the shared constructors (`invalid_request`, `upstream`, …,
//! written by `wasmgate_wire::wit_errors!`) and the mapping from a failed
//! upstream HTTP response to a canonical error.

use serde_json::Value;
use wasmgate_wire::{message, status};

use crate::types::{Error, ErrorKind};

wasmgate_wire::wit_errors!(Error, ErrorKind, "openai");

/// Phrases of an error message that say the prompt was too long for the
/// model.
const CONTEXT_LENGTH: &[&str] = &[
    "context length",
    "maximum context",
    "context_length_exceeded",
];

/// True when a request that failed with `status` may succeed if retried:
/// as for every provider, except that a 409 is not retried here.
pub fn is_retryable(status: u16) -> bool {
    status != 409 && status::is_retryable(status)
}

/// The canonical error kind for an upstream HTTP status and message. Unlike
/// the other providers, a 413 that does not mention the context length is a
/// plain invalid request here.
pub fn kind_for_status(status: u16, message: &str) -> ErrorKind {
    let too_long = status::mentions_any(message, CONTEXT_LENGTH);
    match status {
        413 if !too_long => ErrorKind::InvalidRequest,
        _ => status::kind_for_status(status, too_long).into(),
    }
}

/// The canonical error for a non-2xx upstream response. The message is
/// OpenAI's `error.message` (whole), else the body text (clipped), else the
/// status.
pub fn from_http(status: u16, body: &[u8]) -> Error {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|json| error_message(&json))
        .unwrap_or_else(|| message::body_text(status, body));
    let status = status::client_status(status);
    Error {
        kind: kind_for_status(status, &message),
        message,
        status,
        retryable: is_retryable(status),
    }
}

/// `error.message` of an OpenAI error object (or `error` itself when it is
/// a plain string).
pub fn error_message(json: &Value) -> Option<String> {
    json.get("error")
        .and_then(message::error_text)
        .map(str::to_string)
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
