//! The canonical model (generated from `wit/types.wit`) and the rules every
//! plugin output must keep.

mod validate;

pub use crate::runtime::bindings::types::*;
pub use validate::{
    StreamChecker, validate_edits, validate_error, validate_http_request, validate_request,
    validate_response,
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

impl Usage {
    /// Input plus output tokens.
    pub fn total(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}
