//! Watching a folder for changes: the plugins folder (hot swap) and the
//! config file's folder (config reload) share it. Each change runs on a
//! thread of its own, never on a request worker, one at a time, after the
//! burst of events it came in has settled.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::state::Gateway;

/// Events closer together than this count as one change (editors and `cp`
/// write, rename and chmod in bursts).
const DEBOUNCE: Duration = Duration::from_millis(50);

/// Watches while it lives; dropping it stops watching.
pub struct FolderWatcher {
    _watcher: notify::RecommendedWatcher,
}

impl std::fmt::Debug for FolderWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FolderWatcher")
    }
}

/// Why a folder cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The config sets no `plugins.dir`.
    #[error("no plugins folder is configured")]
    NoFolder,
    /// The file watcher failed.
    #[error("cannot watch {path}: {source}")]
    Notify {
        /// The folder.
        path: PathBuf,
        /// The watcher's error.
        source: notify::Error,
    },
    /// The watching thread could not start.
    #[error("cannot start the thread `{thread}`: {source}")]
    Thread {
        /// The thread's name.
        thread: &'static str,
        /// Why it did not start.
        source: std::io::Error,
    },
}

/// Watch `dirs` (not their subfolders): after each burst of events that
/// `relevant` accepts, run `on_change` with the gateway and a runtime of
/// the watching thread's own. Stops when the watcher is dropped or the
/// gateway is gone.
pub(super) fn watch_folder(
    gw: &Arc<Gateway>,
    dirs: &[&Path],
    thread: &'static str,
    relevant: impl Fn(&[PathBuf]) -> bool + Send + 'static,
    on_change: impl Fn(&Gateway, &tokio::runtime::Runtime) + Send + 'static,
) -> Result<FolderWatcher, WatchError> {
    let (tx, rx) = mpsc::channel::<()>();
    let notify_error = |dir: &Path| {
        let path = dir.to_path_buf();
        move |source| WatchError::Notify { path, source }
    };
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Not reads (opening and closing a file): the reload reads the files.
        if event.is_ok_and(|e| !e.kind.is_access() && relevant(&e.paths)) {
            let _ = tx.send(());
        }
    })
    .map_err(notify_error(
        dirs.first().copied().unwrap_or(Path::new(".")),
    ))?;
    for dir in dirs {
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(notify_error(dir))?;
    }
    let gw = Arc::downgrade(gw);
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    tracing::error!(%error, thread, "watching thread has no runtime; changes are not applied");
                    return;
                }
            };
            // Ends when the watcher (the only sender) is dropped.
            while rx.recv().is_ok() {
                while rx.recv_timeout(DEBOUNCE).is_ok() {}
                let Some(gw) = gw.upgrade() else { return };
                on_change(&gw, &runtime);
            }
        })
        .map_err(|source| WatchError::Thread { thread, source })?;
    Ok(FolderWatcher { _watcher: watcher })
}
