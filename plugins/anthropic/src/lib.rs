//! The `anthropic` provider plugin: speaks the Anthropic Messages API
//! (`POST /v1/messages`), whole and streamed.
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
mod frame;
mod messages;
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

/// The exported component.
struct Anthropic;

/// This plugin's wire name: the only key of `extra` it reads or writes.
pub const WIRE: &str = "anthropic";

/// Models listed in `info()`, with their context windows in tokens.
const MODELS: &[(&str, u32)] = &[
    ("claude-opus-4-6", 200_000),
    ("claude-sonnet-4-6", 200_000),
    ("claude-opus-4-5", 200_000),
    ("claude-sonnet-4-5", 200_000),
    ("claude-haiku-4-5", 200_000),
    ("claude-opus-4-1", 200_000),
];

impl Guest for Anthropic {
    type StreamDecoder = Decoder;

    fn info() -> ProviderInfo {
        ProviderInfo {
            id: "anthropic".into(),
            display_name: "Anthropic (Messages API)".into(),
            default_base_url: request::DEFAULT_BASE_URL.into(),
            models: MODELS
                .iter()
                .map(|(id, window)| ModelInfo {
                    id: (*id).into(),
                    context_window: Some(*window),
                })
                .collect(),
        }
    }

    fn init() -> Result<(), Error> {
        config::parse(&bindings::wasmgate::plugin::config::get()).map(|_| ())
    }

    fn build_request(req: Request, target: Target) -> Result<Outbound, Error> {
        let config = config::parse(&bindings::wasmgate::plugin::config::get())?;
        request::build_http_request(&req, &target, &config).map(Outbound::Send)
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
        self.0
            .try_borrow_mut()
            .map_err(|_| error::busy())?
            .feed(&chunk)
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        self.0.try_borrow_mut().map_err(|_| error::busy())?.finish()
    }
}

bindings::export!(Anthropic with_types_in bindings);
