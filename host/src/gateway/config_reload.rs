//! Config reload: the config file is watched, and a changed file that loads
//! and builds replaces the live config atomically. Requests in flight
//! finish on the config they began with. A file that does not load (bad
//! TOML, an unset `${VAR}`, a missing plugin, an `init` that refuses its
//! config) changes nothing: the reason is logged and the running config
//! stays.
//!
//! Some keys take effect only when the gateway starts: the listener, the
//! worker count, the body limit, the sandbox limits, the HTTP client and
//! the plugins folder. A change to one of them keeps the running value and
//! logs that it needs a restart.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::config_watch::ConfigWatch;
use super::state::{Gateway, SetupError, build_live};
use super::watch::{FolderWatcher, WatchError, watch_folder};
use crate::config::{Config, ConfigError};
use crate::server::{BindError, check_bind};

/// Why a changed config was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ConfigReloadError {
    /// The file did not load.
    #[error(transparent)]
    Load(#[from] ConfigError),
    /// It would leave a public listener without access keys.
    #[error(transparent)]
    Unprotected(#[from] BindError),
    /// A plugin it names is missing, of the wrong kind, or refused its
    /// config.
    #[error(transparent)]
    Setup(#[from] SetupError),
}

impl Gateway {
    /// Watch the config file at `path` and apply each change (see
    /// [`Gateway::reload_config`]) until the returned watcher is dropped.
    /// `load` reads the file as the gateway was started with it (command-line
    /// overrides applied).
    pub fn watch_config(
        self: &Arc<Self>,
        path: &Path,
        load: impl Fn() -> Result<Config, ConfigError> + Send + 'static,
    ) -> Result<FolderWatcher, WatchError> {
        let watch = ConfigWatch::of(path);
        let file = path.to_path_buf();
        let shown = path.display().to_string();
        // What the file held when last read: only a change applies (a
        // rename of the same text, or a `touch`, does not reload).
        let seen = RefCell::new(std::fs::read(path).ok());
        let dirs = watch.dirs.clone();
        let watcher = watch_folder(
            self,
            &dirs.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            "wasmgate-config",
            move |paths| watch.relevant(paths),
            move |gw, runtime| {
                let now = std::fs::read(&file).ok();
                if *seen.borrow() == now {
                    return;
                }
                seen.replace(now);
                let applied = load()
                    .map_err(ConfigReloadError::from)
                    .and_then(|next| runtime.block_on(gw.reload_config(next)));
                if let Err(error) = applied {
                    tracing::error!(path = %shown, %error, "config change not applied; the running config stays");
                }
            },
        )?;
        tracing::info!(path = %path.display(), "watching the config file");
        Ok(watcher)
    }

    /// Make `next` the live config: its upstreams, filters, access keys and
    /// origins serve the next request. The keys that need a restart keep
    /// their running values; `Ok` names those that `next` changed.
    pub async fn reload_config(
        &self,
        mut next: Config,
    ) -> Result<Vec<&'static str>, ConfigReloadError> {
        // One reload at a time, plugins folder included.
        let _guard = self.reloading.lock().await;
        let live = self.live.load_full();
        let restart = keep_start_only(&live.config, &mut next);
        for key in &restart {
            tracing::warn!(
                key,
                "config key changed; it applies at the next start (the running value stays)"
            );
        }
        check_bind(&next)?;
        let built = build_live(
            &self.runtime,
            self.kv(),
            next,
            live.catalog.clone(),
            Some(&live),
        )
        .await?;
        tracing::info!(
            upstreams = built.upstreams.len(),
            filters = built.filters.len(),
            access_keys = built.config.server.api_keys.len(),
            "config reloaded"
        );
        self.live.store(Arc::new(built));
        Ok(restart)
    }
}

/// Copy the keys that apply only at start from `running` into `next`, and
/// name those that differed.
fn keep_start_only(running: &Config, next: &mut Config) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let (server, next_server) = (&running.server, &mut next.server);
    keep(
        "server.listen",
        &server.listen,
        &mut next_server.listen,
        &mut changed,
    );
    keep(
        "server.workers",
        &server.workers,
        &mut next_server.workers,
        &mut changed,
    );
    keep(
        "server.max_body_bytes",
        &server.max_body_bytes,
        &mut next_server.max_body_bytes,
        &mut changed,
    );
    keep("plugins", &running.plugins, &mut next.plugins, &mut changed);
    keep("runtime", &running.runtime, &mut next.runtime, &mut changed);
    keep("http", &running.http, &mut next.http, &mut changed);
    changed
}

/// `next` takes `running`'s value; `key` is named if they differed.
fn keep<T: PartialEq + Clone>(
    key: &'static str,
    running: &T,
    next: &mut T,
    changed: &mut Vec<&'static str>,
) {
    if running != next {
        *next = running.clone();
        changed.push(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_only_keys_keep_their_running_values_and_are_named() -> Result<(), ConfigError> {
        let running = Config::parse("[server]\nlisten = \"127.0.0.1:1000\"\napi_keys = [\"a\"]\n")?;
        let mut next = Config::parse(
            "[server]\nlisten = \"127.0.0.1:2000\"\napi_keys = [\"b\"]\n[runtime]\ncall_deadline_ms = 7\n",
        )?;
        let changed = keep_start_only(&running, &mut next);
        assert_eq!(changed, ["server.listen", "runtime"]);
        assert_eq!(next.server.listen, running.server.listen);
        assert_eq!(
            next.runtime.call_deadline_ms,
            running.runtime.call_deadline_ms
        );
        // A live key takes the new value.
        assert_eq!(next.server.api_keys, ["b"]);
        let mut same = running.clone();
        assert!(keep_start_only(&running, &mut same).is_empty());
        Ok(())
    }
}
