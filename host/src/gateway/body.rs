//! Request bodies: the size limit as a clear 413, and a compressed body as
//! a clear 415.

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;

use crate::api_error::ApiError;
use crate::canonical::ErrorKind;

/// The body, or a client-format-neutral error (413 over the limit, 415
/// compressed).
pub fn read_body(
    body: Result<Bytes, BytesRejection>,
    headers: &HeaderMap,
) -> Result<Bytes, ApiError> {
    let body = body.map_err(|rejection| {
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
    })?;
    refuse_encoded(headers)?;
    Ok(body)
}

/// A body sent with a `content-encoding` (gzip, zstd, …) is refused by name:
/// read as JSON it would fail as "not valid JSON" at its first byte.
fn refuse_encoded(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(header::CONTENT_ENCODING) {
        Some(encoding) if !encoding.as_bytes().eq_ignore_ascii_case(b"identity") => {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorKind::InvalidRequest,
                format!(
                    "request bodies with `content-encoding: {}` are not accepted; send the body uncompressed",
                    String::from_utf8_lossy(encoding.as_bytes())
                ),
            )
            .with_code("unsupported_content_encoding"))
        }
        _ => Ok(()),
    }
}
