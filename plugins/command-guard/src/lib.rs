//! The `command-guard` filter: stops dangerous shell commands in the tool
//! calls a model makes, before the client runs them.
//!
//! - Calls of shell tools (`Bash`, `shell`, `exec_command`,
//!   `run_terminal_cmd`, … configurable) are read: the command string or
//!   argv array ([`extract`]).
//! - The command is tokenized and parsed like a shell does ([`lex`],
//!   [`ast`]); wrappers (`sudo`, `env`, `timeout`, `bash -c`, `ssh`, …)
//!   are looked through ([`unwrap`]).
//! - Every simple command meets the user's `deny`/`allow` patterns and the
//!   built-in rules ([`check`], [`rules`]): recursive deletes of `/`, `~`,
//!   `*` or paths outside the workspace, force pushes to protected
//!   branches, `git reset --hard`, disk formatting and raw writes, fork
//!   bombs, downloads piped into a shell, destructive SQL, cluster-wide
//!   `kubectl delete`, `terraform destroy`, …
//! - A dangerous call is blocked (replaced by assistant text), warned
//!   about, or rejected, on whole answers ([`response`]) and streams
//!   ([`stream`]).
//!
//! This file only wires the pure modules to the WIT exports.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod argv;
mod ast;
mod check;
mod config;
mod extract;
mod lex;
mod paths;
mod response;
mod rules;
mod sql;
mod stream;
mod unwrap;
mod verdict;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod robustness;
#[cfg(test)]
mod transcript_tests;

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
use bindings::wasmgate::plugin::log::{self, Level};
use bindings::wasmgate::plugin::types;
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent};

use verdict::{Judge, Note};

/// The exported component.
struct CommandGuard;

wasmgate_config::config_loader!(verdict::Rules, verdict::Rules::parse);

fn write_notes(notes: Vec<Note>) {
    for note in notes {
        let level = if note.warn { Level::Warn } else { Level::Debug };
        log::write(level, &note.text);
    }
}

impl Guest for CommandGuard {
    type StreamFilter = GuardStream;

    fn init() -> Result<(), Error> {
        load_config()?
            .compiled()
            .map(|_| ())
            .map_err(|message| Error {
                kind: ErrorKind::InvalidRequest,
                message: message.to_string(),
                status: 400,
                retryable: false,
            })
    }

    fn on_request(_ctx: RequestContext, _req: Request) -> RequestAction {
        RequestAction::Pass
    }

    fn on_response(_ctx: RequestContext, resp: Response) -> Result<Response, Error> {
        if !resp
            .content
            .iter()
            .any(|p| matches!(p, types::ContentPart::ToolCall(_)))
        {
            return Ok(resp);
        }
        let mut judge = Judge::new(load_config().map_err(broken_config)?);
        let result = response::guard(&mut judge, resp);
        write_notes(std::mem::take(&mut judge.notes));
        result
    }
}

/// The exported stream-filter resource.
struct GuardStream {
    /// `None` when the config broke after `init`: events pass unchanged.
    state: RefCell<Option<stream::StreamGuard>>,
}

impl GuestStreamFilter for GuardStream {
    fn new(_ctx: RequestContext) -> Self {
        let state = load_config()
            .ok()
            .map(|rules| stream::StreamGuard::new(Judge::new(rules)));
        GuardStream {
            state: RefCell::new(state),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        let mut state = self.state.borrow_mut();
        let Some(state) = state.as_mut() else {
            return Ok(events);
        };
        let out = state.on_events(events);
        write_notes(state.take_notes());
        Ok(out)
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        let mut state = self.state.borrow_mut();
        let Some(state) = state.as_mut() else {
            return Ok(Vec::new());
        };
        let out = state.finish();
        write_notes(state.take_notes());
        Ok(out)
    }
}

bindings::export!(CommandGuard with_types_in bindings);
