//! `GET /v1/models` and `GET /v1/models/{model}`: the models the config
//! serves, in the caller's format: Anthropic's shape when the client sends
//! `anthropic-version`, Gemini's for a Gemini client (the google-genai SDK's
//! default API version is `v1`), OpenAI's otherwise.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::{Gateway, Live};
use crate::api_error::ApiError;
use crate::canonical::ErrorKind;
use crate::frontend::Format;

/// List the served models.
pub async fn list(
    State(gw): State<Arc<Gateway>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let live = gw.live.load();
    if super::gemini::is_gemini_client(&headers, query.as_deref()) {
        return Json(super::gemini::list_body(&live)).into_response();
    }
    let models = served(&live);
    if headers.contains_key("anthropic-version") {
        let data: Vec<Value> = models
            .iter()
            .map(|(id, _)| {
                json!({"type": "model", "id": id, "display_name": id, "created_at": "1970-01-01T00:00:00Z"})
            })
            .collect();
        return Json(json!({
            "data": data,
            "has_more": false,
            "first_id": models.first().map(|(id, _)| id),
            "last_id": models.last().map(|(id, _)| id),
        }))
        .into_response();
    }
    let data: Vec<Value> = models
        .iter()
        .map(|(id, owner)| json!({"id": id, "object": "model", "created": 0, "owned_by": owner}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

/// One served model (an exact config name, a pattern match or
/// `upstream/model`), else 404 `model_not_found`: what the OpenAI and
/// Anthropic SDKs' `models.retrieve` ask for.
pub async fn get(
    State(gw): State<Arc<Gateway>>,
    rest: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if super::gemini::is_gemini_client(&headers, query.as_deref()) {
        return super::gemini::get_model(State(gw), rest).await;
    }
    let anthropic = headers.contains_key("anthropic-version");
    let format = if anthropic {
        Format::Anthropic
    } else {
        Format::OpenAiChat
    };
    let model = match rest {
        Ok(Path(model)) => model,
        Err(rejection) => {
            let error = ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::InvalidRequest,
                format!(
                    "cannot read the model from the path: {}",
                    rejection.body_text()
                ),
            );
            return format.error_response(&error);
        }
    };
    let live = gw.live.load();
    let Some(upstream) = served_by(&live, &model) else {
        let error = ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorKind::NotFound,
            format!("model `{model}` is not served here; GET /v1/models lists what is"),
        )
        .with_code("model_not_found");
        return format.error_response(&error);
    };
    if anthropic {
        return Json(json!({"type": "model", "id": model, "display_name": model, "created_at": "1970-01-01T00:00:00Z"}))
            .into_response();
    }
    Json(json!({"id": model, "object": "model", "created": 0, "owned_by": upstream}))
        .into_response()
}

/// The name of the upstream that serves `model` (an exact config name, a
/// pattern match or `upstream/model`), if one does.
pub fn served_by<'l>(live: &'l Live, model: &str) -> Option<&'l str> {
    let route = crate::routing::resolve(&live.config.upstreams, model)?;
    live.config
        .upstreams
        .get(route.upstream)
        .map(|upstream| upstream.name.as_str())
}

/// Every model id served, once, in config order, with the name of the
/// upstream that serves it: exact names from config and, for wildcard
/// patterns, the provider's known models that match.
pub fn served(live: &Live) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (config, upstream) in live.config.upstreams.iter().zip(&live.upstreams) {
        for pattern in &config.models {
            let ids: Vec<&String> = if pattern.ends_with('*') {
                upstream
                    .known_models
                    .iter()
                    .filter(|id| crate::routing::matches(pattern, id))
                    .collect()
            } else {
                vec![pattern]
            };
            for id in ids {
                if seen.insert(id.clone()) {
                    out.push((id.clone(), config.name.clone()));
                }
            }
        }
    }
    out
}
