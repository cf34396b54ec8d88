//! `GET /v1/models`: the models the config serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::state::Gateway;

/// List exact model names from config; for wildcard patterns, the provider's
/// known models that match.
pub async fn list(State(gw): State<Arc<Gateway>>) -> Json<Value> {
    let live = gw.live.load();
    let mut data = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for upstream in &live.config.upstreams {
        for pattern in &upstream.models {
            if !pattern.ends_with('*') && seen.insert(pattern.clone()) {
                data.push(json!({"id": pattern, "object": "model", "created": 0, "owned_by": upstream.name}));
            }
        }
    }
    Json(json!({"object": "list", "data": data}))
}
