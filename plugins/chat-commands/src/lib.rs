//! The `chat-commands` filter plugin: routing commands typed into the chat.
//!
//! - `!/model(name)` and `!/backend(upstream)` change the model and the
//!   upstream for the rest of the conversation (kept in the host key-value
//!   store, keyed by an FNV-1a hash of the system prompt and the first user
//!   message); `!/oneoff(upstream:model)` routes just this message;
//!   `!/reset` forgets the sticky settings.
//! - `!/status` and `!/help` are answered directly, and so is a message
//!   holding only commands, and any unknown or malformed command: no
//!   upstream call.
//! - Commands are cut out of every user message before the conversation
//!   goes upstream; only those of the last user prompt are applied. When a
//!   command changed the routing of a request that goes upstream, the
//!   answer (whole or streamed) starts with a confirmation line.
//!
//! Routing works through the request's `model`: the host sends
//! `upstream/model` to that upstream, which sees `model`.
//!
//! The logic lives in pure modules with native tests: [`scan`] finds and
//! cuts command tokens, [`command`] interprets them, [`history`] strips the
//! conversation, [`state`] keeps the sticky settings and composes the model
//! name, [`reply`] writes the texts, [`request`] decides, [`response`] and
//! [`stream`] confirm. This file only wires them to the WIT exports.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod command;
mod config;
mod history;
mod identity;
mod reply;
mod request;
mod response;
mod scan;
mod state;
mod stream;

/// Generated bindings for the `filter-plugin` world.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "filter-plugin",
        additional_derives: [PartialEq],
    });
}

use std::cell::RefCell;

use bindings::exports::wasmgate::plugin::filter::{Guest, GuestStreamFilter, RequestAction};
use bindings::wasmgate::plugin::types;
use bindings::wasmgate::plugin::{clock, kv, log};
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent};

/// The exported component.
struct ChatCommands;

wasmgate_config::config_loader!(config::Config, config::parse);

/// The host's key-value store, log and clock.
struct WasmHost;

impl request::Host for WasmHost {
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        kv::get(key)
    }

    fn set(&mut self, key: &str, value: &[u8], ttl_ms: u64) -> Result<(), String> {
        kv::set(key, value, Some(ttl_ms)).map_err(|e| format!("{e:?}"))
    }

    fn delete(&mut self, key: &str) {
        kv::delete(key);
    }

    fn log(&mut self, warn: bool, message: &str) {
        let level = if warn {
            log::Level::Warn
        } else {
            log::Level::Info
        };
        log::write(level, message);
    }

    fn now_ms(&mut self) -> u64 {
        clock::now_ms()
    }
}

thread_local! {
    /// The confirmation line `on-request` chose for the answer to the same
    /// request (one instance serves exactly one request). `None` also for
    /// the filter's own direct answers, which the host passes back through.
    static CONFIRM: RefCell<Option<String>> = const { RefCell::new(None) };
}

impl Guest for ChatCommands {
    type StreamFilter = ConfirmStream;

    fn init() -> Result<(), Error> {
        load_config().map(|_| ())
    }

    fn on_request(ctx: RequestContext, req: Request) -> RequestAction {
        let config = match load_config() {
            Ok(config) => config,
            Err(e) => return RequestAction::Reject(broken_config(e)),
        };
        let (action, confirm) = request::on_request(&config, &ctx.request_id, req, &mut WasmHost);
        CONFIRM.with(|c| *c.borrow_mut() = confirm);
        action
    }

    fn on_response(_ctx: RequestContext, mut resp: Response) -> Result<Response, Error> {
        if let Some(line) = CONFIRM.with(|c| c.borrow_mut().take()) {
            response::confirm(&mut resp, &line);
        }
        Ok(resp)
    }
}

/// The exported stream-filter resource.
struct ConfirmStream {
    /// Injects the confirmation line, if any.
    inner: RefCell<stream::Confirmer>,
}

impl GuestStreamFilter for ConfirmStream {
    fn new(_ctx: RequestContext) -> Self {
        ConfirmStream {
            inner: RefCell::new(stream::Confirmer::new(
                CONFIRM.with(|c| c.borrow_mut().take()),
            )),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        Ok(self.inner.borrow_mut().on_events(events))
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(self.inner.borrow_mut().finish())
    }
}

bindings::export!(ChatCommands with_types_in bindings);
