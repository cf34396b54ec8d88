//! [`wit_errors!`](crate::wit_errors): the error glue every provider plugin
//! needs between this crate's plain errors and its generated WIT types.

/// Write, in a plugin's error module, the glue between [`KindName`] /
/// [`Failure`] and the plugin's generated `ErrorKind` / `Error` types:
///
/// - `From<KindName>` for `ErrorKind` and `From<Failure>` for `Error`;
/// - `invalid_request(message)`, `upstream(message, status, retryable)`,
///   `ended_early()` and `busy()`: the [`Failure`] constructors of the same
///   names, returning `Error` (`busy` names the plugin).
///
/// ```text
/// use crate::types::{Error, ErrorKind};
///
/// wasmgate_wire::wit_errors!(Error, ErrorKind, "anthropic");
/// ```
///
/// [`KindName`]: crate::KindName
/// [`Failure`]: crate::Failure
#[macro_export]
macro_rules! wit_errors {
    ($error:ident, $kind:ident, $plugin:expr) => {
        impl ::core::convert::From<$crate::KindName> for $kind {
            fn from(kind: $crate::KindName) -> Self {
                match kind {
                    $crate::KindName::InvalidRequest => Self::InvalidRequest,
                    $crate::KindName::Authentication => Self::Authentication,
                    $crate::KindName::Permission => Self::Permission,
                    $crate::KindName::NotFound => Self::NotFound,
                    $crate::KindName::RateLimit => Self::RateLimit,
                    $crate::KindName::Overloaded => Self::Overloaded,
                    $crate::KindName::Timeout => Self::Timeout,
                    $crate::KindName::ContextLength => Self::ContextLength,
                    $crate::KindName::ContentFilter => Self::ContentFilter,
                    $crate::KindName::Upstream => Self::Upstream,
                    $crate::KindName::Plugin => Self::Plugin,
                    $crate::KindName::Internal => Self::Internal,
                }
            }
        }

        impl ::core::convert::From<$crate::Failure> for $error {
            fn from(failure: $crate::Failure) -> Self {
                Self {
                    kind: failure.kind.into(),
                    message: failure.message,
                    status: failure.status,
                    retryable: failure.retryable,
                }
            }
        }

        /// The client sent something this provider cannot express: 400,
        /// not retryable.
        #[allow(dead_code)]
        pub fn invalid_request(message: impl Into<String>) -> $error {
            $crate::Failure::invalid_request(message).into()
        }

        /// The upstream misbehaved (bad JSON, a broken stream).
        #[allow(dead_code)]
        pub fn upstream(message: impl Into<String>, status: u16, retryable: bool) -> $error {
            $crate::Failure::upstream(message, status, retryable).into()
        }

        /// The stream ended before the upstream said the answer was
        /// complete: a retryable bad gateway.
        #[allow(dead_code)]
        pub fn ended_early() -> $error {
            $crate::Failure::ended_early().into()
        }

        /// The decoder was re-entered, which the host never does.
        #[allow(dead_code)]
        pub fn busy() -> $error {
            $crate::Failure::busy($plugin).into()
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::KindName;

    /// Stand-ins for a plugin's generated types.
    mod types {
        #[derive(Debug, PartialEq)]
        pub enum ErrorKind {
            InvalidRequest,
            Authentication,
            Permission,
            NotFound,
            RateLimit,
            Overloaded,
            Timeout,
            ContextLength,
            ContentFilter,
            Upstream,
            Plugin,
            Internal,
        }

        #[derive(Debug, PartialEq)]
        pub struct Error {
            pub kind: ErrorKind,
            pub message: String,
            pub status: u16,
            pub retryable: bool,
        }
    }

    /// A plugin's error module.
    mod error {
        use super::types::{Error, ErrorKind};

        crate::wit_errors!(Error, ErrorKind, "test");
    }

    use types::{Error, ErrorKind};

    #[test]
    fn every_kind_converts() {
        let pairs = [
            (KindName::InvalidRequest, ErrorKind::InvalidRequest),
            (KindName::Authentication, ErrorKind::Authentication),
            (KindName::Permission, ErrorKind::Permission),
            (KindName::NotFound, ErrorKind::NotFound),
            (KindName::RateLimit, ErrorKind::RateLimit),
            (KindName::Overloaded, ErrorKind::Overloaded),
            (KindName::Timeout, ErrorKind::Timeout),
            (KindName::ContextLength, ErrorKind::ContextLength),
            (KindName::ContentFilter, ErrorKind::ContentFilter),
            (KindName::Upstream, ErrorKind::Upstream),
            (KindName::Plugin, ErrorKind::Plugin),
            (KindName::Internal, ErrorKind::Internal),
        ];
        for (name, kind) in pairs {
            assert_eq!(ErrorKind::from(name), kind);
        }
    }

    #[test]
    fn constructors_build_the_generated_error() {
        let error = |kind, message: &str, status, retryable| Error {
            kind,
            message: message.into(),
            status,
            retryable,
        };
        assert_eq!(
            error::invalid_request("bad"),
            error(ErrorKind::InvalidRequest, "bad", 400, false)
        );
        assert_eq!(
            error::upstream("boom", 503, true),
            error(ErrorKind::Upstream, "boom", 503, true)
        );
        assert_eq!(
            error::ended_early(),
            error(
                ErrorKind::Upstream,
                "upstream stream ended early, before the answer was complete",
                502,
                true
            )
        );
        assert_eq!(
            error::busy(),
            error(
                ErrorKind::Internal,
                "test stream decoder called while busy",
                500,
                false
            )
        );
    }
}
