//! Host-side bindings generated from `wit/` for both plugin worlds.
//!
//! The provider world generates the shared interfaces (types and host
//! imports); the filter world reuses them through `with`, so there is one Rust
//! type per WIT type.

#![allow(missing_docs)]

/// Bindings for the `provider-plugin` world.
pub mod provider {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "provider-plugin",
        imports: { "wasmgate:plugin/http.send": async },
        exports: { default: async },
    });
}

/// Bindings for the `filter-plugin` world.
pub mod filter {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "filter-plugin",
        exports: { default: async },
        with: {
            "wasmgate:plugin/types": super::provider::wasmgate::plugin::types,
            "wasmgate:plugin/log": super::provider::wasmgate::plugin::log,
            "wasmgate:plugin/config": super::provider::wasmgate::plugin::config,
            "wasmgate:plugin/kv": super::provider::wasmgate::plugin::kv,
            "wasmgate:plugin/clock": super::provider::wasmgate::plugin::clock,
            "wasmgate:plugin/http": super::provider::wasmgate::plugin::http,
        },
    });
}

pub use provider::wasmgate::plugin::{clock, config, http, kv, log, types};
