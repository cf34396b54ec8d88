//! OpenAI Chat Completions (`POST /v1/chat/completions`).

mod error;
mod request;
mod response;
mod stream;

pub use error::error_response;
pub use request::{ChatOptions, decode_request};
pub use response::encode_response;
pub use stream::ChatStreamEncoder;

use crate::canonical::FinishReason;

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
fn usage_json(usage: &crate::canonical::Usage) -> serde_json::Value {
    serde_json::json!({
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total(),
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens.unwrap_or(0)},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens.unwrap_or(0)},
    })
}
