//! The `reach` filter plugin (tests only): on every request it tries what
//! its config names — outbound HTTP through the `http` capability, a file
//! through WASI, a raw TCP connection through WASI sockets — and answers the
//! client directly with one line per attempt (`http: …`, `file: …`,
//! `tcp: …`), so a test can prove what the sandbox allows.
//!
//! Config: `{"http": "http://host:port/path", "file": "/etc/hostname",
//! "tcp": "127.0.0.1:port"}`, each optional.

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
use bindings::wasmgate::plugin::http;
use bindings::wasmgate::plugin::types::{
    ContentPart, Error, FinishReason, HttpRequest, Request, RequestContext, Response, StreamEvent,
};

/// The exported component.
struct Reach;

fn setting(config: &serde_json::Value, key: &str) -> Option<String> {
    config.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

fn try_http(url: String) -> String {
    let req = HttpRequest {
        method: "GET".into(),
        url,
        headers: Vec::new(),
        body: Vec::new(),
    };
    match http::send(&req) {
        Ok(resp) => format!("ok {} {}", resp.status, String::from_utf8_lossy(&resp.body)),
        Err(http::HttpError::Denied(why)) => format!("denied: {why}"),
        Err(http::HttpError::Failed(why)) => format!("failed: {why}"),
    }
}

fn try_file(path: String) -> String {
    match std::fs::read(&path) {
        Ok(bytes) => format!("ok {} bytes", bytes.len()),
        Err(e) => format!("error: {e}"),
    }
}

fn try_tcp(addr: String) -> String {
    match std::net::TcpStream::connect(&addr) {
        Ok(_) => "ok connected".into(),
        Err(e) => format!("error: {e}"),
    }
}

impl Guest for Reach {
    type StreamFilter = Stream;

    fn init() -> Result<(), Error> {
        Ok(())
    }

    fn on_request(_ctx: RequestContext, req: Request) -> RequestAction {
        let config: serde_json::Value =
            serde_json::from_str(&bindings::wasmgate::plugin::config::get()).unwrap_or_default();
        let mut lines = Vec::new();
        if let Some(url) = setting(&config, "http") {
            lines.push(format!("http: {}", try_http(url)));
        }
        if let Some(path) = setting(&config, "file") {
            lines.push(format!("file: {}", try_file(path)));
        }
        if let Some(addr) = setting(&config, "tcp") {
            lines.push(format!("tcp: {}", try_tcp(addr)));
        }
        RequestAction::Respond(Response {
            id: "reach".into(),
            model: req.model,
            created: None,
            content: vec![ContentPart::Text(lines.join("\n"))],
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            extra: None,
        })
    }

    fn on_response(_ctx: RequestContext, resp: Response) -> Result<Response, Error> {
        Ok(resp)
    }
}

/// The exported stream-filter resource: passes everything.
struct Stream;

impl GuestStreamFilter for Stream {
    fn new(_ctx: RequestContext) -> Self {
        Stream
    }

    fn on_events(&self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        Ok(events)
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        Ok(Vec::new())
    }
}

bindings::export!(Reach with_types_in bindings);
