//! The `tool-call-repair` filter: repairs the tool calls a model makes.
//!
//! - Malformed argument JSON is repaired (trailing commas, single quotes,
//!   unquoted keys, raw newlines in strings, truncation, double encoding,
//!   markdown fences): [`repair`], [`lenient`].
//! - Tool calls written as text (`<tool_call>`, `<function=…>`, `✿FUNCTION✿`,
//!   `[TOOL_CALLS]`, fenced or bare call JSON) become structured calls when
//!   the request declared tools: [`textual`].
//! - Tool names are matched to the declared tools ignoring case and small
//!   typos: [`names`].
//! - Arguments are checked against the declared JSON Schema, coercing what
//!   is safe and reporting what is not: [`schema`], [`calls`].
//!
//! The request's tools are only visible in `on-request`, so they are kept in
//! per-request module state (each request gets a fresh instance) and read by
//! `on-response` and the stream filter. This file only wires the pure
//! modules to the WIT exports.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

// Built without WASI for the gateway (`host/build.rs`): the allocator that
// keeps a call's allocations in the initial memory.
use wasmgate_heap as _;

mod calls;
mod config;
mod flow;
mod lenient;
mod names;
mod repair;
mod response;
mod schema;
mod stream;
mod textual;
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
use std::rc::Rc;

use bindings::exports::wasmgate::plugin::filter::{Guest, GuestStreamFilter, RequestAction};
use bindings::wasmgate::plugin::log::{self, Level};
use bindings::wasmgate::plugin::types;
use types::{Error, ErrorKind, Request, RequestContext, Response, StreamEvent, ToolChoice};

use calls::{Env, Tool};

/// What `on-request` saw that the answer's repairs need.
#[derive(Debug, Clone, Default)]
struct RequestTools {
    tools: Vec<Tool>,
    /// False when the request said `tool_choice: none`.
    allowed: bool,
}

thread_local! {
    /// The current request's tools (one instance serves one request).
    static REQUEST: RefCell<Option<RequestTools>> = const { RefCell::new(None) };
}

/// The tools of `req`, their schemas kept as text until a call needs one.
fn request_tools(req: Request) -> RequestTools {
    RequestTools {
        allowed: !matches!(req.tool_choice, Some(ToolChoice::None)),
        tools: req
            .tools
            .into_iter()
            .map(|t| Tool::new(t.name, t.parameters))
            .collect(),
    }
}

/// The exported component.
struct ToolCallRepair;

wasmgate_config::config_loader!(config::Config, config::parse);

/// Ids for calls made from text: unique per request and per run.
fn id_prefix(ctx: &RequestContext) -> String {
    let id: String = ctx
        .request_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("call_{:x}{id}", bindings::wasmgate::plugin::clock::now_ms())
}

/// The repair environment for the current request.
fn env(config: config::Config, ctx: &RequestContext) -> Env {
    let request = REQUEST.with(|r| r.borrow().clone()).unwrap_or_default();
    Env::new(config, request.tools, request.allowed, id_prefix(ctx))
}

fn log_notes(notes: Vec<String>) {
    for note in notes {
        log::write(Level::Info, &note);
    }
}

impl Guest for ToolCallRepair {
    type StreamFilter = RepairStream;

    fn init() -> Result<(), Error> {
        load_config().map(|_| ())
    }

    fn on_request(_ctx: RequestContext, req: Request) -> RequestAction {
        if let Err(e) = load_config() {
            return RequestAction::Reject(broken_config(e));
        }
        let tools = request_tools(req);
        REQUEST.with(|r| *r.borrow_mut() = Some(tools));
        RequestAction::Pass
    }

    fn on_response(ctx: RequestContext, resp: Response) -> Result<Response, Error> {
        let config = load_config().map_err(broken_config)?;
        let (result, notes) = response::repair(env(Rc::unwrap_or_clone(config), &ctx), resp);
        log_notes(notes);
        result
    }
}

/// The exported stream-filter resource.
struct RepairStream {
    /// `None` when the config broke after `init`: events pass unchanged.
    state: RefCell<Option<stream::StreamState>>,
}

impl GuestStreamFilter for RepairStream {
    fn new(ctx: RequestContext) -> Self {
        let state = load_config()
            .ok()
            .map(|config| stream::StreamState::new(env(Rc::unwrap_or_clone(config), &ctx)));
        RepairStream {
            state: RefCell::new(state),
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        let mut state = self.state.borrow_mut();
        let Some(state) = state.as_mut() else {
            return Ok(events);
        };
        let out = state.on_events(events);
        log_notes(state.take_notes());
        out
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        let mut state = self.state.borrow_mut();
        let Some(state) = state.as_mut() else {
            return Ok(Vec::new());
        };
        let out = state.finish();
        log_notes(state.take_notes());
        out
    }
}

bindings::export!(ToolCallRepair with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;
    use types::{Sampling, ToolDefinition};

    fn request(choice: Option<ToolChoice>) -> Request {
        Request {
            model: "m".into(),
            messages: vec![],
            tools: vec![
                ToolDefinition {
                    name: "Bash".into(),
                    description: None,
                    parameters: r#"{"type": "object", "required": ["command"]}"#.into(),
                    extra: None,
                },
                ToolDefinition {
                    name: "odd".into(),
                    description: None,
                    parameters: "not json".into(),
                    extra: None,
                },
            ],
            tool_choice: choice,
            parallel_tool_calls: None,
            sampling: Sampling {
                max_tokens: None,
                temperature: None,
                top_p: None,
                stop: vec![],
                seed: None,
            },
            stream: true,
            reasoning: None,
            extra: None,
        }
    }

    #[test]
    fn tools_are_kept_with_their_schemas() {
        let t = request_tools(request(None));
        assert!(t.allowed);
        assert_eq!(t.tools.len(), 2);
        assert_eq!(t.tools[0].schema()["required"][0], "command");
        assert_eq!(t.tools[1].schema(), &serde_json::Value::Null);
        assert!(request_tools(request(Some(ToolChoice::Auto))).allowed);
        assert!(!request_tools(request(Some(ToolChoice::None))).allowed);
    }
}
