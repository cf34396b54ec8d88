//! Errors in Anthropic's shape:
//! `{"type":"error","error":{"type":"invalid_request_error","message":"…"}}`.

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;
use crate::canonical::ErrorKind;

/// The Anthropic error body for `error` (also the `error` stream event's data).
pub fn error_body(error: &ApiError) -> serde_json::Value {
    serde_json::json!({
        "type": "error",
        "error": {"type": error_type(error), "message": error.message},
    })
}

/// An HTTP response carrying the Anthropic error body.
pub fn error_response(error: &ApiError) -> Response {
    (error.status, Json(error_body(error))).into_response()
}

fn error_type(error: &ApiError) -> &'static str {
    if error.status.as_u16() == 413 {
        return "request_too_large";
    }
    match error.kind {
        ErrorKind::InvalidRequest | ErrorKind::ContextLength | ErrorKind::ContentFilter => {
            "invalid_request_error"
        }
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Overloaded => "overloaded_error",
        ErrorKind::Timeout => "timeout_error",
        ErrorKind::Upstream | ErrorKind::Plugin | ErrorKind::Internal => "api_error",
    }
}
