//! The admin API: `GET /admin/plugins`, the state of every plugin.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::state::Gateway;
use crate::runtime::{CONTRACT, PluginSource};

/// Every plugin the gateway knows: where it came from (bundled, or a file
/// with its path and sha256), its state (`active`, or `failed` with the
/// error when its latest file was refused), and its call statistics.
pub async fn plugins(State(gw): State<Arc<Gateway>>) -> Json<Value> {
    let live = gw.live.load_full();
    let mut rejected = gw.rejected();
    let mut plugins: BTreeMap<String, Value> = BTreeMap::new();
    for plugin in live.catalog.all() {
        let (source, path) = match &plugin.source {
            PluginSource::Bundled => ("bundled", Value::Null),
            PluginSource::File(path) => ("file", Value::String(path.display().to_string())),
        };
        let mut entry = json!({
            "name": plugin.name,
            "kind": plugin.kind.to_string(),
            "source": source,
            "path": path,
            "sha256": plugin.sha256,
            "contract": CONTRACT,
            "version": plugin.metadata.version,
            "description": plugin.metadata.description,
            "authors": plugin.metadata.authors,
            "licenses": plugin.metadata.licenses,
            "capabilities": plugin.metadata.capabilities,
            "state": "active",
            "stats": plugin.stats.snapshot(),
        });
        if let Some(refused) = rejected.remove(&plugin.name) {
            // The file was refused; the version above keeps serving.
            entry["rejected_file"] = json!({
                "path": refused.path.display().to_string(),
                "sha256": refused.sha256,
                "error": refused.error,
            });
        }
        plugins.insert(plugin.name.clone(), entry);
    }
    // Refused files with no working plugin of that name.
    for (name, refused) in rejected {
        plugins.insert(
            name.clone(),
            json!({
                "name": name,
                "source": "file",
                "path": refused.path.display().to_string(),
                "sha256": refused.sha256,
                "contract": CONTRACT,
                "state": "failed",
                "error": refused.error,
            }),
        );
    }
    Json(json!({
        "contract": CONTRACT,
        "plugins": plugins.into_values().collect::<Vec<_>>(),
    }))
}
