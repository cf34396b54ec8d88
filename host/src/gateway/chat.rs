//! `POST /v1/chat/completions`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::body::read_body;
use super::pipeline::{self, Outcome};
use super::state::Gateway;
use crate::frontend::{Format, openai_chat, sse};

/// Handle one Chat Completions call.
pub async fn completions(
    State(gw): State<Arc<Gateway>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let format = Format::OpenAiChat;
    let result = async {
        let body = read_body(body)?;
        let (req, options) = openai_chat::decode_request(&body)?;
        let model = req.model.clone();
        let live = gw.live.load_full();
        let outcome = pipeline::run(&gw, live, format, req).await?;
        Ok::<_, crate::api_error::ApiError>((outcome, options, model))
    }
    .await;
    match result {
        Ok((Outcome::Complete(response), _, model)) => {
            Json(openai_chat::encode_response(&response, &model)).into_response()
        }
        Ok((Outcome::Stream(events), options, model)) => {
            let encoder = openai_chat::ChatStreamEncoder::new(
                format!("chatcmpl-{}", gw.next_request_id()),
                model,
                options.include_usage,
            );
            sse::response(events, encoder)
        }
        Err(error) => {
            tracing::info!(status = error.status.as_u16(), message = %error.message, "chat completion failed");
            format.error_response(&error)
        }
    }
}
