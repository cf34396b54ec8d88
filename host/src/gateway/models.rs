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
                    data.push(
                        json!({"id": id, "object": "model", "created": 0, "owned_by": config.name}),
                    );
                }
            }
        }
    }
    Json(json!({"object": "list", "data": data}))
}
