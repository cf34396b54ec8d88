//! Errors in OpenAI's shape: `{"error":{"message","type","param","code"}}`.

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;
use crate::canonical::ErrorKind;

/// The OpenAI error body for `error`.
pub fn error_body(error: &ApiError) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "message": error.message,
            "type": error_type(error.kind),
            "param": error.param,
            "code": error.code,
        }
    })
}

/// An HTTP response carrying the OpenAI error body.
pub fn error_response(error: &ApiError) -> Response {
    (error.status, Json(error_body(error))).into_response()
}

fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::ContextLength | ErrorKind::ContentFilter => {
            "invalid_request_error"
        }
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Timeout => "timeout_error",
        ErrorKind::Overloaded => "overloaded_error",
        ErrorKind::Upstream | ErrorKind::Plugin | ErrorKind::Internal => "server_error",
    }
}
