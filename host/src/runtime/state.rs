//! Per-instance store data: the sandbox (WASI with nothing granted, memory
//! limits) and the host imports (`log`, `config`, `kv`, `clock`).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{clock, config, kv, log, types};
use super::call_clock::CallClock;
use crate::kv::{KvError, KvStore};

/// What one plugin use is configured with, shared by its instances.
#[derive(Debug)]
pub struct PluginEnv {
    /// Plugin name, used in logs and as the kv namespace.
    pub name: String,
    /// The plugin's config as JSON text.
    pub config: String,
    /// The gateway's kv store.
    pub kv: Arc<KvStore>,
    /// Hosts it may reach with the `http` capability: declared by the
    /// plugin and granted by the config (empty: none).
    pub http_hosts: Vec<String>,
}

/// The data of one plugin instance's `Store`.
pub struct StoreState {
    env: Arc<PluginEnv>,
    /// Built on the guest's first WASI call: most calls make none, and
    /// building it costs more than a small plugin call.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    limits: StoreLimits,
    /// Set when the guest asked for more memory than the cap allows.
    pub(crate) memory_denied: bool,
    /// Set when the guest grew its memory past its initial size (see
    /// [`super::stats::StatsSnapshot::memory_grows`]).
    pub(crate) memory_grew: bool,
    /// How long the current guest call has run, against its budget: the
    /// time it ran, not counting the time it waited for other requests on
    /// its thread, for the network, or for the OS to give its thread a core.
    pub(crate) clock: CallClock,
}

impl StoreState {
    /// A sandbox with no filesystem, network, environment or stdio.
    pub fn new(env: Arc<PluginEnv>, memory_limit_bytes: usize, deadline: Duration) -> Self {
        Self {
            env,
            wasi: None,
            table: ResourceTable::new(),
            limits: store_limits(memory_limit_bytes),
            memory_denied: false,
            memory_grew: false,
            clock: CallClock::new(deadline),
        }
    }

    /// A guest call begins now.
    pub(crate) fn start_call(&mut self) {
        self.clock.start();
    }

    /// How long the current call has run (see [`CallClock`]).
    pub(crate) fn ran(&self) -> Duration {
        self.clock.ran()
    }

    /// Set up a parked instance's store for its next request.
    pub(crate) fn rearm(&mut self, memory_limit_bytes: usize, deadline: Duration) {
        self.limits = store_limits(memory_limit_bytes);
        self.memory_denied = false;
        self.memory_grew = false;
        self.clock.set_budget(deadline);
    }
}

/// The store's limits: `memory_limit_bytes` of linear memory.
fn store_limits(memory_limit_bytes: usize) -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(memory_limit_bytes)
        // A component instantiates its core modules inside the store: one
        // to a few for Rust guests, 8 for componentize-qjs (JavaScript), 38
        // for componentize-py (libc, libpython and each C extension are
        // modules of their own).
        .instances(64)
        .build()
}

impl StoreState {
    /// The plugin use this instance serves.
    pub(crate) fn env(&self) -> &Arc<PluginEnv> {
        &self.env
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let ctx = self.wasi.get_or_insert_with(sandboxed_wasi);
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}

/// WASI with nothing granted: no preopened dirs, no sockets or name lookup,
/// no environment or arguments, stdio discarded.
fn sandboxed_wasi() -> WasiCtx {
    WasiCtx::builder()
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

impl ResourceLimiter for StoreState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if !allowed {
            self.memory_denied = true;
        } else if current > 0 {
            // Not the memory's creation (from 0 to its initial size).
            self.memory_grew = true;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

impl log::Host for StoreState {
    fn write(&mut self, level: log::Level, message: String) {
        let plugin = self.env.name.as_str();
        match level {
            log::Level::Trace => tracing::trace!(plugin, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, "{message}"),
            log::Level::Info => tracing::info!(plugin, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, "{message}"),
            log::Level::Error => tracing::error!(plugin, "{message}"),
        }
    }
}

impl config::Host for StoreState {
    fn get(&mut self) -> String {
        self.env.config.clone()
    }
}

impl kv::Host for StoreState {
    fn get(&mut self, key: String) -> Option<Vec<u8>> {
        self.env.kv.get(&self.env.name, &key)
    }

    fn set(&mut self, key: String, value: Vec<u8>, ttl_ms: Option<u64>) -> Result<(), kv::KvError> {
        self.env
            .kv
            .set(
                &self.env.name,
                &key,
                value,
                ttl_ms.map(Duration::from_millis),
            )
            .map_err(|e| match e {
                KvError::TooLarge => kv::KvError::TooLarge,
                KvError::QuotaExceeded => kv::KvError::QuotaExceeded,
            })
    }

    fn delete(&mut self, key: String) {
        self.env.kv.delete(&self.env.name, &key);
    }
}

impl clock::Host for StoreState {
    fn now_ms(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

impl types::Host for StoreState {}
