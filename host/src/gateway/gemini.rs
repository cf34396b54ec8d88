//! Gemini routes: `POST /v1beta/models/{model}:{action}` (and `/v1/`),
//! `GET /v1beta/models` and `GET /v1beta/models/{model}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::body::read_body;
use super::call;
use super::models::served;
use super::state::{Gateway, Live};
use crate::api_error::ApiError;
use crate::canonical::ErrorKind;
use crate::frontend::Format;
use crate::frontend::gemini::{self, Action, GeminiCodec};

/// The methods every listed model supports.
const METHODS: [&str; 3] = ["generateContent", "streamGenerateContent", "countTokens"];

/// `POST …/models/{model}:{action}`: the model may hold `/` (an
/// `upstream/model` address), so the whole rest of the path is split at its
/// last `:`. Query parameters other than `alt` (such as `key`) are ignored.
pub async fn call(
    State(gw): State<Arc<Gateway>>,
    rest: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let rest = match rest {
        Ok(Path(rest)) => rest,
        Err(rejection) => return bad_path(&rejection.body_text()),
    };
    let (model, action) = match gemini::split_action(&rest) {
        Ok(split) => split,
        Err(action) => {
            let message = if action.is_empty() {
                format!(
                    "no action in `models/{rest}`: POST `models/{{model}}:generateContent`, `:streamGenerateContent` or `:countTokens`"
                )
            } else {
                format!(
                    "method `{action}` is not served here: use `generateContent`, `streamGenerateContent` or `countTokens`"
                )
            };
            let error = ApiError::new(StatusCode::NOT_FOUND, ErrorKind::NotFound, message);
            return Format::Gemini.error_response(&error);
        }
    };
    match action {
        Action::Generate => {
            let codec = GeminiCodec::new(model, false, false);
            call::handle(&gw, codec, &headers, read_body(body, &headers)).await
        }
        Action::StreamGenerate => {
            let codec = GeminiCodec::new(model, true, gemini::wants_sse(query.as_deref()));
            call::handle(&gw, codec, &headers, read_body(body, &headers)).await
        }
        Action::CountTokens => count_tokens(&gw, &model, read_body(body, &headers)),
    }
}

/// `:countTokens`: a local estimate (`frontend::tokens`); the upstream is
/// not called.
fn count_tokens(gw: &Gateway, model: &str, body: Result<Bytes, ApiError>) -> Response {
    let result = body.and_then(|body| {
        let req = gemini::decode_count_tokens(&body, model)?;
        let live = gw.live.load();
        if crate::routing::resolve(&live.config.upstreams, model).is_none() {
            return Err(unknown_model(model));
        }
        Ok(crate::frontend::tokens::estimate(&req))
    });
    match result {
        Ok(total) => Json(json!({"totalTokens": total})).into_response(),
        Err(error) => {
            tracing::info!(status = error.status.as_u16(), message = %error.message, "countTokens failed");
            Format::Gemini.error_response(&error)
        }
    }
}

/// `GET /v1beta/models`.
pub async fn list(State(gw): State<Arc<Gateway>>) -> Response {
    Json(list_body(&gw.live.load())).into_response()
}

/// The Gemini model list for `live`.
pub fn list_body(live: &Live) -> Value {
    let models: Vec<Value> = served(live)
        .into_iter()
        .map(|(id, upstream)| model_json(&id, &upstream))
        .collect();
    json!({"models": models})
}

/// `GET /v1beta/models/{model}`: a served model (an exact config name, a
/// pattern match or `upstream/model`), else 404.
pub async fn get_model(
    State(gw): State<Arc<Gateway>>,
    rest: Result<Path<String>, PathRejection>,
) -> Response {
    let rest = match rest {
        Ok(Path(rest)) => rest,
        Err(rejection) => return bad_path(&rejection.body_text()),
    };
    let model = gemini::model_name(&rest);
    let live = gw.live.load();
    match super::models::served_by(&live, &model) {
        Some(upstream) => Json(model_json(&model, upstream)).into_response(),
        None => Format::Gemini.error_response(&unknown_model(&model)),
    }
}

/// True for a request from a Gemini client: it carries its key in
/// `x-goog-api-key` or `?key=`. Used where a path is shared with OpenAI
/// (`GET /v1/models`).
pub fn is_gemini_client(headers: &HeaderMap, query: Option<&str>) -> bool {
    headers.contains_key("x-goog-api-key")
        || query.is_some_and(|q| q.split('&').any(|pair| pair.starts_with("key=")))
}

fn model_json(id: &str, upstream: &str) -> Value {
    json!({
        "name": format!("models/{id}"),
        "baseModelId": id,
        "version": "1",
        "displayName": id,
        "description": format!("served by upstream `{upstream}`"),
        "supportedGenerationMethods": METHODS,
    })
}

fn unknown_model(model: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorKind::NotFound,
        format!("model `{model}` is not served here; GET /v1beta/models lists what is"),
    )
    .with_code("model_not_found")
}

fn bad_path(reason: &str) -> Response {
    let error = ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorKind::InvalidRequest,
        format!("cannot read the model from the path: {reason}"),
    );
    Format::Gemini.error_response(&error)
}
