//! The filter side: the [`Filter`] trait a plugin implements.

use std::cell::RefCell;
use std::marker::PhantomData;

pub use crate::__filter_world::exports::wasmgate::plugin::filter::{
    Guest, GuestStreamFilter, MessageEdit, RequestAction,
};
use crate::types::{Error, Request, RequestContext, Response, StreamEvent};

/// A filter plugin. Every hook has a pass-through default, so implement only
/// the ones you need, then export the type with
/// [`export_filter!`](crate::export_filter).
///
/// The gateway gives each request a fresh instance of the component, so
/// `static` state lives exactly as long as that request (stream included).
/// Use [`kv`](crate::kv) for state across requests.
pub trait Filter: 'static {
    /// Check the config (read it with [`config::get`](crate::config::get)).
    /// Called when the gateway loads the plugin for each place it is used;
    /// an `Err` stops startup (or refuses a hot-swapped file) with its message.
    fn init() -> Result<(), Error> {
        Ok(())
    }

    /// Called in config order before the request goes upstream: go on with
    /// it as it is (`Pass`: nothing is copied back to the gateway), with some
    /// messages replaced (`Edit`: only those are copied back) or changed in
    /// any other way (`Continue`), reject it, or answer it locally.
    fn on_request(ctx: &RequestContext, req: Request) -> RequestAction {
        let _ = (ctx, req);
        RequestAction::Pass
    }

    /// Called in reverse config order on a whole (non-streamed) answer.
    fn on_response(ctx: &RequestContext, resp: Response) -> Result<Response, Error> {
        let _ = ctx;
        Ok(resp)
    }

    /// The state that sees one streamed answer; [`PassThrough`] by default.
    fn on_stream(ctx: &RequestContext) -> Box<dyn StreamFilter> {
        let _ = ctx;
        Box::new(PassThrough)
    }
}

/// Sees every event of one streamed answer, in order.
///
/// Implement [`on_event`](StreamFilter::on_event) for per-event work, or
/// [`on_events`](StreamFilter::on_events) to see each upstream chunk's
/// events together; [`finish`](StreamFilter::finish) returns anything held
/// back when the stream ends.
pub trait StreamFilter {
    /// One event: return the events to pass on (the same, changed, none to
    /// drop or hold it back, or more to inject).
    fn on_event(&mut self, event: StreamEvent) -> Result<Vec<StreamEvent>, Error> {
        Ok(vec![event])
    }

    /// All the events decoded from one upstream chunk. By default calls
    /// [`on_event`](StreamFilter::on_event) on each; an error ends the stream.
    fn on_events(&mut self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            out.extend(self.on_event(event)?);
        }
        Ok(out)
    }

    /// The stream ended: return anything still held back.
    fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        Ok(Vec::new())
    }
}

/// A [`StreamFilter`] that passes every event on unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThrough;

impl StreamFilter for PassThrough {}

/// The exported `stream-filter` resource for filter `F` (used by
/// [`export_filter!`](crate::export_filter)).
#[doc(hidden)]
pub struct FilterStream<F> {
    inner: RefCell<Box<dyn StreamFilter>>,
    _filter: PhantomData<fn() -> F>,
}

impl<F: Filter> GuestStreamFilter for FilterStream<F> {
    fn new(ctx: RequestContext) -> Self {
        FilterStream {
            inner: RefCell::new(F::on_stream(&ctx)),
            _filter: PhantomData,
        }
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        self.inner.borrow_mut().on_events(events)
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        self.inner.borrow_mut().finish()
    }
}
