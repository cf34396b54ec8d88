//! The Wasm runtime. This is the only module that touches wasmtime; the rest
//! of the gateway sees plugins as typed handles ([`ProviderInstance`],
//! [`FilterInstance`]).

pub mod bindings;
mod cache;
mod call_clock;
mod check;
mod engine;
mod error;
mod exports;
mod filter;
mod http_grant;
mod instance;
mod metadata;
mod plugin;
mod provider;
pub mod sections;
mod state;
mod stats;
mod warm;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use crate::config::RuntimeConfig;

pub use cache::ComponentCache;
pub use check::{Checked, check, smoke_filter};
pub use error::PluginError;
pub use filter::{FilterInstance, MessageEdit, RequestAction, apply_edits};
pub use http_grant::capability as http_capability;
pub use metadata::{CAPABILITIES_SECTION, PluginMetadata};
pub use plugin::{CONTRACT, Plugin, PluginKind, PluginSource, sha256_hex};
pub use provider::{Outgoing, ProviderInstance};
pub use state::PluginEnv;
pub use stats::{CallEnd, CallStats, StatsSnapshot};
pub use warm::{IDLE_PER_USE, REUSE_CAPABILITY, Warm};

use state::StoreState;

/// Why the runtime or a plugin could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine could not be created.
    #[error("cannot create the Wasm engine: {0}")]
    Engine(String),
    /// The bytes are not a valid component.
    #[error("cannot compile component: {0}")]
    Compile(String),
    /// The component does not implement a known world of this contract.
    #[error("not a wasmgate plugin: {0}")]
    NotAPlugin(String),
    /// The component's imports cannot be satisfied.
    #[error("cannot link component: {0}")]
    Link(String),
}

/// Sandbox settings applied to every plugin call.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Running-time budget of one call (see [`crate::config::RuntimeConfig`]).
    pub call_deadline: Duration,
    /// Memory cap of one instance, in MiB.
    pub memory_limit_mib: u32,
    /// Pool size.
    pub max_instances: u32,
    /// The largest request body the gateway takes (`server.max_body_bytes`):
    /// the most [`Limits::for_request`] adds to the memory cap is
    /// [`REQUEST_ALLOWANCE`] times it.
    pub max_request_bytes: usize,
}

/// Linear memory a plugin may use per byte of the request, on top of the
/// configured cap: room to hold the request as the host hands it in, the
/// body it writes, and one working copy. Without it a 15 MB image, under
/// the 20 MiB body limit, took a provider past the 64 MiB default cap.
pub const REQUEST_ALLOWANCE: usize = 3;

/// Running time a plugin call may take per MiB of the request, on top of
/// the configured deadline: a provider writes a 20 MiB request in 20 to 60
/// ms here, close to the 100 ms default, so the largest requests get up to
/// 200 ms more. The deadline stops runaway plugins; it should not fail a
/// plugin for the size of what it was given.
pub const DEADLINE_PER_MIB: Duration = Duration::from_millis(10);

impl From<&RuntimeConfig> for Limits {
    fn from(config: &RuntimeConfig) -> Self {
        Self {
            call_deadline: Duration::from_millis(config.call_deadline_ms),
            memory_limit_mib: config.memory_limit_mib,
            max_instances: config.max_instances,
            max_request_bytes: 0,
        }
    }
}

impl Limits {
    /// These limits, for requests of up to `max_request_bytes`.
    pub fn with_max_request(self, max_request_bytes: usize) -> Self {
        Self {
            max_request_bytes,
            ..self
        }
    }

    /// The limits of the instances serving one request whose body is
    /// `bytes` long (at most `max_request_bytes`): the memory cap grows by
    /// [`REQUEST_ALLOWANCE`] times it, and the call deadline by
    /// [`DEADLINE_PER_MIB`] for each whole MiB of it.
    pub fn for_request(self, bytes: usize) -> Self {
        let bytes = bytes.min(self.max_request_bytes);
        let allowance = bytes
            .saturating_mul(REQUEST_ALLOWANCE)
            .div_ceil(1024 * 1024);
        let whole_mib = u32::try_from(bytes / (1024 * 1024)).unwrap_or(u32::MAX);
        Self {
            memory_limit_mib: self
                .memory_limit_mib
                .saturating_add(u32::try_from(allowance).unwrap_or(u32::MAX)),
            call_deadline: self
                .call_deadline
                .saturating_add(DEADLINE_PER_MIB.saturating_mul(whole_mib)),
            ..self
        }
    }

    /// The largest memory cap [`Limits::for_request`] gives, in bytes.
    fn largest_memory_bytes(&self) -> usize {
        memory_bytes(self.memory_limit_mib)
            .saturating_add(self.max_request_bytes.saturating_mul(REQUEST_ALLOWANCE))
    }
}

impl Default for Limits {
    /// The config file's defaults.
    fn default() -> Self {
        Self::from(&RuntimeConfig::default())
    }
}

/// The engine, the linker with the host imports, and the compile cache.
pub struct Runtime {
    engine: Engine,
    linker: Linker<StoreState>,
    cache: ComponentCache,
    limits: Limits,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime with these limits, caching compiled components in `cache_dir`.
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> Result<Self, RuntimeError> {
        let engine = engine::build(limits.max_instances, limits.largest_memory_bytes())?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
        bindings::provider::ProviderPlugin::add_to_linker::<_, HasSelf<StoreState>>(
            &mut linker,
            |state| state,
        )
        .map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
        Ok(Self {
            engine,
            linker,
            cache: ComponentCache::new(cache_dir),
            limits,
        })
    }

    /// The sandbox limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Compile (or load from cache) and link a plugin.
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        source: PluginSource,
    ) -> Result<Arc<Plugin>, RuntimeError> {
        let component = self.cache.load(&self.engine, bytes)?;
        plugin::link(&self.engine, &self.linker, name, bytes, component, source).map(Arc::new)
    }
}

fn memory_bytes(mib: u32) -> usize {
    (mib as usize).saturating_mul(1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_adds_three_times_its_size_to_the_memory_cap_up_to_the_body_limit() {
        let limits = Limits::default().with_max_request(20 * 1024 * 1024);
        assert_eq!(limits.for_request(0).memory_limit_mib, 64);
        assert_eq!(limits.for_request(1).memory_limit_mib, 65);
        assert_eq!(limits.for_request(10 * 1024 * 1024).memory_limit_mib, 94);
        // Never past what the pool was sized for.
        assert_eq!(limits.for_request(usize::MAX).memory_limit_mib, 124);
        assert_eq!(limits.largest_memory_bytes(), 124 * 1024 * 1024);
        assert_eq!(Limits::default().for_request(1 << 20).memory_limit_mib, 64);
    }

    #[test]
    fn a_request_adds_ten_ms_per_whole_mib_to_the_deadline_up_to_the_body_limit() {
        let limits = Limits::default().with_max_request(20 * 1024 * 1024);
        let deadline = |bytes: usize| limits.for_request(bytes).call_deadline.as_millis();
        assert_eq!(deadline(0), 100);
        assert_eq!(deadline(1024 * 1024 - 1), 100);
        assert_eq!(deadline(1024 * 1024), 110);
        assert_eq!(deadline(20 * 1024 * 1024), 300);
        assert_eq!(deadline(usize::MAX), 300);
        // With no body limit known, nothing is added.
        assert_eq!(
            Limits::default()
                .for_request(1 << 30)
                .call_deadline
                .as_millis(),
            100
        );
    }
}
