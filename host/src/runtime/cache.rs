//! Compiled components cached on disk, keyed by content hash and the engine's
//! compatibility hash, so a restart does not recompile.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::RuntimeError;

/// The on-disk cache of precompiled components.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: Option<PathBuf>,
}

impl ComponentCache {
    /// A cache in `dir`; `None` compiles every time.
    pub fn new(dir: Option<PathBuf>) -> Self {
        if let Some(dir) = &dir
            && let Err(error) = std::fs::create_dir_all(dir)
        {
            tracing::warn!(dir = %dir.display(), %error, "component cache disabled");
            return Self { dir: None };
        }
        Self { dir }
    }

    /// The default location: `$XDG_CACHE_HOME/wasmgate` or `~/.cache/wasmgate`.
    pub fn default_dir() -> Option<PathBuf> {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|base| base.join("wasmgate").join("components"))
    }

    /// Compile `bytes`, or load the artifact a previous run produced.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<Component, RuntimeError> {
        let Some(dir) = &self.dir else {
            return compile(engine, bytes);
        };
        let path = dir.join(artifact_name(engine, bytes));
        if path.exists() {
            match deserialize(engine, &path) {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "stale cached component; recompiling");
                }
            }
        }
        let serialized = engine
            .precompile_component(bytes)
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        // A unique temporary name, then an atomic rename: concurrent loaders
        // (threads or processes) never see a partly written artifact.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp-{}-{unique}", std::process::id()));
        let written = std::fs::write(&tmp, &serialized).and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(error) = written {
            tracing::warn!(path = %path.display(), %error, "cannot write component cache");
            let _ = std::fs::remove_file(&tmp);
        }
        deserialize_bytes(engine, &serialized)
    }
}

fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, RuntimeError> {
    Component::new(engine, bytes).map_err(|e| RuntimeError::Compile(format!("{e:#}")))
}

/// `<sha256 of the wasm>-<engine compatibility hash>.cwasm`
fn artifact_name(engine: &Engine, bytes: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!(
        "{}-{:016x}.cwasm",
        super::plugin::sha256_hex(bytes),
        hasher.finish()
    )
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> Result<Component, RuntimeError> {
    // SAFETY: the file is an artifact this host wrote itself with
    // `precompile_component` for an engine with the same compatibility hash
    // (that hash is part of the file name).
    unsafe { Component::deserialize_file(engine, path) }
        .map_err(|e| RuntimeError::Compile(format!("{e:#}")))
}

#[allow(unsafe_code)]
fn deserialize_bytes(engine: &Engine, serialized: &[u8]) -> Result<Component, RuntimeError> {
    // SAFETY: `serialized` was produced just now by `precompile_component`
    // on this same engine.
    unsafe { Component::deserialize(engine, serialized) }
        .map_err(|e| RuntimeError::Compile(format!("{e:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many threads filling an empty cache at once all get a working
    /// component, and a later load comes from the file.
    #[test]
    fn concurrent_first_loads_are_safe() {
        let dir = std::env::temp_dir().join(format!("wasmgate-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = ComponentCache::new(Some(dir.clone()));
        let engine = Engine::default();
        let bytes = crate::catalog::BUNDLED[0].1;
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| assert!(cache.load(&engine, bytes).is_ok()));
            }
        });
        assert!(cache.load(&engine, bytes).is_ok());
        let files = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(files, 1, "one artifact, no temporary files left");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
