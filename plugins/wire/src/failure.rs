//! [`Failure`]: a canonical error as plain values, the stand-in for a
//! plugin's generated `Error` record (converted by
//! [`wit_errors!`](crate::wit_errors)).

use crate::{KindName, status};

/// A canonical error: the fields of the WIT `error` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong.
    pub kind: KindName,
    /// A message for the client.
    pub message: String,
    /// HTTP status the client should see (400..=599).
    pub status: u16,
    /// True when the same request may succeed if retried.
    pub retryable: bool,
}

impl Failure {
    /// The client sent something the provider cannot express: 400, not
    /// retryable.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self {
            kind: KindName::InvalidRequest,
            message: message.into(),
            status: 400,
            retryable: false,
        }
    }

    /// The upstream misbehaved (bad JSON, a broken stream).
    pub fn upstream(message: impl Into<String>, status: u16, retryable: bool) -> Self {
        Self {
            kind: KindName::Upstream,
            message: message.into(),
            status,
            retryable,
        }
    }

    /// The stream ended before the upstream said the answer was complete:
    /// a retryable bad gateway.
    pub fn ended_early() -> Self {
        Self::upstream(
            "upstream stream ended early, before the answer was complete",
            502,
            true,
        )
    }

    /// The stream decoder of `plugin` was re-entered, which the host never
    /// does.
    pub fn busy(plugin: &str) -> Self {
        Self {
            kind: KindName::Internal,
            message: format!("{plugin} stream decoder called while busy"),
            status: 500,
            retryable: false,
        }
    }

    /// An error of `kind` the upstream answered with `status` (already a
    /// client status, see [`status::client_status`]); retryable as
    /// [`status::is_retryable`] says.
    pub fn for_status(status: u16, kind: KindName, message: String) -> Self {
        Self {
            kind,
            message,
            status,
            retryable: status::is_retryable(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors() {
        assert_eq!(
            Failure::upstream("boom", 502, true),
            Failure {
                kind: KindName::Upstream,
                message: "boom".into(),
                status: 502,
                retryable: true,
            }
        );
        let e = Failure::ended_early();
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (KindName::Upstream, 502, true)
        );
        assert_eq!(
            Failure::busy("gemini"),
            Failure {
                kind: KindName::Internal,
                message: "gemini stream decoder called while busy".into(),
                status: 500,
                retryable: false,
            }
        );
        let e = Failure::for_status(429, KindName::RateLimit, "slow".into());
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (KindName::RateLimit, 429, true)
        );
        assert!(!Failure::for_status(404, KindName::NotFound, String::new()).retryable);
    }
}
