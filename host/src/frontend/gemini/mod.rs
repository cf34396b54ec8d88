//! Google Gemini (`POST /v1beta/models/{model}:generateContent`,
//! `:streamGenerateContent`, `:countTokens`, and the same under `/v1/`).
//!
//! The model and the stream flag come from the path, not the body; a
//! streamed answer is server-sent events with `?alt=sse`, else one JSON
//! array of responses.

mod error;
mod fields;
mod path;
mod request;
mod response;
mod schema;
mod signature;
mod stream;

pub use error::{error_body, error_response};
pub use path::{Action, model_name, split as split_action, wants_sse};
pub use request::{decode_count_tokens, decode_request};
pub use response::encode_response;
pub use stream::GeminiStreamEncoder;

use axum::Json;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde_json::{Map, Value};

use super::{Codec, Format};
use crate::api_error::ApiError;
use crate::canonical::{FinishReason, Request, Response, Usage};

/// The Gemini codec for one call.
#[derive(Debug)]
pub struct GeminiCodec {
    model: String,
    stream: bool,
    sse: bool,
}

impl GeminiCodec {
    /// A codec for `model` (from the path, without `models/`); `stream` for
    /// `:streamGenerateContent`, `sse` for `?alt=sse`.
    pub fn new(model: String, stream: bool, sse: bool) -> Self {
        Self { model, stream, sse }
    }
}

impl Codec for GeminiCodec {
    type Stream = GeminiStreamEncoder;
    const FORMAT: Format = Format::Gemini;

    fn decode(&mut self, body: &[u8], _headers: &HeaderMap) -> Result<Request, ApiError> {
        decode_request(body, &self.model, self.stream)
    }

    fn encode(self, response: &Response, model: &str) -> axum::response::Response {
        Json(encode_response(response, model)).into_response()
    }

    fn stream(self, id: &str, model: String) -> GeminiStreamEncoder {
        GeminiStreamEncoder::new(id.to_string(), model, self.sse)
    }
}

/// Gemini finish reasons a provider may pass through as `other`.
const GEMINI_REASONS: &[&str] = &[
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_OTHER",
    "NO_IMAGE",
    "IMAGE_RECITATION",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
    "MISSING_THOUGHT_SIGNATURE",
];

/// The wire `finishReason` (docs/canonical.md). Tool calls are `STOP` with
/// `functionCall` parts; an `other` reason that is a Gemini reason passes
/// through, anything else is `OTHER`.
fn finish_reason(reason: Option<&FinishReason>) -> &str {
    match reason {
        None | Some(FinishReason::Stop) | Some(FinishReason::ToolCalls) => "STOP",
        Some(FinishReason::Length) => "MAX_TOKENS",
        Some(FinishReason::ContentFilter) => "SAFETY",
        Some(FinishReason::Error) => "OTHER",
        Some(FinishReason::Other(other)) => GEMINI_REASONS
            .iter()
            .find(|r| **r == other.as_str())
            .copied()
            .unwrap_or("OTHER"),
    }
}

/// The wire `usageMetadata`: `candidatesTokenCount` excludes thinking,
/// which is `thoughtsTokenCount`.
fn usage_json(usage: &Usage) -> Value {
    let reasoning = usage.reasoning_tokens.unwrap_or(0);
    let mut obj = Map::new();
    obj.insert("promptTokenCount".into(), usage.input_tokens.into());
    obj.insert(
        "candidatesTokenCount".into(),
        usage.output_tokens.saturating_sub(reasoning).into(),
    );
    obj.insert("totalTokenCount".into(), usage.total().into());
    if let Some(cached) = usage.cached_input_tokens {
        obj.insert("cachedContentTokenCount".into(), cached.into());
    }
    if reasoning > 0 {
        obj.insert("thoughtsTokenCount".into(), reasoning.into());
    }
    Value::Object(obj)
}

/// A tool call's `arguments` text as the object Gemini's `args` must be.
fn call_args(name: &str, arguments: &str) -> Value {
    if arguments.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(args @ Value::Object(_)) => args,
        _ => {
            tracing::warn!(
                tool = name,
                "tool call arguments are not a JSON object; sending `args: {{}}`"
            );
            Value::Object(Map::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finish_reasons_follow_the_table() {
        assert_eq!(finish_reason(None), "STOP");
        assert_eq!(finish_reason(Some(&FinishReason::ToolCalls)), "STOP");
        assert_eq!(finish_reason(Some(&FinishReason::Length)), "MAX_TOKENS");
        assert_eq!(finish_reason(Some(&FinishReason::ContentFilter)), "SAFETY");
        assert_eq!(
            finish_reason(Some(&FinishReason::Other("RECITATION".into()))),
            "RECITATION"
        );
        assert_eq!(
            finish_reason(Some(&FinishReason::Other("weird".into()))),
            "OTHER"
        );
    }

    #[test]
    fn usage_splits_out_thoughts() {
        let usage = Usage {
            input_tokens: 10,
            output_tokens: 8,
            cached_input_tokens: Some(4),
            cache_write_tokens: None,
            reasoning_tokens: Some(3),
        };
        assert_eq!(
            usage_json(&usage),
            json!({"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 18,
                "cachedContentTokenCount": 4, "thoughtsTokenCount": 3})
        );
    }

    #[test]
    fn args_must_be_an_object() {
        assert_eq!(call_args("f", r#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(call_args("f", ""), json!({}));
        assert_eq!(call_args("f", "[1]"), json!({}));
        assert_eq!(call_args("f", "{broken"), json!({}));
    }
}
