//! Checking a plugin the way the hot loader does before it may serve:
//! instantiate it, run `init` with a config, and make one smoke call.

use std::sync::Arc;

use super::{FilterInstance, Limits, Plugin, PluginEnv, PluginKind, ProviderInstance};
use crate::canonical::{ContentPart, Message, ProviderInfo, Request, RequestContext, Role};

/// What a passing check learned.
#[derive(Debug, Clone)]
pub struct Checked {
    /// A provider's `info()` (filters have none).
    pub info: Option<ProviderInfo>,
}

/// Instantiate `plugin` with `env` (its config), run `init`, then one smoke
/// call: `info` for a provider, `on-request` on a one-message request for a
/// filter. `Err` says, for a person, what failed.
pub async fn check(
    plugin: &Plugin,
    env: Arc<PluginEnv>,
    limits: Limits,
) -> Result<Checked, String> {
    match plugin.kind {
        PluginKind::Provider => {
            let mut instance = ProviderInstance::new(plugin, env, limits)
                .await
                .map_err(|e| format!("cannot instantiate: {e}"))?;
            init_result(instance.init().await)?;
            let info = instance
                .info()
                .await
                .map_err(|e| format!("smoke call `info` failed: {e}"))?;
            Ok(Checked { info: Some(info) })
        }
        PluginKind::Filter => {
            let mut instance = FilterInstance::new(plugin, env.clone(), limits)
                .await
                .map_err(|e| format!("cannot instantiate: {e}"))?;
            init_result(instance.init().await)?;
            smoke_filter(plugin, env, limits).await?;
            Ok(Checked { info: None })
        }
    }
}

/// `on-request` on a one-message request, in a fresh instance (as a
/// request would get it).
pub async fn smoke_filter(
    plugin: &Plugin,
    env: Arc<PluginEnv>,
    limits: Limits,
) -> Result<(), String> {
    let ctx = RequestContext {
        request_id: "wasmgate-smoke".into(),
        frontend: "openai-chat".into(),
        requested_model: "smoke".into(),
    };
    let mut instance = FilterInstance::new(plugin, env, limits)
        .await
        .map_err(|e| format!("cannot instantiate: {e}"))?;
    instance
        .on_request(&ctx, &smoke_request())
        .await
        .map(|_| ())
        .map_err(|e| format!("smoke call `on-request` failed: {e}"))
}

fn init_result(
    result: Result<Result<(), crate::canonical::Error>, super::PluginError>,
) -> Result<(), String> {
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("`init` refused the config: {}", e.message)),
        Err(e) => Err(format!("`init` failed: {e}")),
    }
}

fn smoke_request() -> Request {
    Request::new(
        "smoke",
        vec![Message::new(
            Role::User,
            vec![ContentPart::Text("ping".into())],
        )],
    )
}
