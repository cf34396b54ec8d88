//! Errors in Google's shape: `{"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT"}}`.

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;
use crate::canonical::ErrorKind;

/// The Gemini error body for `error`.
pub fn error_body(error: &ApiError) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": error.status.as_u16(),
            "message": error.message,
            "status": status_name(error),
        }
    })
}

/// An HTTP response carrying the Gemini error body.
pub fn error_response(error: &ApiError) -> Response {
    (error.status, Json(error_body(error))).into_response()
}

fn status_name(error: &ApiError) -> &'static str {
    match error.kind {
        ErrorKind::InvalidRequest | ErrorKind::ContextLength | ErrorKind::ContentFilter => {
            "INVALID_ARGUMENT"
        }
        ErrorKind::Authentication => "UNAUTHENTICATED",
        ErrorKind::Permission => "PERMISSION_DENIED",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::RateLimit => "RESOURCE_EXHAUSTED",
        ErrorKind::Overloaded => "UNAVAILABLE",
        ErrorKind::Timeout => "DEADLINE_EXCEEDED",
        ErrorKind::Upstream | ErrorKind::Plugin | ErrorKind::Internal => "INTERNAL",
    }
}
