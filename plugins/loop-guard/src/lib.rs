//! The `loop-guard` filter plugin: detects an agent stuck in a loop.
//!
//! - The same tool call (name and canonical arguments), or the same short
//!   cycle of calls, made `max_repeats` times in a row, in the request's
//!   history or continued by the call the model makes in its answer.
//! - The same call failing with the same error `max_error_repeats` times in
//!   a row.
//! - The same passage of answer text repeated `text_repeats` times.
//!
//! Across requests a per-conversation counter in the host key-value store
//! (keyed by a hash of the system prompt and first user message) counts
//! consecutive requests ending with the same call, so a loop is caught even
//! when the client truncates the history. A request whose last call has the
//! id the counter saw last is the same turn sent again (a retry), and does
//! not count twice. The action is `abort` or `steer`.
//!
//! The logic lives in pure modules; this file only wires them to the WIT
//! exports and the host imports.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod canonical_json;
mod config;
mod fingerprint;
mod guard;
mod history;
mod repeats;
mod report;
mod stream;
mod text_cycle;

/// Generated bindings for the `filter-plugin` world.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "filter-plugin",
        additional_derives: [PartialEq],
    });
}

use std::cell::RefCell;
use std::rc::Rc;

use bindings::exports::wasmgate::plugin::filter::{Guest, GuestStreamFilter, RequestAction};
use bindings::wasmgate::plugin::types;
use bindings::wasmgate::plugin::{kv, log};
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent};

/// The exported component.
struct LoopGuard;

wasmgate_config::config_loader!(config::Config, config::parse);

/// The host's key-value store and log.
struct WasmHost;

impl guard::Host for WasmHost {
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
}

thread_local! {
    /// What `on-request` learned, for the answer to the same request (one
    /// instance serves exactly one request).
    static SESSION: RefCell<Option<guard::Session>> = const { RefCell::new(None) };
}

/// The session `on-request` left, or one without history.
fn take_session() -> Result<guard::Session, Error> {
    match SESSION.with(|s| s.borrow_mut().take()) {
        Some(session) => Ok(session),
        None => Ok(guard::Session::new(Rc::unwrap_or_clone(
            load_config().map_err(broken_config)?,
        ))),
    }
}

impl Guest for LoopGuard {
    type StreamFilter = LoopStream;

    fn init() -> Result<(), Error> {
        load_config().map(|_| ())
    }

    fn on_request(_ctx: RequestContext, req: Request) -> RequestAction {
        let config = match load_config() {
            Ok(config) => config,
            Err(e) => return RequestAction::Reject(broken_config(e)),
        };
        let (action, session) = guard::on_request(Rc::unwrap_or_clone(config), req, &mut WasmHost);
        SESSION.with(|s| *s.borrow_mut() = Some(session));
        action
    }

    fn on_response(_ctx: RequestContext, resp: Response) -> Result<Response, Error> {
        let mut session = take_session()?;
        guard::on_response(&mut session, resp, &mut WasmHost)
    }
}

/// The exported stream-filter resource.
struct LoopStream {
    /// The guard, or why it could not start (a broken config).
    guard: RefCell<Result<stream::StreamGuard, Error>>,
}

impl GuestStreamFilter for LoopStream {
    fn new(_ctx: RequestContext) -> Self {
        LoopStream {
            guard: RefCell::new(take_session().map(stream::StreamGuard::new)),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        match &mut *self.guard.borrow_mut() {
            Ok(guard) => guard.on_events(events, &mut WasmHost),
            Err(e) => Err(e.clone()),
        }
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        match &mut *self.guard.borrow_mut() {
            Ok(guard) => guard.finish(&mut WasmHost),
            Err(_) => Ok(Vec::new()),
        }
    }
}

bindings::export!(LoopGuard with_types_in bindings);
