//! The `echo` provider plugin: answers locally, with no upstream and no
//! keys, by echoing the last user message. Handy for demos and tests.
//!
//! The logic lives in pure functions in the other modules; this file only
//! wires them to the WIT exports and the host's clock.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod answer;
mod error;
mod reply;
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
use bindings::wasmgate::plugin::{clock, types};
use types::{Error, HttpResponse, ModelInfo, ProviderInfo, Request, Response, StreamEvent, Target};

/// The exported component.
struct Echo;

impl Guest for Echo {
    type StreamDecoder = Decoder;

    fn info() -> ProviderInfo {
        ProviderInfo {
            id: "echo".into(),
            display_name: "Echo (local demo)".into(),
            default_base_url: "local:".into(),
            models: vec![ModelInfo {
                id: "echo".into(),
                context_window: None,
            }],
        }
    }

    fn init() -> Result<(), Error> {
        Ok(())
    }

    fn build_request(req: Request, target: Target) -> Result<Outbound, Error> {
        Ok(Outbound::Local(reply::local_answer(
            &req,
            &target.model,
            clock::now_ms(),
        )))
    }

    fn parse_response(resp: HttpResponse) -> Result<Response, Error> {
        answer::parse(&resp, clock::now_ms())
    }
}

/// The exported stream-decoder resource.
struct Decoder(RefCell<stream::Decoder>);

impl GuestStreamDecoder for Decoder {
    fn new() -> Self {
        Decoder(RefCell::new(stream::Decoder::default()))
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<StreamEvent>, Error> {
        let mut decoder = self.0.try_borrow_mut().map_err(|_| error::busy())?;
        decoder.feed(&chunk);
        Ok(Vec::new())
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        let mut decoder = self.0.try_borrow_mut().map_err(|_| error::busy())?;
        decoder.finish(clock::now_ms())
    }
}

bindings::export!(Echo with_types_in bindings);
