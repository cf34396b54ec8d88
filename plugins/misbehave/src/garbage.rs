//! Values that break the plugin contract, for `garbage` mode.

use crate::bindings::exports::wasmgate::plugin::filter::MessageEdit;
use crate::types::{
    ContentPart, Error, ErrorKind, Request, Response, StreamEvent, ToolCallDelta, ToolResult,
};

/// The request with no messages left (a request must have some).
pub fn request(mut req: Request) -> Request {
    req.messages.clear();
    req
}

/// An edit of the message one past the request's last.
pub fn edit(mut req: Request) -> Vec<MessageEdit> {
    let index = u32::try_from(req.messages.len()).unwrap_or(u32::MAX);
    match req.messages.pop() {
        Some(message) => vec![MessageEdit { index, message }],
        None => Vec::new(),
    }
}

/// The response plus a tool result (an answer cannot carry one).
pub fn response(mut resp: Response) -> Response {
    resp.content.push(ContentPart::ToolResult(ToolResult {
        call_id: "call_misbehave".into(),
        content: Vec::new(),
        is_error: false,
    }));
    resp
}

/// A delta for a tool call that never started.
pub fn stream_events() -> Vec<StreamEvent> {
    vec![StreamEvent::ToolCallDelta(ToolCallDelta {
        index: 99,
        arguments: "x".into(),
    })]
}

/// The error `init` refuses with.
pub fn init_error() -> Error {
    Error {
        kind: ErrorKind::Plugin,
        message: "misbehave: init refused".into(),
        status: 500,
        retryable: false,
    }
}
