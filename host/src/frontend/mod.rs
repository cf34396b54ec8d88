//! Front-end codecs: each client wire format to and from the canonical model.

pub mod openai_chat;
pub mod sse;

/// The client wire formats the gateway serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI Chat Completions (and anything unknown).
    OpenAiChat,
}

impl Format {
    /// The format a request path belongs to, for rendering errors before
    /// the handler runs (auth, routing).
    pub fn from_path(_path: &str) -> Self {
        Format::OpenAiChat
    }

    /// Render an error in this format.
    pub fn error_response(self, error: &crate::api_error::ApiError) -> axum::response::Response {
        match self {
            Format::OpenAiChat => openai_chat::error_response(error),
        }
    }

    /// The name filters see in `request-context.frontend`.
    pub fn name(self) -> &'static str {
        match self {
            Format::OpenAiChat => "openai-chat",
        }
    }
}
