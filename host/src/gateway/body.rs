//! Request bodies: the size limit as a clear 413.

use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use bytes::Bytes;

use crate::api_error::ApiError;
use crate::canonical::ErrorKind;

/// The body, or a client-format-neutral error (413 over the limit).
pub fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                ErrorKind::InvalidRequest,
                "request body is larger than the gateway's limit (server.max_body_bytes)",
            )
            .with_code("request_too_large")
        } else {
            ApiError::new(
                status,
                ErrorKind::InvalidRequest,
                format!("cannot read request body: {}", rejection.body_text()),
            )
        }
    })
}
