//! The one wasmtime `Engine`: pooling allocator and the epoch ticker.

use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::RuntimeError;

/// How often the epoch advances: a running guest yields this often, and its
/// deadline is checked this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Bytes of each memory and table slot kept resident between instances.
const KEEP_RESIDENT: usize = 2 * 1024 * 1024;

/// Core instances one plugin instance may use, at most, before the pool
/// refuses it.
const CORE_INSTANCES_PER_COMPONENT: u32 = 64;

/// Build the engine for plugins.
pub fn build(max_instances: u32, memory_limit_bytes: usize) -> Result<Engine, RuntimeError> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(max_instances)
        // A component instantiates several core modules: 3 for the bundled
        // plugins, 38 for the componentize-py example. The core count is
        // only a counter in the pool, so it is set high enough that the
        // component count is the limit that binds (`max_instances` meant
        // 333 plugin instances at 3 modules each, 52 at 38).
        .total_core_instances(max_instances.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .total_memories(max_instances.saturating_mul(2))
        .total_tables(max_instances.saturating_mul(2))
        .total_stacks(max_instances)
        .max_memory_size(memory_limit_bytes)
        // Reset a slot's touched pages in place (memset, found with
        // PAGEMAP_SCAN where the kernel has it) instead of madvise: a fresh
        // instance per request then costs no page faults or TLB shootdowns.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .decommit_batch_size(32);

    let mut config = base_config();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
    start_ticker(&engine);
    Ok(engine)
}

/// An engine that only compiles, to be dropped once it has: wasmtime's
/// compiler keeps its scratch buffers (tens of MB after the bundled plugins)
/// for as long as its engine lives. Its artifacts load into [`build`]'s
/// engine, which shares every setting that shapes compiled code.
pub fn compiler() -> Result<Engine, RuntimeError> {
    Engine::new(&base_config()).map_err(|e| RuntimeError::Engine(format!("{e:#}")))
}

/// The settings of every engine: the serving one and the compiler.
fn base_config() -> Config {
    let mut config = Config::new();
    // Guests are called with `call_async` (on fibers), so WASI's async host
    // functions (streams) work inside the tokio runtime. Component-model
    // concurrency stays off: the contract uses no WIT async.
    config.epoch_interruption(true);
    // For profiling plugins with `perf`: names JIT code in /tmp/perf-PID.map.
    if std::env::var_os("WASMGATE_PERF_MAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

/// Advance the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("wasmgate-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the epoch ticker; plugin deadlines are off");
    }
}
