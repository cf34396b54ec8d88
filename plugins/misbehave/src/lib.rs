//! The `misbehave` filter plugin: deliberately broken, so tests can prove
//! that the gateway contains a plugin that traps, spins, sleeps, eats memory or
//! breaks the contract.
//!
//! Config: `{"mode": "trap"|"loop"|"nap"|"bomb"|"garbage"|"work"|"ok", "hook":
//! "init"|"request"|"response"|"stream"}` (defaults `ok` and `request`).
//! The chosen hook misbehaves per the mode; every other hook passes through.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Panicking is this crate's job in `trap` mode: `bad::trap` alone is allowed
// to, every other path may not.
#![cfg_attr(not(test), deny(clippy::panic))]

mod bad;
mod config;
mod escape;
mod garbage;

/// Generated bindings for the `filter-plugin` world.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "filter-plugin",
    });
}

use bindings::exports::wasmgate::plugin::filter::{Guest, GuestStreamFilter, RequestAction};
use bindings::wasmgate::plugin::types;
use config::{Config, Hook, Mode};
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent};

/// The exported component.
struct Misbehave;

/// The plugin's config; a bad one behaves as `ok` (init reports it).
fn load_config() -> Config {
    config::parse(&bindings::wasmgate::plugin::config::get()).unwrap_or_default()
}

/// The mode to act on when `hook` is being called, if it is the chosen one.
fn mode_for(hook: Hook) -> Mode {
    let config = load_config();
    if config.hook == hook {
        config.mode
    } else {
        Mode::Ok
    }
}

impl Guest for Misbehave {
    type StreamFilter = Stream;

    fn init() -> Result<(), Error> {
        let config =
            config::parse(&bindings::wasmgate::plugin::config::get()).map_err(|message| Error {
                kind: ErrorKind::InvalidRequest,
                message,
                status: 400,
                retryable: false,
            })?;
        if config.hook != Hook::Init {
            return Ok(());
        }
        match bad::run(config.mode) {
            Mode::Garbage => Err(garbage::init_error()),
            _ => Ok(()),
        }
    }

    fn on_request(_ctx: RequestContext, req: Request) -> RequestAction {
        match bad::run(mode_for(Hook::Request)) {
            Mode::Garbage => RequestAction::Continue(garbage::request(req)),
            Mode::BadEdit => RequestAction::Edit(garbage::edit(req)),
            Mode::Escape => RequestAction::Respond(escape::report()),
            _ => RequestAction::Continue(req),
        }
    }

    fn on_response(_ctx: RequestContext, resp: Response) -> Result<Response, Error> {
        match bad::run(mode_for(Hook::Response)) {
            Mode::Garbage => Ok(garbage::response(resp)),
            _ => Ok(resp),
        }
    }
}

/// The exported stream-filter resource.
struct Stream {
    /// What to do on each event.
    mode: Mode,
}

impl GuestStreamFilter for Stream {
    fn new(_ctx: RequestContext) -> Self {
        Stream {
            mode: mode_for(Hook::Stream),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        match bad::run(self.mode) {
            Mode::Garbage => Ok(garbage::stream_events()),
            _ => Ok(events),
        }
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(Vec::new())
    }
}

bindings::export!(Misbehave with_types_in bindings);
