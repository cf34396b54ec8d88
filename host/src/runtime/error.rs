//! Typed plugin failures.

use std::time::Duration;

use wasmtime::Trap;

/// Why a guest call was stopped when it held its request too long without
/// running (see [`super::call_clock::CallClock::bound`]).
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("the guest held its request for {held:?} waiting inside a host call")]
pub(crate) struct Stalled {
    /// The wall time it held the request, less its time away, when stopped.
    pub(crate) held: Duration,
}

/// A plugin failed to do its job. The request fails; the gateway goes on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginError {
    /// The plugin trapped (panic, `unreachable`, out-of-bounds access…).
    #[error("plugin `{plugin}` trapped: {detail}")]
    Trap {
        /// Plugin name.
        plugin: String,
        /// What wasmtime reported.
        detail: String,
    },
    /// The plugin ran past its per-call deadline.
    #[error("plugin `{plugin}` exceeded its {deadline_ms} ms call deadline")]
    Deadline {
        /// Plugin name.
        plugin: String,
        /// The configured deadline.
        deadline_ms: u64,
    },
    /// The plugin waited inside a host call (a sleep) for
    /// [`WALL_FACTOR`] times its deadline: no epoch tick reaches a guest
    /// that is not running.
    ///
    /// [`WALL_FACTOR`]: super::call_clock::WALL_FACTOR
    #[error(
        "plugin `{plugin}` exceeded its {deadline_ms} ms call deadline: it held its request for \
         {held_ms} ms waiting inside a host call"
    )]
    Stalled {
        /// Plugin name.
        plugin: String,
        /// The configured deadline.
        deadline_ms: u64,
        /// The wall time it was stopped at.
        held_ms: u64,
    },
    /// The plugin tried to grow its memory past the cap.
    #[error("plugin `{plugin}` exceeded its {limit_mib} MiB memory limit")]
    MemoryLimit {
        /// Plugin name.
        plugin: String,
        /// The configured cap.
        limit_mib: u32,
    },
    /// The plugin returned something that breaks the contract.
    #[error("plugin `{plugin}` broke the contract: {detail}")]
    Contract {
        /// Plugin name.
        plugin: String,
        /// Which rule.
        detail: String,
    },
    /// The plugin could not be instantiated (for example the pool is full).
    #[error("plugin `{plugin}` could not start: {detail}")]
    Instantiate {
        /// Plugin name.
        plugin: String,
        /// Why.
        detail: String,
    },
    /// Every plugin instance the gateway may run at once is in use
    /// (`runtime.max_instances`): the request came at a busy moment, and
    /// the plugin did nothing wrong.
    #[error(
        "the gateway is busy: every one of its {max_instances} plugin instances \
         (runtime.max_instances) is in use, so plugin `{plugin}` could not start; try again shortly"
    )]
    Busy {
        /// Plugin name.
        plugin: String,
        /// The configured pool size.
        max_instances: u32,
    },
    /// An earlier call of this instance failed; the instance is dead.
    #[error("plugin `{plugin}` instance is unusable after an earlier failure")]
    Poisoned {
        /// Plugin name.
        plugin: String,
    },
}

impl PluginError {
    /// The plugin this error is about.
    pub fn plugin(&self) -> &str {
        match self {
            PluginError::Trap { plugin, .. }
            | PluginError::Deadline { plugin, .. }
            | PluginError::Stalled { plugin, .. }
            | PluginError::MemoryLimit { plugin, .. }
            | PluginError::Contract { plugin, .. }
            | PluginError::Instantiate { plugin, .. }
            | PluginError::Busy { plugin, .. }
            | PluginError::Poisoned { plugin } => plugin,
        }
    }

    /// Classify a wasmtime call error.
    pub(crate) fn from_call(
        plugin: &str,
        error: &wasmtime::Error,
        memory_denied: bool,
        deadline_ms: u64,
        limit_mib: u32,
    ) -> Self {
        let plugin = plugin.to_string();
        if memory_denied {
            return PluginError::MemoryLimit { plugin, limit_mib };
        }
        if let Some(stalled) = error.downcast_ref::<Stalled>() {
            return PluginError::Stalled {
                plugin,
                deadline_ms,
                held_ms: u64::try_from(stalled.held.as_millis()).unwrap_or(u64::MAX),
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => PluginError::Deadline {
                plugin,
                deadline_ms,
            },
            Some(trap) => PluginError::Trap {
                plugin,
                detail: trap.to_string(),
            },
            None => PluginError::Trap {
                plugin,
                detail: format!("{error:#}"),
            },
        }
    }
}
