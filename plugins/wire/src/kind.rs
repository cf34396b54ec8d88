//! The canonical error kinds by name (a plugin converts them into its
//! generated `ErrorKind` with [`wit_errors!`](crate::wit_errors)).

/// A canonical error kind: the variants of the WIT `error-kind` enum, which
/// each plugin generates as its own `ErrorKind` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindName {
    /// The client sent something the upstream cannot take.
    InvalidRequest,
    /// The credential was refused.
    Authentication,
    /// The credential may not do this.
    Permission,
    /// No such model or resource.
    NotFound,
    /// Too many requests, or out of quota.
    RateLimit,
    /// The upstream is too busy.
    Overloaded,
    /// The upstream took too long.
    Timeout,
    /// The prompt does not fit the model's context window.
    ContextLength,
    /// A safety system refused the request.
    ContentFilter,
    /// The upstream failed or misbehaved.
    Upstream,
    /// A plugin failed.
    Plugin,
    /// A bug in the gateway.
    Internal,
}
