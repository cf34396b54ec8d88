//! Typed plugin failures.

use wasmtime::Trap;

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
