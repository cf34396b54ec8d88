//! # wasmgate-sdk
//!
//! Write [wasmgate](https://github.com/) plugins in Rust. A plugin is a
//! WebAssembly component (`wasm32-wasip2`) implementing one world of the
//! `wasmgate:plugin@0.1.0` contract: a **filter** (sees and may change every
//! request, answer and stream event) or a **provider** (translates the
//! canonical model to one upstream wire format).
//!
//! This crate generates the bindings for the contract once and gives you:
//!
//! - the canonical types in [`types`] ([`types::Request`], [`types::Response`],
//!   [`types::StreamEvent`], [`types::Error`], …) with builders and
//!   constructors as methods on them (see [`ext`]);
//! - the host imports with friendly wrappers: [`log`], [`config`], [`kv`],
//!   [`clock`];
//! - the [`Filter`] and [`Provider`] traits, exported with
//!   [`export_filter!`] and [`export_provider!`];
//! - JSON helpers for tool calls ([`tool_args`], [`to_args`]);
//! - [`testing`]: on the host target (`cargo test`) the host imports run
//!   against an in-memory kv, config, log and clock, and [`testing::FilterHarness`]
//!   runs a filter's hooks the way the gateway calls them.
//!
//! ```no_run
//! use wasmgate_sdk::prelude::*;
//!
//! struct Shout;
//!
//! impl Filter for Shout {
//!     fn on_response(_ctx: &RequestContext, mut resp: Response) -> Result<Response, Error> {
//!         resp.map_text(|t| t.to_uppercase());
//!         Ok(resp)
//!     }
//! }
//!
//! wasmgate_sdk::export_filter!(Shout);
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2` (crate type
//! `cdylib`), then `wasmgate plugin check target/wasm32-wasip2/release/NAME.wasm`
//! validates the component exactly as the gateway's loader does (it runs it
//! in wasmtime; this crate does not depend on wasmtime).

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

/// Bindings of the `filter-plugin` world: the canonical types, the host
/// imports and the filter export. Generated once; the provider world reuses
/// its types and imports.
#[doc(hidden)]
#[allow(missing_docs, clippy::all)]
pub mod __filter_world {
    wit_bindgen::generate!({
        path: "wit",
        world: "filter-plugin",
        pub_export_macro: true,
        export_macro_name: "__wasmgate_export_filter_world",
        default_bindings_module: "wasmgate_sdk::__filter_world",
        additional_derives: [PartialEq],
    });
}

/// Bindings of the `provider-plugin` world, sharing the types and imports
/// of [`__filter_world`].
#[doc(hidden)]
#[allow(missing_docs, clippy::all)]
pub mod __provider_world {
    wit_bindgen::generate!({
        path: "wit",
        world: "provider-plugin",
        pub_export_macro: true,
        export_macro_name: "__wasmgate_export_provider_world",
        default_bindings_module: "wasmgate_sdk::__provider_world",
        additional_derives: [PartialEq],
        with: {
            "wasmgate:plugin/types@0.1.0": crate::__filter_world::wasmgate::plugin::types,
            "wasmgate:plugin/log@0.1.0": crate::__filter_world::wasmgate::plugin::log,
            "wasmgate:plugin/config@0.1.0": crate::__filter_world::wasmgate::plugin::config,
            "wasmgate:plugin/kv@0.1.0": crate::__filter_world::wasmgate::plugin::kv,
            "wasmgate:plugin/clock@0.1.0": crate::__filter_world::wasmgate::plugin::clock,
        },
    });
}

/// The canonical model (`wit/types.wit`): every request, answer, stream
/// event and error a plugin sees. Builders live in [`ext`].
pub mod types {
    pub use crate::__filter_world::wasmgate::plugin::types::*;
    pub use crate::filter::{MessageEdit, RequestAction};
    pub use crate::provider::Outbound;
}

pub mod ext;
mod filter;
mod host;
mod provider;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use filter::{Filter, PassThrough, StreamFilter};
pub use host::{clock, config, kv, log};
pub use provider::{Provider, StreamDecoder};

pub use ext::{to_args, tool_args};

/// `serde`, for `#[derive(Deserialize)]` config structs and tool arguments.
pub use serde;
/// `serde_json`, for tool arguments and `extra` fields.
pub use serde_json;

/// Everything a plugin usually needs: `use wasmgate_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::ext::{RequestBuilder, to_args, tool_args};
    pub use crate::types::*;
    pub use crate::{Filter, PassThrough, Provider, StreamDecoder, StreamFilter};
    pub use crate::{clock, config, kv, log};
}

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Implementation details of the export macros; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::filter::{FilterStream, Guest as FilterGuest};
    pub use crate::provider::{Decoder, Guest as ProviderGuest};
}

/// Export a type implementing [`Filter`] as the plugin's `filter` interface
/// (`wasmgate:plugin/filter@0.1.0`). Use it once, at the crate root of a
/// `cdylib` crate:
///
/// ```no_run
/// struct Noop;
/// impl wasmgate_sdk::Filter for Noop {}
/// wasmgate_sdk::export_filter!(Noop);
/// ```
#[macro_export]
macro_rules! export_filter {
    ($ty:ty) => {
        const _: () = {
            struct __WasmgateFilter;
            impl $crate::__private::FilterGuest for __WasmgateFilter {
                type StreamFilter = $crate::__private::FilterStream<$ty>;
                fn init() -> ::core::result::Result<(), $crate::types::Error> {
                    <$ty as $crate::Filter>::init()
                }
                fn on_request(
                    ctx: $crate::types::RequestContext,
                    req: $crate::types::Request,
                ) -> $crate::types::RequestAction {
                    <$ty as $crate::Filter>::on_request(&ctx, req)
                }
                fn on_response(
                    ctx: $crate::types::RequestContext,
                    resp: $crate::types::Response,
                ) -> ::core::result::Result<$crate::types::Response, $crate::types::Error> {
                    <$ty as $crate::Filter>::on_response(&ctx, resp)
                }
            }
            $crate::__filter_world::__wasmgate_export_filter_world!(
                __WasmgateFilter with_types_in $crate::__filter_world
            );
        };
    };
}

/// Export a type implementing [`Provider`] as the plugin's `provider`
/// interface (`wasmgate:plugin/provider@0.1.0`). Use it once, at the crate
/// root of a `cdylib` crate.
#[macro_export]
macro_rules! export_provider {
    ($ty:ty) => {
        const _: () = {
            struct __WasmgateProvider;
            impl $crate::__private::ProviderGuest for __WasmgateProvider {
                type StreamDecoder = $crate::__private::Decoder<$ty>;
                fn info() -> $crate::types::ProviderInfo {
                    <$ty as $crate::Provider>::info()
                }
                fn init() -> ::core::result::Result<(), $crate::types::Error> {
                    <$ty as $crate::Provider>::init()
                }
                fn build_request(
                    req: $crate::types::Request,
                    target: $crate::types::Target,
                ) -> ::core::result::Result<$crate::types::Outbound, $crate::types::Error> {
                    <$ty as $crate::Provider>::build_request(req, target)
                }
                fn parse_response(
                    resp: $crate::types::HttpResponse,
                ) -> ::core::result::Result<$crate::types::Response, $crate::types::Error> {
                    <$ty as $crate::Provider>::parse_response(resp)
                }
            }
            $crate::__provider_world::__wasmgate_export_provider_world!(
                __WasmgateProvider with_types_in $crate::__provider_world
            );
        };
    };
}
