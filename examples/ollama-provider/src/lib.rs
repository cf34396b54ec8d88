//! `ollama-provider`: a community-style wasmgate provider plugin for
//! Ollama's native chat API (`POST {base}/api/chat`), whole answers as JSON
//! and streamed answers as NDJSON.
//!
//! It stands alone: its only contract with the gateway is the WIT package in
//! `../../wit`. Every translation is a pure function in its own module,
//! unit-tested natively (`cargo test`); this file only wires them to the
//! exports of the `provider-plugin` world.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

mod config;
mod error;
mod request;
mod response;
mod stream;
mod time;

use std::cell::{Cell, RefCell};

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
struct Ollama;

/// Ollama's default address.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434";

/// Models listed in `info()` (anything the Ollama server has pulled works).
const MODELS: &[&str] = &["llama3.2", "qwen3", "gpt-oss:20b"];

thread_local! {
    /// The first tool-call number of this request's answer (see
    /// [`request::call_offset`]). The host keeps one instance for a whole
    /// request, so `build-request` sets it and `parse-response` or the
    /// stream decoder of the same request reads it.
    static CALL_OFFSET: Cell<u32> = const { Cell::new(0) };
}

/// Milliseconds since the Unix epoch, from the host.
fn now_ms() -> u64 {
    bindings::wasmgate::plugin::clock::now_ms()
}

/// The plugin's config, read through the host's `config` import.
fn load_config() -> Result<config::Config, Error> {
    config::parse(&bindings::wasmgate::plugin::config::get())
}

impl Guest for Ollama {
    type StreamDecoder = Decoder;

    fn info() -> ProviderInfo {
        ProviderInfo {
            id: "ollama-provider".into(),
            display_name: "Ollama (native /api/chat)".into(),
            default_base_url: DEFAULT_BASE_URL.into(),
            models: MODELS
                .iter()
                .map(|id| ModelInfo {
                    id: (*id).into(),
                    context_window: None,
                })
                .collect(),
        }
    }

    fn init() -> Result<(), Error> {
        load_config().map(|_| ())
    }

    fn build_request(req: Request, target: Target) -> Result<Outbound, Error> {
        let config = load_config()?;
        CALL_OFFSET.with(|offset| offset.set(request::call_offset(&req)));
        request::build_http_request(&req, &target, &config).map(Outbound::Send)
    }

    fn parse_response(resp: HttpResponse) -> Result<Response, Error> {
        response::parse_response(&resp, CALL_OFFSET.with(Cell::get), now_ms())
    }
}

/// The exported stream-decoder resource: a thin wrapper that gives the pure
/// [`stream::Decoder`] the interior mutability the resource API needs.
struct Decoder(RefCell<stream::Decoder>);

impl GuestStreamDecoder for Decoder {
    fn new() -> Self {
        Decoder(RefCell::new(stream::Decoder::new(
            CALL_OFFSET.with(Cell::get),
            now_ms(),
        )))
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

bindings::export!(Ollama with_types_in bindings);
