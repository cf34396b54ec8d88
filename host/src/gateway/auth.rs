//! Local access keys: `Authorization: Bearer`, `x-api-key`,
//! `x-goog-api-key` or `?key=`. They are checked here and never forwarded.

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::state::Gateway;
use crate::api_error::ApiError;
use crate::canonical::ErrorKind;
use crate::frontend::Format;

/// The refusal for a request without a configured access key (when any
/// are configured), or `None` to let it through.
pub fn refusal(gw: &Gateway, request: &Request) -> Option<Response> {
    let live = gw.live.load();
    if request.uri().path().starts_with("/admin/") {
        return admin_refusal(&live.config.server.admin_keys, request);
    }
    let keys = &live.config.server.api_keys;
    if keys.is_empty() || request.uri().path() == "/health" {
        return None;
    }
    let presented = presented_key(request.headers(), request.uri().query());
    if presented.is_some_and(|p| {
        keys.iter()
            .any(|k| constant_time_eq(k.as_bytes(), p.as_bytes()))
    }) {
        return None;
    }
    let message = if presented.is_some() {
        "the access key is not valid for this gateway"
    } else {
        "this gateway needs an access key: send `Authorization: Bearer <key>`, `x-api-key`, `x-goog-api-key` or `?key=`"
    };
    let error = ApiError::new(StatusCode::UNAUTHORIZED, ErrorKind::Authentication, message)
        .with_code("invalid_api_key");
    Some(Format::from_path(request.uri().path()).error_response(&error))
}

/// The admin API: only `server.admin_keys` open it, and with none it is off.
fn admin_refusal(keys: &[String], request: &Request) -> Option<Response> {
    let presented = presented_key(request.headers(), request.uri().query());
    if !keys.is_empty()
        && presented.is_some_and(|p| {
            keys.iter()
                .any(|k| constant_time_eq(k.as_bytes(), p.as_bytes()))
        })
    {
        return None;
    }
    let (status, message) = if keys.is_empty() {
        (
            StatusCode::FORBIDDEN,
            "the admin API is off: set `server.admin_keys` in the config",
        )
    } else if presented.is_some() {
        (StatusCode::UNAUTHORIZED, "the admin key is not valid")
    } else {
        (
            StatusCode::UNAUTHORIZED,
            "the admin API needs an admin key: send `Authorization: Bearer <key>`",
        )
    };
    let kind = if status == StatusCode::FORBIDDEN {
        ErrorKind::Permission
    } else {
        ErrorKind::Authentication
    };
    Some(Format::OpenAiChat.error_response(&ApiError::new(status, kind, message)))
}

fn presented_key<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(auth) = header("authorization") {
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "));
        if let Some(token) = token {
            return Some(token.trim());
        }
    }
    header("x-api-key")
        .or_else(|| header("x-goog-api-key"))
        .or_else(|| query?.split('&').find_map(|pair| pair.strip_prefix("key=")))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_in_every_place() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_key(&h, Some("a=1&key=k1")), Some("k1"));
        h.insert(
            "x-goog-api-key",
            "k2".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(presented_key(&h, None), Some("k2"));
        h.insert(
            "authorization",
            "Bearer k3".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(presented_key(&h, None), Some("k3"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
