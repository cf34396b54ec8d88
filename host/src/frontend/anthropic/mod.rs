//! Anthropic Messages (`POST /v1/messages`, `POST /v1/messages/count_tokens`).

mod error;

pub use error::{error_body, error_response};
