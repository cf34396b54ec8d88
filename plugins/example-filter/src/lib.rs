//! The `example-filter` plugin: a small filter used in tests and as a
//! template. It can block prompts containing a word, prepend a system
//! message and append a suffix to every answer.
//!
//! The logic lives in pure functions in [`config`] and [`rules`]; this file
//! only wires them to the WIT exports.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod config;
mod rules;

/// Generated bindings for the `filter-plugin` world.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "filter-plugin",
        additional_derives: [PartialEq],
    });
}

use bindings::exports::wasmgate::plugin::filter::{Guest, GuestStreamFilter, RequestAction};
use bindings::wasmgate::plugin::types;
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent};

/// The exported component.
struct ExampleFilter;

wasmgate_config::config_loader!(config::Config, config::parse);

impl Guest for ExampleFilter {
    type StreamFilter = SuffixStream;

    fn init() -> Result<(), Error> {
        load_config().map(|_| ())
    }

    fn on_request(_ctx: RequestContext, req: Request) -> RequestAction {
        match load_config() {
            Ok(config) => rules::on_request(&config, req),
            Err(e) => RequestAction::Reject(broken_config(e)),
        }
    }

    fn on_response(_ctx: RequestContext, resp: Response) -> Result<Response, Error> {
        let config = load_config().map_err(broken_config)?;
        Ok(rules::on_response(&config, resp))
    }
}

/// The exported stream-filter resource: passes events through and adds the
/// reply suffix before `finish`.
struct SuffixStream {
    /// The text to add before `finish`, if any.
    suffix: Option<String>,
}

impl GuestStreamFilter for SuffixStream {
    fn new(_ctx: RequestContext) -> Self {
        // `init` validated the config; a config that fails now adds nothing.
        SuffixStream {
            suffix: load_config().ok().and_then(|c| c.reply_suffix.clone()),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        Ok(events
            .into_iter()
            .flat_map(|event| rules::on_stream_event(self.suffix.as_deref(), event))
            .collect())
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(Vec::new())
    }
}

bindings::export!(ExampleFilter with_types_in bindings);
