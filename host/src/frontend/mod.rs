//! Front-end codecs: each client wire format to and from the canonical model.

pub mod anthropic;
mod codec;
pub mod extra;
pub mod gemini;
pub mod kept_text;
pub mod media;
pub mod message_array;
pub mod openai_chat;
pub mod openai_responses;
pub mod sse;
pub mod tokens;

pub use codec::Codec;

/// The client wire formats the gateway serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI Chat Completions (and anything unknown).
    OpenAiChat,
    /// OpenAI Responses.
    OpenAiResponses,
    /// Anthropic Messages.
    Anthropic,
    /// Google Gemini (`generateContent`).
    Gemini,
}

impl Format {
    /// The format a request path belongs to, for rendering errors before
    /// the handler runs (auth, routing).
    pub fn from_path(path: &str) -> Self {
        if path.starts_with("/v1/messages") {
            Format::Anthropic
        } else if path.starts_with("/v1/responses") || path.starts_with("/responses") {
            Format::OpenAiResponses
        } else if path.starts_with("/v1beta/")
            || (path.starts_with("/v1/models/") && path.contains(':'))
        {
            Format::Gemini
        } else {
            Format::OpenAiChat
        }
    }

    /// Render an error in this format.
    /// The upstream's `retry-after` headers go with it.
    pub fn error_response(self, error: &crate::api_error::ApiError) -> axum::response::Response {
        let mut response = match self {
            Format::OpenAiChat | Format::OpenAiResponses => openai_chat::error_response(error),
            Format::Anthropic => anthropic::error_response(error),
            Format::Gemini => gemini::error_response(error),
        };
        for (name, value) in &error.retry_after {
            if let Ok(value) = axum::http::HeaderValue::from_str(value) {
                response
                    .headers_mut()
                    .insert(axum::http::HeaderName::from_static(name), value);
            }
        }
        response
    }

    /// The wire name: `request-context.frontend` and the key of this
    /// format's fields in canonical `extra` objects (see docs/canonical.md).
    pub fn name(self) -> &'static str {
        match self {
            Format::OpenAiChat => "openai-chat",
            Format::OpenAiResponses => "openai-responses",
            Format::Anthropic => "anthropic",
            Format::Gemini => "gemini",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn paths_map_to_formats() {
        for (path, format) in [
            ("/v1/chat/completions", Format::OpenAiChat),
            ("/v1/models", Format::OpenAiChat),
            ("/v1/responses", Format::OpenAiResponses),
            ("/v1/messages", Format::Anthropic),
            ("/v1/messages/count_tokens", Format::Anthropic),
            ("/v1beta/models/g:generateContent", Format::Gemini),
            ("/v1beta/models", Format::Gemini),
            ("/v1/models/g:streamGenerateContent", Format::Gemini),
            ("/nope", Format::OpenAiChat),
        ] {
            assert_eq!(Format::from_path(path), format, "{path}");
        }
    }
}
