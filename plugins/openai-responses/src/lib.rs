//! The `openai-responses` provider plugin: speaks the OpenAI Responses API
//! (`POST /v1/responses`).
//!
//! Every translation lives in a pure function in its own module so it can be
//! unit-tested natively; this file only wires them to the WIT exports.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod config;
mod error;
mod fields;
mod input;
mod request;
mod response;
mod stream;

use std::cell::RefCell;

/// Generated bindings for the `provider-plugin` world.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "provider-plugin",
        additional_derives: [PartialEq],
    });
}

use bindings::exports::wasmgate::plugin::provider::{Guest, GuestStreamDecoder, Outbound};
use bindings::wasmgate::plugin::types;
use types::{Error, HttpResponse, ModelInfo, ProviderInfo, Request, Response, StreamEvent, Target};

/// The plugin id, also used in messages.
pub const PLUGIN_ID: &str = "openai-responses";

/// The wire name: the key this plugin reads from and writes to in `extra`.
pub const WIRE: &str = "openai-responses";

/// The exported component.
struct OpenAiResponses;

/// Models listed in `info()`, with their context windows in tokens.
const MODELS: &[(&str, u32)] = &[
    ("gpt-5", 400_000),
    ("gpt-5-mini", 400_000),
    ("gpt-5-codex", 400_000),
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
];

/// Static facts about this provider.
fn provider_info() -> ProviderInfo {
    ProviderInfo {
        id: PLUGIN_ID.into(),
        display_name: "OpenAI (Responses API)".into(),
        default_base_url: "https://api.openai.com/v1".into(),
        models: MODELS
            .iter()
            .map(|(id, window)| ModelInfo {
                id: (*id).into(),
                context_window: Some(*window),
            })
            .collect(),
    }
}

impl Guest for OpenAiResponses {
    type StreamDecoder = Decoder;

    fn info() -> ProviderInfo {
        provider_info()
    }

    fn init() -> Result<(), Error> {
        config::validate(&bindings::wasmgate::plugin::config::get())
    }

    fn build_request(req: Request, target: Target) -> Result<Outbound, Error> {
        request::build_http_request(&req, &target).map(Outbound::Send)
    }

    fn parse_response(resp: HttpResponse) -> Result<Response, Error> {
        response::parse_response(&resp)
    }
}

/// The exported stream-decoder resource: a thin wrapper that gives the pure
/// [`stream::Decoder`] the interior mutability the resource API needs.
struct Decoder(RefCell<stream::Decoder>);

impl GuestStreamDecoder for Decoder {
    fn new() -> Self {
        Decoder(RefCell::new(stream::Decoder::default()))
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<StreamEvent>, Error> {
        Ok(self
            .0
            .try_borrow_mut()
            .map_err(|_| error::busy())?
            .feed(&chunk))
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(self.0.try_borrow_mut().map_err(|_| error::busy())?.finish())
    }
}

bindings::export!(OpenAiResponses with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_is_complete() {
        let info = provider_info();
        assert_eq!(info.id, "openai-responses");
        assert_eq!(info.default_base_url, "https://api.openai.com/v1");
        assert!(info.models.len() >= 3);
        assert!(info.models.iter().all(|m| m.context_window.is_some()));
    }
}
