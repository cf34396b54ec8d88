//! The `versioned` filter plugin (tests only): tags every answer with a
//! version number baked into its binary, so hot-swap tests can tell which
//! build served each response and each streamed delta.
//!
//! The number lives in [`VERSION`] as plain bytes (`wgver:` and ten
//! digits); a test makes a new version by rewriting those digits in the
//! `.wasm` file. Whole answers get ` [v<digits>]` appended to their text;
//! every streamed text delta gets `[v<digits>]` appended. Config is ignored.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Generated bindings for the `filter-plugin` world.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "filter-plugin",
    });
}

use bindings::exports::wasmgate::plugin::filter::{Guest, GuestStreamFilter, RequestAction};
use bindings::wasmgate::plugin::types::{
    ContentPart, Error, Request, RequestContext, Response, StreamEvent,
};

/// The version marker the tests rewrite in the binary.
static VERSION: [u8; 16] = *b"wgver:0000000000";

/// `[v<digits>]`, read through `black_box` so the bytes stay in the binary's
/// data rather than being folded into code.
fn tag() -> String {
    let bytes = core::hint::black_box(&VERSION);
    format!("[v{}]", String::from_utf8_lossy(&bytes[6..]))
}

/// The exported component.
struct Versioned;

impl Guest for Versioned {
    type StreamFilter = Stream;

    fn init() -> Result<(), Error> {
        Ok(())
    }

    fn on_request(_ctx: RequestContext, req: Request) -> RequestAction {
        RequestAction::Continue(req)
    }

    fn on_response(_ctx: RequestContext, mut resp: Response) -> Result<Response, Error> {
        let tag = format!(" {}", tag());
        match resp.content.iter_mut().rev().find_map(|p| match p {
            ContentPart::Text(t) => Some(t),
            _ => None,
        }) {
            Some(text) => text.push_str(&tag),
            None => resp.content.push(ContentPart::Text(tag)),
        }
        Ok(resp)
    }
}

/// The exported stream-filter resource.
struct Stream;

impl GuestStreamFilter for Stream {
    fn new(_ctx: RequestContext) -> Self {
        Stream
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        Ok(events
            .into_iter()
            .map(|event| match event {
                StreamEvent::TextDelta(text) => StreamEvent::TextDelta(text + &tag()),
                other => other,
            })
            .collect())
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(Vec::new())
    }
}

bindings::export!(Versioned with_types_in bindings);
