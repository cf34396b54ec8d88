//! The one error type a client sees, before it is rendered in the client's
//! own wire format by its front-end.

use axum::http::StatusCode;

use crate::canonical::{Error, ErrorKind};
use crate::runtime::PluginError;

/// An error answer for a client, independent of its wire format.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Category.
    pub kind: ErrorKind,
    /// A message a person can act on.
    pub message: String,
    /// A short machine code (`model_not_found`, `plugin_failed`, …).
    pub code: Option<&'static str>,
    /// The request field at fault, if any.
    pub param: Option<String>,
    /// Headers telling the client when to retry (`retry-after`,
    /// `retry-after-ms`), passed on from the upstream.
    pub retry_after: Vec<(&'static str, String)>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            code: None,
            param: None,
            retry_after: Vec::new(),
        }
    }

    /// 400 about one field.
    pub fn bad_field(param: impl Into<String>, message: impl Into<String>) -> Self {
        let param = param.into();
        Self {
            param: Some(param),
            ..Self::new(StatusCode::BAD_REQUEST, ErrorKind::InvalidRequest, message)
        }
    }

    /// Attach a machine code.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// Attach the upstream's `retry-after` headers.
    pub fn with_retry_after(mut self, headers: Vec<(&'static str, String)>) -> Self {
        self.retry_after = headers;
        self
    }

    /// Replace `secret` (an upstream credential an upstream may echo back in
    /// its error message) with `[redacted]`.
    pub fn redact(mut self, secret: Option<&str>) -> Self {
        scrub(&mut self.message, secret);
        self
    }

    /// 504: the upstream did not answer in time.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, ErrorKind::Timeout, message)
            .with_code("upstream_timeout")
    }

    /// 502: the upstream could not be reached or broke off.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, ErrorKind::Upstream, message).with_code("upstream_error")
    }

    /// The canonical form, for stream error events.
    pub fn to_canonical(&self) -> Error {
        Error {
            kind: self.kind,
            message: self.message.clone(),
            status: self.status.as_u16(),
            retryable: matches!(
                self.kind,
                ErrorKind::RateLimit
                    | ErrorKind::Overloaded
                    | ErrorKind::Timeout
                    | ErrorKind::Upstream
            ),
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_GATEWAY);
        Self::new(status, error.kind, error.message)
    }
}

impl From<PluginError> for ApiError {
    fn from(error: PluginError) -> Self {
        if let PluginError::Busy { .. } = error {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Overloaded,
                error.to_string(),
            )
            .with_code("gateway_busy")
            .with_retry_after(vec![("retry-after", "1".into())]);
        }
        Self::new(
            StatusCode::BAD_GATEWAY,
            ErrorKind::Plugin,
            error.to_string(),
        )
        .with_code("plugin_failed")
    }
}

/// Replace `secret` (an upstream credential, 4 bytes or longer) in `text`
/// with `[redacted]`: upstreams quote the key they were sent.
pub fn scrub(text: &mut String, secret: Option<&str>) {
    if let Some(secret) = secret.filter(|s| s.len() >= 4)
        && text.contains(secret)
    {
        *text = text.replace(secret, "[redacted]");
    }
}
