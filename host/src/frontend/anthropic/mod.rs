//! Anthropic Messages (`POST /v1/messages`, `POST /v1/messages/count_tokens`).

mod error;
mod request;
mod response;
mod simple_messages;
mod stream;

pub use error::{error_body, error_response};
pub use request::decode_request;
pub use response::encode_response;
pub use stream::AnthropicStreamEncoder;

use axum::Json;
use axum::http::HeaderMap;
use axum::response::IntoResponse;

use super::{Codec, Format};
use crate::api_error::ApiError;
use crate::canonical::{Request, Response};

/// The Messages codec for one call.
#[derive(Debug, Default)]
pub struct AnthropicCodec {
    id: String,
}

impl Codec for AnthropicCodec {
    type Stream = AnthropicStreamEncoder;
    const FORMAT: Format = Format::Anthropic;

    fn decode(&mut self, body: &[u8], headers: &HeaderMap) -> Result<Request, ApiError> {
        decode_request(body, headers)
    }

    fn encode(self, response: &Response, model: &str) -> axum::response::Response {
        Json(encode_response(response, model, &self.id)).into_response()
    }

    fn stream(self, id: &str, model: String) -> AnthropicStreamEncoder {
        AnthropicStreamEncoder::new(id.to_owned(), model)
    }
}
