//! OpenAI Responses (`POST /v1/responses`).
//!
//! wasmgate does not store responses: every call must carry its whole
//! input, so `previous_response_id`, `conversation` and `item_reference`
//! are refused with a 400 that says so.
//!
//! Input items map onto canonical messages (docs/canonical.md):
//! consecutive assistant `message`, `reasoning` and `function_call` items
//! fold into one assistant message, consecutive `function_call_output`
//! items into one tool message. Item fields with no canonical home (the
//! item `id`, `status`, `annotations`, …) go to that message's `$parts`
//! entry for each content part the item produced, so every part of one
//! item carries the same `id`.
//!
//! Non-function tools (`web_search`, `custom`, …) and a non-function
//! `tool_choice` have no canonical home either: they are kept, as the
//! client sent them, under `tools` and `tool_choice` in the request's
//! `extra`, and the call goes on with the function tools.

mod input;
mod output;
mod request;
mod response;
mod stream;

pub use request::{Echo, decode_request};
pub use response::encode_response;
pub use stream::ResponsesStreamEncoder;

use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{Codec, Format};
use crate::api_error::ApiError;
use crate::canonical::{ErrorKind, FinishReason, Request, Response, Usage};

/// The Responses codec for one call: keeps what the answer echoes back
/// from the request (tools, tool choice, sampling settings, …).
#[derive(Debug, Default)]
pub struct ResponsesCodec {
    echo: Echo,
}

impl Codec for ResponsesCodec {
    type Stream = ResponsesStreamEncoder;
    const FORMAT: Format = Format::OpenAiResponses;

    fn decode(&mut self, body: &[u8], _headers: &HeaderMap) -> Result<Request, ApiError> {
        let (req, echo) = decode_request(body)?;
        self.echo = echo;
        Ok(req)
    }

    fn encode(self, response: &Response, model: &str) -> axum::response::Response {
        let body = encode_response(response, model, &self.echo);
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    }

    fn stream(self, id: &str, model: String) -> ResponsesStreamEncoder {
        ResponsesStreamEncoder::new(id, model, self.echo)
    }
}

/// How an answer ended, on this wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Completed,
    /// `incomplete` with this `incomplete_details.reason`.
    Incomplete(&'static str),
    Failed,
}

impl Status {
    fn from_finish(reason: Option<&FinishReason>) -> Self {
        match reason {
            Some(FinishReason::Length) => Status::Incomplete("max_output_tokens"),
            Some(FinishReason::ContentFilter) => Status::Incomplete("content_filter"),
            Some(FinishReason::Error) => Status::Failed,
            _ => Status::Completed,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Incomplete(_) => "incomplete",
            Status::Failed => "failed",
        }
    }

    /// The status of output items: an incomplete answer's last items are
    /// incomplete too.
    fn item_status(self) -> &'static str {
        match self {
            Status::Incomplete(_) => "incomplete",
            _ => "completed",
        }
    }

    fn incomplete_details(self) -> Value {
        match self {
            Status::Incomplete(reason) => json!({ "reason": reason }),
            _ => Value::Null,
        }
    }
}

/// The wire usage object. Newer SDKs require `cache_write_tokens`, so it
/// is always present.
fn usage_json(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_input_tokens.unwrap_or(0),
            "cache_write_tokens": usage.cache_write_tokens.unwrap_or(0),
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens.unwrap_or(0)},
        "total_tokens": usage.total(),
    })
}

/// The `error` object of a failed response. The SDK validates `code`
/// against a closed set; `context_length_exceeded` is outside it but is
/// what the API sends and what Codex looks for to stop retrying.
fn failure_json(kind: ErrorKind, message: &str) -> Value {
    let code = match kind {
        ErrorKind::RateLimit => "rate_limit_exceeded",
        ErrorKind::ContextLength => "context_length_exceeded",
        ErrorKind::InvalidRequest | ErrorKind::ContentFilter => "invalid_prompt",
        _ => "server_error",
    };
    json!({"code": code, "message": message})
}

/// The response id: the upstream's when it is a Responses id, else the
/// upstream id (or `fallback`) with the `resp_` prefix.
fn response_id(upstream: &str, fallback: impl FnOnce() -> String) -> String {
    if upstream.starts_with("resp_") {
        upstream.to_string()
    } else if upstream.is_empty() {
        format!("resp_{}", fallback())
    } else {
        format!("resp_{upstream}")
    }
}

/// An output item id: `prefix`, the response id's unique part, the item's
/// output index.
fn item_id(prefix: &str, response_id: &str, index: usize) -> String {
    let base = response_id.strip_prefix("resp_").unwrap_or(response_id);
    format!("{prefix}_{base}_{index}")
}

/// A call id for a tool call the upstream gave none.
fn call_id(response_id: &str, index: usize) -> String {
    item_id("call", response_id, index)
}

/// Unix seconds now.
fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A fresh id part when the upstream gave no id at all.
fn fresh_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("wg{nanos:x}{:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}
