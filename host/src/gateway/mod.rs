//! The HTTP gateway: routes, auth, and the request pipeline.

mod admin;
mod anthropic;
mod assemble;
mod auth;
mod body;
mod call;
mod call_ids;
mod chat;
mod config_reload;
mod config_watch;
mod events;
mod failover;
mod gate;
mod gemini;
mod health;
mod html_page;
mod keys;
mod models;
mod origin;
mod pipeline;
mod rebinding;
mod reload;
mod responses;
mod rest;
mod retire;
mod state;
mod stream_start;
mod watch;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

pub use config_reload::ConfigReloadError;
pub use events::{EventStream, FilterChain};
pub use reload::{Rejected, Reload};
pub use state::{FilterUse, Gateway, Live, PluginUse, SetupError};
pub use watch::{FolderWatcher, WatchError};

use crate::api_error::ApiError;
use crate::canonical::ErrorKind;
use crate::frontend::Format;

/// The gateway's HTTP routes.
pub fn router(gw: Arc<Gateway>) -> Router {
    let max_body = gw.live.load().config.server.max_body_bytes;
    Router::new()
        .route("/v1/chat/completions", post(chat::completions))
        .route("/chat/completions", post(chat::completions))
        .route("/v1/messages", post(anthropic::messages))
        .route("/v1/messages/count_tokens", post(anthropic::count_tokens))
        .route("/v1/responses", post(responses::create))
        .route("/responses", post(responses::create))
        .route("/v1/models", get(models::list))
        .route("/v1beta/models", get(gemini::list))
        .route(
            "/v1beta/models/{*rest}",
            get(gemini::get_model).post(gemini::call),
        )
        .route("/v1/models/{*rest}", get(models::get).post(gemini::call))
        .route("/health", get(health))
        .route("/admin/plugins", get(admin::plugins))
        .route("/", get(root).head(root))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(gate::GateLayer::new(gw.clone()))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(gw)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn root() -> &'static str {
    "wasmgate: an LLM API gateway. POST /v1/chat/completions\n"
}

async fn not_found(uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorKind::NotFound,
        format!("no route for {}", uri.path()),
    );
    Format::from_path(uri.path()).error_response(&error)
}

/// A known path asked with the wrong method: an error in the path's
/// format, not an empty 405.
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::InvalidRequest,
        format!("{method} is not allowed on {}", uri.path()),
    );
    Format::from_path(uri.path()).error_response(&error)
}
