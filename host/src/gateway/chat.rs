//! `POST /v1/chat/completions`.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;

use super::body::read_body;
use super::call;
use super::state::Gateway;
use crate::frontend::openai_chat::ChatCodec;

/// Handle one Chat Completions call.
pub async fn completions(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    call::handle(
        &gw,
        ChatCodec::default(),
        &headers,
        read_body(body, &headers),
    )
    .await
}
