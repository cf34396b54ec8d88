//! `POST /v1/messages` and `POST /v1/messages/count_tokens`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::body::read_body;
use super::call;
use super::state::Gateway;
use crate::frontend::anthropic::{AnthropicCodec, decode_request};
use crate::frontend::{Format, tokens};

/// Handle one Messages call.
pub async fn messages(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    call::handle(
        &gw,
        AnthropicCodec::default(),
        &headers,
        read_body(body, &headers),
    )
    .await
}

/// Estimate a prompt's size locally (see `frontend::tokens`).
pub async fn count_tokens(headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let counted = read_body(body, &headers).and_then(|body| decode_request(&body, &headers));
    match counted {
        Ok(req) => {
            Json(serde_json::json!({"input_tokens": tokens::estimate(&req)})).into_response()
        }
        Err(error) => Format::Anthropic.error_response(&error),
    }
}
