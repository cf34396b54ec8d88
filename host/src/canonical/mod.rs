//! The canonical model (generated from `wit/types.wit`) and the rules every
//! plugin output must keep.

mod validate;

pub use crate::runtime::bindings::types::*;
pub use validate::{
    StreamChecker, validate_edits, validate_error, validate_request, validate_response,
};

impl Error {
    /// An error with `kind`, `status` and `message`, not retryable.
    pub fn new(kind: ErrorKind, status: u16, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status,
            retryable: false,
        }
    }
}

impl Request {
    /// A request for `model` with `messages` and nothing else set: no tools,
    /// default sampling, not streamed.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        Request {
            model: model.into(),
            messages,
            tools: Vec::new(),
            tool_choice: None,
            parallel_tool_calls: None,
            sampling: Sampling {
                max_tokens: None,
                temperature: None,
                top_p: None,
                stop: Vec::new(),
                seed: None,
            },
            stream: false,
            reasoning: None,
            extra: None,
        }
    }
}

impl Message {
    /// A message from `role` with `content` and no name or extra fields.
    pub fn new(role: Role, content: Vec<ContentPart>) -> Self {
        Message {
            role,
            content,
            name: None,
            extra: None,
        }
    }
}

impl Usage {
    /// Input plus output tokens.
    pub fn total(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}
