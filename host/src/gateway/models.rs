//! `GET /v1/models`: the models the config serves, in the caller's format
//! (Anthropic's list shape when the client sends `anthropic-version`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::state::{Gateway, Live};

/// Exact model names from config; for wildcard patterns, the provider's
/// known models that match. Each with the upstream that serves it.
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

/// List the served models.
pub async fn list(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Json<Value> {
    let models = served(&gw.live.load());
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
        }));
    }
    let data: Vec<Value> = models
        .iter()
        .map(|(id, owner)| json!({"id": id, "object": "model", "created": 0, "owned_by": owner}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}
