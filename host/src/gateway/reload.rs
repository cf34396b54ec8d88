//! Hot swap: the plugins folder is watched; a new or changed `.wasm` file is
//! compiled and validated off the request path, then the live state is
//! swapped atomically. Requests in flight keep the `Live` they started with,
//! so they finish on the version they began on, long streams included.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::state::{Gateway, Live, build_live};
use super::watch::{FolderWatcher, WatchError, watch_folder};
use crate::catalog::{Catalog, wasm_files};
use crate::runtime::{Limits, Plugin, PluginSource, sha256_hex, smoke_filter};

/// A plugin file that failed validation: it never replaced what was running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The file.
    pub path: PathBuf,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Why it was refused.
    pub error: String,
}

/// What one rescan of the plugins folder did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reload {
    /// Plugins swapped in (new or changed files).
    pub loaded: Vec<String>,
    /// Plugins whose file went away (a bundled one of the name came back).
    pub unloaded: Vec<String>,
    /// Files refused, by plugin name.
    pub rejected: Vec<String>,
}

impl Gateway {
    /// Watch `plugins.dir` and hot-swap its plugins until the returned
    /// watcher is dropped. Reloads run on a thread of their own, never on a
    /// request worker.
    pub fn watch_plugins(self: &Arc<Self>) -> Result<FolderWatcher, WatchError> {
        let dir = self
            .live
            .load()
            .config
            .plugins
            .dir
            .clone()
            .ok_or(WatchError::NoFolder)?;
        let watcher = watch_folder(
            self,
            &[&dir],
            "wasmgate-plugins",
            touches_wasm,
            |gw, runtime| {
                runtime.block_on(gw.reload_plugins());
            },
        )?;
        tracing::info!(dir = %dir.display(), "watching the plugins folder");
        Ok(watcher)
    }

    /// Rescan the plugins folder now: compile and validate new and changed
    /// files, unload deleted ones, and swap the result in. A file that fails
    /// never replaces a working plugin; the reason is logged and kept (see
    /// [`Gateway::rejected`]).
    pub async fn reload_plugins(&self) -> Reload {
        // One reload at a time, so two rescans never race to store.
        let _guard = self.reloading.lock().await;
        let live = self.live.load_full();
        let mut report = Reload::default();
        let Some(dir) = live.config.plugins.dir.clone() else {
            return report;
        };
        let files = wasm_files(&dir);
        let mut catalog = live.catalog.clone();
        let mut changed = false;

        for plugin in live.catalog.all() {
            if let PluginSource::File(path) = &plugin.source
                && !files.iter().any(|(_, p)| p == path)
            {
                tracing::info!(plugin = %plugin.name, path = %path.display(), "plugin file removed; unloaded");
                catalog.unload(&plugin.name);
                report.unloaded.push(plugin.name.clone());
                changed = true;
            }
        }
        // A refusal lasts as long as its file.
        if let Ok(mut rejected) = self.rejected.lock() {
            rejected.retain(|name, _| files.iter().any(|(n, _)| n == name));
        }

        for (name, path) in files {
            let Ok(bytes) = std::fs::read(&path) else {
                // Mid-write or gone again; the next event rescans.
                continue;
            };
            let sha256 = sha256_hex(&bytes);
            let running = catalog.get(&name).is_some_and(|p| {
                p.sha256 == sha256 && p.source == PluginSource::File(path.clone())
            });
            let refused = self
                .rejected
                .lock()
                .is_ok_and(|rejected| rejected.get(&name).is_some_and(|r| r.sha256 == sha256));
            if running || refused {
                continue;
            }
            match self.candidate(&live, &catalog, &name, &path, bytes).await {
                Ok((plugin, next)) => {
                    tracing::info!(plugin = %name, path = %path.display(), sha256 = %&plugin.sha256[..12], kind = %plugin.kind, "plugin swapped in");
                    catalog = next;
                    self.forget_rejection(&name);
                    report.loaded.push(name);
                    changed = true;
                }
                Err(error) => {
                    tracing::error!(plugin = %name, path = %path.display(), %error, "plugin file rejected; the running version stays");
                    self.reject(
                        &name,
                        Rejected {
                            path,
                            sha256,
                            error,
                        },
                    );
                    report.rejected.push(name);
                }
            }
        }

        if changed {
            match build_live(
                &self.runtime,
                self.kv(),
                live.config.clone(),
                catalog,
                Some(&live),
            )
            .await
            {
                Ok(next) => self.live.store(Arc::new(next)),
                Err(error) => {
                    tracing::error!(%error, "plugin reload failed; the running plugins stay");
                }
            }
        }
        report
    }

    /// Compile `bytes` (off the request path) and check it as the hot loader
    /// must: a known world and contract, every configured use's `init`
    /// accepting its config, and a smoke call. `Ok` is the catalog with it.
    async fn candidate(
        &self,
        live: &Live,
        catalog: &Catalog,
        name: &str,
        path: &Path,
        bytes: Vec<u8>,
    ) -> Result<(Arc<Plugin>, Catalog), String> {
        let runtime = self.runtime.clone();
        let (owned_name, owned_path) = (name.to_string(), path.to_path_buf());
        let plugin = tokio::task::spawn_blocking(move || {
            runtime.load(&owned_name, &bytes, PluginSource::File(owned_path))
        })
        .await
        .map_err(|e| format!("compile task failed: {e}"))?
        .map_err(|e| e.to_string())?;
        let mut next = catalog.clone();
        next.insert(plugin.clone());
        let trial = build_live(
            &self.runtime,
            self.kv(),
            live.config.clone(),
            next.clone(),
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
        smoke(&trial, &plugin, self.runtime.limits()).await?;
        Ok((plugin, next))
    }

    /// Plugin files refused since they last changed, by plugin name.
    pub fn rejected(&self) -> HashMap<String, Rejected> {
        self.rejected.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn reject(&self, name: &str, rejected: Rejected) {
        if let Ok(mut map) = self.rejected.lock() {
            map.insert(name.to_string(), rejected);
        }
    }

    fn forget_rejection(&self, name: &str) {
        if let Ok(mut map) = self.rejected.lock() {
            map.remove(name);
        }
    }
}

/// Does a watcher event concern a `.wasm` file?
fn touches_wasm(paths: &[PathBuf]) -> bool {
    paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "wasm"))
}

/// One call of the new plugin as each configured filter use would make it
/// (`on-request` on a one-message request; providers were already asked for
/// their `info` while the trial state was built).
async fn smoke(trial: &Live, plugin: &Plugin, limits: Limits) -> Result<(), String> {
    for filter in trial
        .filters
        .iter()
        .filter(|f| f.plugin.plugin.name == plugin.name)
    {
        smoke_filter(&filter.plugin.plugin, filter.plugin.env.clone(), limits).await?;
    }
    Ok(())
}
