//! Unit-test a plugin natively (`cargo test` on the host target).
//!
//! On the host target the [`log`](crate::log), [`config`](crate::config),
//! [`kv`](crate::kv) and [`clock`](crate::clock) wrappers use the in-memory
//! state of this module instead of the gateway. The state is per thread, and
//! `cargo test` runs each test on its own thread, so tests do not see each
//! other's config, logs or keys.
//!
//! [`FilterHarness`] and [`ProviderHarness`] call a plugin's hooks the way
//! the gateway does (a context per request, a fresh stream filter or decoder
//! per stream, chunk by chunk, then `finish`). To run the *built component*
//! the way the gateway does, inside wasmtime with its limits, use
//! `wasmgate plugin check NAME.wasm --config '{…}'`.
//!
//! ```
//! use wasmgate_sdk::prelude::*;
//! use wasmgate_sdk::testing::FilterHarness;
//!
//! struct Upper;
//! impl Filter for Upper {
//!     fn on_response(_ctx: &RequestContext, mut resp: Response) -> Result<Response, Error> {
//!         resp.map_text(|t| t.to_uppercase());
//!         Ok(resp)
//!     }
//! }
//!
//! let harness = FilterHarness::<Upper>::with_config(serde_json::json!({})).unwrap();
//! let resp = harness.on_response(Response::text("hi")).unwrap();
//! assert_eq!(resp.text_content(), "HI");
//! ```

use std::marker::PhantomData;

use crate::log::Level;
use crate::types::{
    Error, HttpResponse, MessageEdit, Request, RequestAction, RequestContext, Response, StreamEvent,
};
use crate::{Filter, Provider};

/// The in-memory host state behind the import wrappers.
pub(crate) mod state {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use crate::kv::KvError;
    use crate::log::Level;

    /// Largest key and value the gateway's kv accepts by default.
    const MAX_KEY: usize = 1024;
    const MAX_VALUE: usize = 1024 * 1024;

    #[derive(Default)]
    pub(crate) struct State {
        pub(crate) config: Option<String>,
        pub(crate) logs: Vec<(Level, String)>,
        pub(crate) kv: HashMap<String, (Vec<u8>, Option<u64>)>,
        pub(crate) now_ms: Option<u64>,
    }

    thread_local! {
        pub(crate) static STATE: RefCell<State> = RefCell::new(State::default());
    }

    pub(crate) fn log(level: Level, message: &str) {
        eprintln!("[plugin {level:?}] {message}");
        STATE.with(|s| s.borrow_mut().logs.push((level, message.to_string())));
    }

    pub(crate) fn config() -> String {
        STATE.with(|s| s.borrow().config.clone().unwrap_or_else(|| "{}".into()))
    }

    pub(crate) fn now_ms() -> u64 {
        STATE.with(|s| s.borrow().now_ms).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0)
        })
    }

    pub(crate) fn kv_get(key: &str) -> Option<Vec<u8>> {
        let now = now_ms();
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            match s.kv.get(key) {
                Some((_, Some(expires))) if *expires <= now => {
                    s.kv.remove(key);
                    None
                }
                Some((value, _)) => Some(value.clone()),
                None => None,
            }
        })
    }

    pub(crate) fn kv_set(key: &str, value: &[u8], ttl_ms: Option<u64>) -> Result<(), KvError> {
        if key.len() > MAX_KEY || value.len() > MAX_VALUE {
            return Err(KvError::TooLarge);
        }
        let expires = ttl_ms.map(|ttl| now_ms().saturating_add(ttl));
        STATE.with(|s| {
            s.borrow_mut()
                .kv
                .insert(key.to_string(), (value.to_vec(), expires))
        });
        Ok(())
    }

    pub(crate) fn kv_delete(key: &str) {
        STATE.with(|s| s.borrow_mut().kv.remove(key));
    }
}

/// Forget this thread's config, logs, keys and fixed time.
pub fn reset() {
    state::STATE.with(|s| *s.borrow_mut() = state::State::default());
}

/// Set the config that [`config::get`](crate::config::get) returns.
pub fn set_config(config: serde_json::Value) {
    set_config_text(&config.to_string());
}

/// Set the config text as is (to test how `init` handles broken config).
pub fn set_config_text(text: &str) {
    state::STATE.with(|s| s.borrow_mut().config = Some(text.to_string()));
}

/// Every line logged on this thread so far.
pub fn logs() -> Vec<(Level, String)> {
    state::STATE.with(|s| s.borrow().logs.clone())
}

/// The lines logged on this thread so far, forgetting them.
pub fn take_logs() -> Vec<(Level, String)> {
    state::STATE.with(|s| std::mem::take(&mut s.borrow_mut().logs))
}

/// Fix [`clock::now_ms`](crate::clock::now_ms) at `ms` (it follows the
/// system clock until then).
pub fn set_now_ms(ms: u64) {
    state::STATE.with(|s| s.borrow_mut().now_ms = Some(ms));
}

/// Move the fixed clock forward by `ms` (fixing it at the current time first
/// if needed); kv entries expire accordingly.
pub fn advance_ms(ms: u64) {
    let now = state::now_ms();
    set_now_ms(now.saturating_add(ms));
}

