//! The `redact-secrets` filter: replaces secrets in outbound prompts with
//! stable placeholders such as `[[REDACTED:openai_key:1]]`, and with
//! `restore: true` puts the real values back into the answer (text and
//! tool-call arguments, whole or streamed), so the upstream never sees a
//! secret while the client's tools still get it.
//!
//! The logic lives in pure functions: [`detect`] and [`assign`] find
//! secrets in one [`scan`], [`redact`] and [`json`] replace them, [`restore`] puts them back,
//! [`config`] reads the settings. This file only wires them to the WIT
//! exports and keeps the request's mapping in per-instance state (one
//! instance serves one request). The mapping is never written to the
//! key-value store or the log; the log only gets counts per kind.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod assign;
mod config;
mod detect;
mod json;
mod memo;
mod redact;
mod restore;
mod scan;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod transcript;

/// Generated bindings for the `filter-plugin` world.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "filter-plugin",
        additional_derives: [PartialEq],
    });
}

use std::cell::RefCell;

use bindings::exports::wasmgate::plugin::filter::{
    Guest, GuestStreamFilter, MessageEdit, RequestAction,
};
use bindings::wasmgate::plugin::kv;
use bindings::wasmgate::plugin::log::{Level, write};
use bindings::wasmgate::plugin::types;
use restore::{Restorer, StreamRestorer};
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent};

thread_local! {
    /// The mapping of the request this instance serves, when `restore` is on.
    static MAPPING: RefCell<Restorer> = RefCell::new(Restorer::default());
}

/// The exported component.
struct RedactSecrets;

/// The parsed config and the digest of its text (the memo's key is only
/// trusted under the exact config that filled it).
#[derive(Debug)]
struct Loaded {
    config: config::Config,
    digest: memo::Digest,
}

impl Loaded {
    /// The config JSON `text`, parsed.
    fn parse(text: &str) -> Result<Loaded, String> {
        Ok(Loaded {
            config: config::parse(text)?,
            digest: memo::digest(text),
        })
    }
}

wasmgate_config::config_loader!(Loaded, Loaded::parse);

/// The memo key of `req`'s conversation under the config of digest
/// `config`: the first text of each of its first two messages (the system
/// prompt and the opening user turn, in an agent's conversation).
fn memo_key(config: memo::Digest, req: &Request) -> String {
    let opening: Vec<&str> = req
        .messages
        .iter()
        .take(2)
        .filter_map(|m| match m.content.first() {
            Some(types::ContentPart::Text(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    memo::key(config, &opening)
}

/// The messages of `req` at `changed` (in order), as edits: only they go
/// back to the host.
fn edits(req: Request, changed: &[u32]) -> Vec<MessageEdit> {
    let mut wanted = changed.iter().copied().peekable();
    (0u32..)
        .zip(req.messages)
        .filter(|(i, _)| wanted.next_if_eq(i).is_some())
        .map(|(index, message)| MessageEdit { index, message })
        .collect()
}

/// This request's mapping (empty unless `restore` is on and secrets were found).
fn mapping() -> Restorer {
    MAPPING.with(|m| m.borrow().clone())
}

impl Guest for RedactSecrets {
    type StreamFilter = RestoreStream;

    fn init() -> Result<(), Error> {
        load_config().map(|_| ())
    }

    fn on_request(_ctx: RequestContext, mut req: Request) -> RequestAction {
        let loaded = match load_config() {
            Ok(loaded) => loaded,
            Err(e) => return RequestAction::Reject(broken_config(e)),
        };
        let config = &loaded.config;
        let key = memo_key(loaded.digest, &req);
        let mut memo = memo::Memo::decode(&kv::get(&key).unwrap_or_default());
        let redaction = redact::redact_request(config, &mut req, &mut memo);
        // Best effort: a full store only costs the next turn a full scan.
        if memo.changed() && kv::set(&key, &memo.encode(), Some(memo::TTL_MS)).is_err() {
            write(Level::Debug, "clean-text memo not stored");
        }
        if !redaction.counts.is_empty() {
            // Kinds and counts only: never a value.
            let kinds: Vec<String> = redaction
                .counts
                .iter()
                .map(|(kind, n)| format!("{kind}×{n}"))
                .collect();
            write(
                Level::Debug,
                &format!("redacted secrets: {}", kinds.join(", ")),
            );
        }
        // Always reset, so a mapping can never outlive its request.
        let restorer = if config.restore {
            Restorer::new(redaction.mapping)
        } else {
            Restorer::default()
        };
        MAPPING.with(|m| *m.borrow_mut() = restorer);
        if redaction.changed.is_empty() {
            RequestAction::Pass
        } else {
            RequestAction::Edit(edits(req, &redaction.changed))
        }
    }

    fn on_response(_ctx: RequestContext, resp: Response) -> Result<Response, Error> {
        Ok(restore::restore_response(&mapping(), resp))
    }
}

/// The exported stream-filter resource: restores placeholders in streamed
/// text and tool-call arguments.
struct RestoreStream {
    /// The restorer and what it holds back.
    inner: RefCell<StreamRestorer>,
}

impl GuestStreamFilter for RestoreStream {
    fn new(_ctx: RequestContext) -> Self {
        RestoreStream {
            inner: RefCell::new(StreamRestorer::new(mapping())),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        Ok(self.inner.borrow_mut().on_events(events))
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(self.inner.borrow_mut().finish())
    }
}

bindings::export!(RedactSecrets with_types_in bindings);
