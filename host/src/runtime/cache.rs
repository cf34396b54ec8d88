//! Compiled components cached on disk, keyed by content hash and the engine's
//! compatibility hash, so a restart does not recompile.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::{RuntimeError, engine};

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
        let path = self
            .dir
            .as_ref()
            .map(|dir| dir.join(artifact_name(engine, bytes)));
        if let Some(path) = &path
            && path.exists()
        {
            match deserialize(engine, path) {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "stale cached component; recompiling");
                }
            }
        }
        let serialized = precompile(bytes)?;
        if let Some(path) = &path {
            match write_atomically(path, &serialized) {
                // Mapped from the file, as on a warm start: the code is then
                // page cache shared with other processes, not private memory.
                Ok(()) => return deserialize(engine, path),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot write component cache");
                }
            }
        }
        deserialize_bytes(engine, &serialized)
    }
}

/// Compile `bytes` on an engine of their own (see [`engine::compiler`]).
fn precompile(bytes: &[u8]) -> Result<Vec<u8>, RuntimeError> {
    // Said plainly: wasmtime's own message dumps the header bytes, one
    // line each.
    if !bytes.starts_with(b"\0asm") {
        return Err(RuntimeError::Compile(
            "not a WebAssembly file (it does not begin with `\\0asm`)".into(),
        ));
    }
    let compiler = engine::compiler()?;
    on_own_threads(|| compiler.precompile_component(bytes))
        .map_err(|e| RuntimeError::Compile(format!("{e:#}")))
}

/// Write under a unique temporary name, then rename: concurrent loaders
/// (threads or processes) never see a partly written artifact.
fn write_atomically(path: &Path, serialized: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{unique}", std::process::id()));
    let written = std::fs::write(&tmp, serialized).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Run a compilation on a thread pool of its own that ends with it.
///
/// What the compiler threads freed stays in their allocator heaps. Idle
/// threads of rayon's global pool would hold it (about 35 MB after the
/// bundled plugins) for the life of the process; threads that exit give it
/// back.
fn on_own_threads<R: Send>(compile: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("wasmgate-compile-{i}"))
        .build()
    {
        Ok(pool) => pool.install(compile),
        Err(error) => {
            tracing::warn!(%error, "cannot start compiler threads; compiling on the global pool");
            compile()
        }
    }
}

/// `<sha256 of the wasm>-<engine compatibility hash>.cwasm`
fn artifact_name(engine: &Engine, bytes: &[u8]) -> String {
    format!(
        "{}-{:016x}.cwasm",
        super::plugin::sha256_hex(bytes),
        compatibility(engine)
    )
}

/// What an artifact must have been compiled for to load into `engine`.
fn compatibility(engine: &Engine) -> u64 {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> Result<Component, RuntimeError> {
    // SAFETY: the file is an artifact this host wrote itself with
    // `precompile_component` on [`engine::compiler`], whose compatibility
    // hash is the serving engine's (that hash is part of the file name).
    unsafe { Component::deserialize_file(engine, path) }
        .map_err(|e| RuntimeError::Compile(format!("{e:#}")))
}

#[allow(unsafe_code)]
fn deserialize_bytes(engine: &Engine, serialized: &[u8]) -> Result<Component, RuntimeError> {
    // SAFETY: `serialized` was produced just now by `precompile_component`
    // on [`engine::compiler`], which compiles for this engine's settings.
    unsafe { Component::deserialize(engine, serialized) }
        .map_err(|e| RuntimeError::Compile(format!("{e:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serving_engine() -> Result<Engine, RuntimeError> {
        engine::build(8, 64 << 20)
    }

    /// The throwaway compiler builds code the serving engine accepts, with
    /// or without a cache folder.
    #[test]
    fn the_compiler_engine_builds_for_the_serving_engine() -> Result<(), RuntimeError> {
        let engine = serving_engine()?;
        let compiler = engine::compiler()?;
        assert_eq!(compatibility(&compiler), compatibility(&engine));
        let bytes = crate::catalog::BUNDLED[0].1;
        ComponentCache::new(None).load(&engine, bytes)?;
        Ok(())
    }

    /// Many threads filling an empty cache at once all get a working
    /// component, and a later load comes from the file.
    #[test]
    fn a_file_that_is_not_wasm_is_named_in_one_line() {
        let error = precompile(b"garbage\n").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "cannot compile component: not a WebAssembly file (it does not begin with `\\0asm`)"
            )
        );
    }

    #[test]
    fn concurrent_first_loads_are_safe() -> Result<(), RuntimeError> {
        let dir = std::env::temp_dir().join(format!("wasmgate-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = ComponentCache::new(Some(dir.clone()));
        let engine = serving_engine()?;
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
        Ok(())
    }
}
