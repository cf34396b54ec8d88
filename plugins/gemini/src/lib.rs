//! The `gemini` provider plugin: speaks the Google Gemini API
//! (`generativelanguage.googleapis.com`, `generateContent` and
//! `streamGenerateContent?alt=sse`).
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
mod contents;
mod error;
mod fields;
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
struct Gemini;

/// The Gemini API's public endpoint (the version path is added per request).
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";

/// This plugin's wire name: the only `extra` key it reads and writes.
pub const WIRE: &str = "gemini";

/// Models listed in `info()`, with their input context windows in tokens.
const MODELS: &[(&str, u32)] = &[
    ("gemini-3-pro-preview", 1_048_576),
    ("gemini-3-flash-preview", 1_048_576),
    ("gemini-2.5-pro", 1_048_576),
    ("gemini-2.5-flash", 1_048_576),
    ("gemini-2.5-flash-lite", 1_048_576),
    ("gemini-2.0-flash", 1_048_576),
];

impl Guest for Gemini {
    type StreamDecoder = Decoder;

    fn info() -> ProviderInfo {
        ProviderInfo {
            id: "gemini".into(),
            display_name: "Google Gemini API".into(),
            default_base_url: DEFAULT_BASE_URL.into(),
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
        self.0
            .try_borrow_mut()
            .map_err(|_| error::busy())?
            .feed(&chunk)
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        self.0.try_borrow_mut().map_err(|_| error::busy())?.finish()
    }
}

bindings::export!(Gemini with_types_in bindings);
