//! The `rewrite` filter plugin: ordered content-rewrite rules and per-model
//! system prompts, on requests, whole answers and streamed answers alike.
//!
//! # Config
//!
//! ```json
//! {
//!   "rules": [
//!     {"match": "Claude Code", "target": "system", "text": "the agent"},
//!     {"regex": "(\\w+)@corp\\.com", "target": ["user", "tool"], "text": "$1@example.com"},
//!     {"match": "As an AI", "target": "assistant", "text": "", "models": ["gpt-*"]},
//!     {"target": "assistant", "action": "append", "text": "\n\n(via local)", "upstreams": ["local"]}
//!   ],
//!   "system": [
//!     {"models": ["claude-*"], "mode": "override", "text": "You are terse."},
//!     {"mode": "append", "text": "Answer in English."}
//!   ]
//! }
//! ```
//!
//! Rule keys: `match` (literal) or `regex` (regex-lite syntax; `$1`,
//! `${name}`, `$$` in `text`; write `${1}x`, not `$1x`), `target` (one or a list of `system`,
//! `developer`, `user`, `assistant`, `tool`, `thinking`; required),
//! `action` (`replace` default, `prepend`, `append`), `text` (replacement,
//! default empty, or the text to add), `models` / `upstreams` (globs; empty
//! means any), `max_match_len` (regex only, default 256: the longest match
//! the rule expects, and so how many characters a stream keeps back).
//! System keys: `mode` (`append` default, `prepend`, `override`), `text`,
//! `separator` (default a blank line), `models`, `upstreams`. See README.md
//! beside this crate for the full semantics.
//!
//! The logic lives in pure modules with native tests: [`config`] parses,
//! [`scan`] matches and rewrites text (whole or in chunks), [`request`],
//! [`response`] and [`stream`] apply the rules. This file only wires them to
//! the WIT exports.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod apply;
mod config;
mod request;
mod response;
mod scan;
mod scope;
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
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent};

wasmgate_config::config_loader!(config::Config, config::parse);

thread_local! {
    /// The model as `on-request` saw it (after earlier filters), for the
    /// answer of the same request.
    static MODEL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The exported component.
struct Rewrite;

/// The model rules are scoped by: what `on-request` saw, else what the
/// client asked for.
fn model(ctx: &RequestContext) -> String {
    MODEL
        .with(|m| m.borrow().clone())
        .unwrap_or_else(|| ctx.requested_model.clone())
}

impl Guest for Rewrite {
    type StreamFilter = RewriteStream;

    fn init() -> Result<(), Error> {
        load_config().map(|_| ())
    }

    fn on_request(_ctx: RequestContext, mut req: Request) -> RequestAction {
        let config = match load_config() {
            Ok(config) => config,
            Err(e) => return RequestAction::Reject(broken_config(e)),
        };
        MODEL.with(|m| *m.borrow_mut() = Some(req.model.clone()));
        let model = req.model.clone();
        if request::rewrite_request(&config, &model, &mut req) {
            RequestAction::Continue(req)
        } else {
            RequestAction::Pass
        }
    }

    fn on_response(ctx: RequestContext, mut resp: Response) -> Result<Response, Error> {
        let config = load_config().map_err(broken_config)?;
        response::rewrite_response(&config, &model(&ctx), &mut resp);
        Ok(resp)
    }
}

/// The exported stream-filter resource.
struct RewriteStream {
    /// `None` when no rule applies (or the config broke): events pass.
    inner: RefCell<Option<stream::StreamRewriter>>,
}

impl GuestStreamFilter for RewriteStream {
    fn new(ctx: RequestContext) -> Self {
        // `init` validated the config; a config that fails now rewrites nothing.
        let inner = load_config()
            .ok()
            .map(|config| stream::StreamRewriter::new(config, &model(&ctx)))
            .filter(|rw| !rw.is_idle());
        RewriteStream {
            inner: RefCell::new(inner),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        Ok(match self.inner.borrow_mut().as_mut() {
            Some(rw) => rw.on_events(events),
            None => events,
        })
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(match self.inner.borrow_mut().as_mut() {
            Some(rw) => rw.finish(),
            None => Vec::new(),
        })
    }
}

bindings::export!(Rewrite with_types_in bindings);