/// A request context like the gateway's: id `test-request`, front-end
/// `openai-chat`, model `test-model`.
pub fn context() -> RequestContext {
    RequestContext::new("test-request", "openai-chat", "test-model")
}

/// The text deltas of `events`, joined.
pub fn streamed_text(events: &[StreamEvent]) -> String {
    events.iter().filter_map(StreamEvent::as_text).collect()
}

/// A typical streamed answer: `start`, one text delta per piece, `usage`,
/// `finish(stop)`.
pub fn text_stream(pieces: &[&str]) -> Vec<StreamEvent> {
    let mut events = vec![StreamEvent::start("test-stream", "test-model")];
    events.extend(pieces.iter().map(|p| StreamEvent::text(*p)));
    events.push(StreamEvent::usage(1, pieces.len() as u64));
    events.push(StreamEvent::stop());
    events
}

/// Runs a [`Filter`]'s hooks natively, the way the gateway calls them.
pub struct FilterHarness<F> {
    ctx: RequestContext,
    _filter: PhantomData<fn() -> F>,
}

impl<F: Filter> FilterHarness<F> {
    /// Set the config (as [`set_config`]) and call `init`, as the gateway
    /// does when it loads the plugin.
    pub fn with_config(config: serde_json::Value) -> Result<Self, Error> {
        set_config(config);
        F::init()?;
        Ok(FilterHarness {
            ctx: context(),
            _filter: PhantomData,
        })
    }

    /// The same harness with another request context.
    pub fn context(mut self, ctx: RequestContext) -> Self {
        self.ctx = ctx;
        self
    }

    /// Call `on-request`.
    pub fn on_request(&self, req: Request) -> RequestAction {
        F::on_request(&self.ctx, req)
    }

    /// Call `on-request` and expect it to go on (`pass`, `edit` or
    /// `continue`): the request that goes upstream, or the other action the
    /// filter took. An `edit` the gateway would refuse (an index out of
    /// range or out of order) is returned as the other action.
    pub fn expect_continue(&self, req: Request) -> Result<Request, Box<RequestAction>> {
        match self.on_request(req.clone()) {
            RequestAction::Pass => Ok(req),
            RequestAction::Edit(edits) => apply_edits(req, edits),
            RequestAction::Continue(req) => Ok(req),
            other => Err(Box::new(other)),
        }
    }

    /// Call `on-response`.
    pub fn on_response(&self, resp: Response) -> Result<Response, Error> {
        F::on_response(&self.ctx, resp)
    }

    /// Stream `chunks` through a fresh stream filter: `on-events` once per
    /// chunk, then `finish`; everything it passed on, in order. Stops at the
    /// first error, as the gateway does.
    pub fn stream(&self, chunks: Vec<Vec<StreamEvent>>) -> Result<Vec<StreamEvent>, Error> {
        let mut filter = F::on_stream(&self.ctx);
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend(filter.on_events(chunk)?);
        }
        out.extend(filter.finish()?);
        Ok(out)
    }

    /// Stream `events` one per chunk (see [`FilterHarness::stream`]).
    pub fn stream_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        self.stream(events.into_iter().map(|e| vec![e]).collect())
    }
}

/// `req` with `edits` applied, as the gateway applies them; the edits back
/// when the gateway would refuse them.
fn apply_edits(mut req: Request, edits: Vec<MessageEdit>) -> Result<Request, Box<RequestAction>> {
    let in_order = edits.windows(2).all(|w| w[0].index < w[1].index);
    let in_range = edits
        .last()
        .is_none_or(|e| (e.index as usize) < req.messages.len());
    if !(in_order && in_range) {
        return Err(Box::new(RequestAction::Edit(edits)));
    }
    for edit in edits {
        if let Some(message) = req.messages.get_mut(edit.index as usize) {
            *message = edit.message;
        }
    }
    Ok(req)
}

/// Runs a [`Provider`]'s hooks natively.
pub struct ProviderHarness<P> {
    _provider: PhantomData<fn() -> P>,
}

impl<P: Provider> ProviderHarness<P> {
    /// Set the config (as [`set_config`]) and call `init`.
    pub fn with_config(config: serde_json::Value) -> Result<Self, Error> {
        set_config(config);
        P::init()?;
        Ok(ProviderHarness {
            _provider: PhantomData,
        })
    }

    /// Call `parse-response`.
    pub fn parse_response(&self, resp: HttpResponse) -> Result<Response, Error> {
        P::parse_response(resp)
    }

    /// Feed `chunks` to a fresh stream decoder, then `finish`: every event
    /// decoded, in order.
    pub fn decode(&self, chunks: &[&[u8]]) -> Result<Vec<StreamEvent>, Error> {
        let mut decoder = P::stream_decoder();
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend(decoder.feed(chunk.to_vec())?);
        }
        out.extend(decoder.finish()?);
        Ok(out)
    }

    /// Feed `body` to a fresh decoder one byte at a time (the host may split
    /// a body anywhere), then `finish`.
    pub fn decode_bytewise(&self, body: &[u8]) -> Result<Vec<StreamEvent>, Error> {
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        self.decode(&chunks)
    }
}
