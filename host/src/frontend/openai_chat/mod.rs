//! OpenAI Chat Completions (`POST /v1/chat/completions`).

mod error;
mod request;
mod response;
mod simple_messages;
mod stream;

pub use error::error_response;
pub use request::{ChatOptions, decode_request};
pub use response::encode_response;
pub use stream::ChatStreamEncoder;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use super::{Codec, Format};
use crate::api_error::ApiError;
use crate::canonical::{FinishReason, Request, Response};

/// The Chat Completions codec for one call.
#[derive(Debug, Default)]
pub struct ChatCodec {
    options: ChatOptions,
}

impl Codec for ChatCodec {
    type Stream = ChatStreamEncoder;
    const FORMAT: Format = Format::OpenAiChat;

    fn decode(&mut self, body: &[u8], _headers: &HeaderMap) -> Result<Request, ApiError> {
        let (req, options) = decode_request(body)?;
        self.options = options;
        Ok(req)
    }

    fn encode(self, response: &Response, model: &str) -> axum::response::Response {
        match encode_response(response, model) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(e) => error_response(&ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::canonical::ErrorKind::Internal,
                format!("cannot encode the answer: {e}"),
            )),
        }
    }

    fn stream(self, id: &str, model: String) -> ChatStreamEncoder {
        ChatStreamEncoder::new(format!("chatcmpl-{id}"), model, self.options.include_usage)
    }
}

/// The wire `finish_reason`. The SDKs validate it against a closed set, so
/// reasons without an OpenAI equivalent become `stop`.
fn finish_reason(reason: Option<&FinishReason>) -> &'static str {
    match reason {
        Some(FinishReason::Length) => "length",
        Some(FinishReason::ToolCalls) => "tool_calls",
        Some(FinishReason::ContentFilter) => "content_filter",
        _ => "stop",
    }
}

/// The wire usage object.
#[derive(Debug, serde::Serialize)]
struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: CachedTokens,
    completion_tokens_details: ReasoningTokens,
}

#[derive(Debug, serde::Serialize)]
struct CachedTokens {
    cached_tokens: u64,
}

#[derive(Debug, serde::Serialize)]
struct ReasoningTokens {
    reasoning_tokens: u64,
}

impl WireUsage {
    fn new(usage: &crate::canonical::Usage) -> Self {
        Self {
            prompt_tokens: usage.input_tokens,
            completion_tokens: usage.output_tokens,
            total_tokens: usage.total(),
            prompt_tokens_details: CachedTokens {
                cached_tokens: usage.cached_input_tokens.unwrap_or(0),
            },
            completion_tokens_details: ReasoningTokens {
                reasoning_tokens: usage.reasoning_tokens.unwrap_or(0),
            },
        }
    }
}
