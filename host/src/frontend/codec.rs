//! What every client wire format implements, so one handler serves them all.

use axum::http::HeaderMap;

use super::Format;
use super::sse::StreamEncoder;
use crate::api_error::ApiError;
use crate::canonical::{Request, Response};

/// One client wire format, for one call. A handler builds the codec from
/// what the path and query say (Gemini puts the model and the stream flag
/// there), then the shared pipeline drives it.
pub trait Codec: Send + Sized + 'static {
    /// Encodes a streamed answer.
    type Stream: StreamEncoder;

    /// The wire format, for errors and for `request-context.frontend`.
    const FORMAT: Format;

    /// The client's body (and headers) as a canonical request.
    fn decode(&mut self, body: &[u8], headers: &HeaderMap) -> Result<Request, ApiError>;

    /// A whole answer in this format. `model` is what the client asked for,
    /// used when the upstream names no model.
    fn encode(self, response: &Response, model: &str) -> axum::response::Response;

    /// The encoder for a streamed answer. `id` is the gateway's request id.
    fn stream(self, id: &str, model: String) -> Self::Stream;
}
