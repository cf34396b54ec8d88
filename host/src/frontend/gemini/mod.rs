//! Google Gemini (`POST /v1beta/models/{model}:generateContent`,
//! `:streamGenerateContent`, `:countTokens`, and the same under `/v1/`).

mod error;

pub use error::{error_body, error_response};
