//! Typed error constructors.

use crate::types::{Error, ErrorKind};

/// The echo answer body could not be read.
pub fn bad_body(message: impl Into<String>) -> Error {
    Error {
        kind: ErrorKind::Upstream,
        message: message.into(),
        status: 502,
        retryable: false,
    }
}

/// A non-2xx echo answer: echo only fails when asked to, so it is the
/// client's doing.
pub fn refused(message: impl Into<String>, status: u16) -> Error {
    Error {
        kind: ErrorKind::InvalidRequest,
        message: message.into(),
        status: if (400..=599).contains(&status) {
            status
        } else {
            400
        },
        retryable: false,
    }
}

/// The decoder was re-entered, which the host never does.
pub fn busy() -> Error {
    Error {
        kind: ErrorKind::Internal,
        message: "echo stream decoder called while busy".into(),
        status: 500,
        retryable: false,
    }
}
