//! Requests from web pages. A browser marks every cross-site request with
//! an `Origin` header, and it sends a "simple" `POST` (a `text/plain` body,
//! no preflight) from any page the user visits. Without this check, any
//! such page could have a local gateway call upstreams with the user's
//! keys, and a page whose host name resolves to 127.0.0.1 (DNS rebinding)
//! could read the answers. SDKs, CLIs and agents send no `Origin`, so they
//! pass; a web app is let in by listing its origin in
//! `server.allowed_origins`, and then gets the CORS headers it needs.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::Gateway;
use crate::api_error::ApiError;
use crate::canonical::ErrorKind;
use crate::frontend::Format;

/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// What the origin check decides for a request.
pub enum Screen {
    /// No `Origin` header: SDKs, CLIs and agents.
    NoOrigin,
    /// A page whose origin is allowed: serve it, then [`allow`] it to read
    /// the answer.
    Allowed(HeaderValue),
    /// Answered here: a refused page, or an allowed page's preflight.
    Answered(Response),
}

/// Refuse requests from web pages whose origin is not allowed, and answer
/// preflights from those that are.
pub fn screen(gw: &Gateway, request: &Request) -> Screen {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        return Screen::NoOrigin;
    };
    let allowed = {
        let live = gw.live.load();
        is_allowed(&live.config.server.allowed_origins, &origin)
    };
    if !allowed {
        tracing::warn!(origin = ?origin, path = request.uri().path(), "request from a web page refused");
        let error = ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            format!(
                "requests from web pages are refused: origin `{}` is not in `server.allowed_origins`",
                origin.to_str().unwrap_or("(not text)")
            ),
        )
        .with_code("origin_not_allowed");
        return Screen::Answered(Format::from_path(request.uri().path()).error_response(&error));
    }
    if request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return Screen::Answered(preflight(origin, request.headers()));
    }
    Screen::Allowed(origin)
}

/// Whether `origin` is one of `allowed` (`"*"` allows any).
fn is_allowed(allowed: &[String], origin: &HeaderValue) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// The answer to a CORS preflight from an allowed origin: the methods the
/// gateway serves and whatever headers the page asked to send (access
/// keys, `anthropic-version`, an SDK's own).
fn preflight(origin: HeaderValue, request: &HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    allow(headers, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    response
}

/// CORS headers that let the page at `origin` read the answer (and the
/// retry advice of an error).
pub fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, retry-after-ms"),
    );
    headers.append(header::VARY, HeaderValue::from_static("origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly_or_by_wildcard() {
        let origin = HeaderValue::from_static("http://localhost:3000");
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!is_allowed(&[], &origin));
        assert!(is_allowed(&list(&["http://localhost:3000"]), &origin));
        assert!(is_allowed(&list(&["http://localhost:3000/"]), &origin));
        assert!(is_allowed(&list(&["HTTP://LOCALHOST:3000"]), &origin));
        assert!(is_allowed(&list(&["*"]), &origin));
        assert!(!is_allowed(&list(&["http://localhost:3001"]), &origin));
        assert!(!is_allowed(&list(&["http://localhost"]), &origin));
        assert!(!is_allowed(
            &list(&["https://app.example"]),
            &HeaderValue::from_static("null")
        ));
    }
}
