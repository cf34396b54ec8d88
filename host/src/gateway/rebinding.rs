//! DNS rebinding. A web page whose host name its owner points at 127.0.0.1
//! is, to the browser, the same site as a gateway on loopback: its `GET`s
//! carry no `Origin` (so [`origin`](super::origin) never sees them) and it
//! may read the answers, such as the model list. A gateway with access keys
//! is safe (the page has none), and one that listens beyond loopback is
//! reached by names no check here could know. So a gateway with no access
//! keys on a loopback address serves only requests addressed to it by a
//! name no web page can be served from: an IP address, `localhost` or a
//! name under it, `host.docker.internal` (a container reaching its host),
//! or a name in `server.allowed_hosts`.

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::extract::Request;
use axum::http::uri::Authority;
use axum::http::{StatusCode, header};
use axum::response::Response;

use super::state::Gateway;
use crate::api_error::ApiError;
use crate::canonical::ErrorKind;
use crate::frontend::Format;

/// The refusal for a request addressed to a name a web page could have,
/// on a gateway that needs no access key and listens on loopback; `None`
/// to let it through.
pub fn refusal(gw: &Gateway, request: &Request) -> Option<Response> {
    let live = gw.live.load();
    let server = &live.config.server;
    if !server.api_keys.is_empty() || !server.listen.ip().is_loopback() {
        return None;
    }
    // HTTP/1.1 sends `Host`, HTTP/2 the URI's authority; a browser always
    // sends one of them. A `Host` that is no authority is refused.
    let authority = match request.headers().get(header::HOST) {
        Some(value) => Authority::try_from(value.as_bytes()).ok(),
        None => Some(request.uri().authority()?.clone()),
    };
    let name = match &authority {
        Some(authority) => {
            let name = host_name(authority);
            let allowed = |host: &String| host.eq_ignore_ascii_case(name);
            if is_local(name) || server.allowed_hosts.iter().any(allowed) {
                return None;
            }
            name
        }
        None => "(not a host name)",
    };
    tracing::warn!(
        host = name,
        path = request.uri().path(),
        "request addressed to a host name that is not this machine's refused"
    );
    let error = ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorKind::Permission,
        format!(
            "requests addressed to `{name}` are refused: with no `server.api_keys`, this gateway \
             serves only `localhost` and IP addresses; add the name to `server.allowed_hosts`"
        ),
    )
    .with_code("host_not_allowed");
    Some(Format::from_path(request.uri().path()).error_response(&error))
}

/// The host name of an authority: without its port (an IPv6 address keeps
/// its brackets) and without a final dot.
fn host_name(authority: &Authority) -> &str {
    let name = authority.host();
    name.strip_suffix('.').unwrap_or(name)
}

/// An IP address, or a name that always means this machine.
fn is_local(name: &str) -> bool {
    const UNDER_LOCALHOST: &[u8] = b".localhost";
    let bytes = name.as_bytes();
    name.parse::<Ipv4Addr>().is_ok()
        || name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .is_some_and(|ip| ip.parse::<Ipv6Addr>().is_ok())
        || name.eq_ignore_ascii_case("localhost")
        || name.eq_ignore_ascii_case("host.docker.internal")
        || (bytes.len() > UNDER_LOCALHOST.len()
            && bytes[bytes.len() - UNDER_LOCALHOST.len()..].eq_ignore_ascii_case(UNDER_LOCALHOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a request with `host` as its `Host` is local.
    fn local(host: &str) -> bool {
        Authority::try_from(host).is_ok_and(|authority| is_local(host_name(&authority)))
    }

    #[test]
    fn names_of_this_machine_are_local() {
        for host in [
            "127.0.0.1:8788",
            "127.0.0.1",
            "[::1]:8788",
            "[::1]",
            "localhost:8788",
            "LOCALHOST",
            "localhost.",
            "app.localhost:3000",
            "host.docker.internal:8788",
            "10.0.0.5:8788",
        ] {
            assert!(local(host), "{host}");
        }
    }

    #[test]
    fn other_names_are_not() {
        for host in [
            "evil.example:8788",
            "evil.example",
            "localhost.evil.example",
            "notlocalhost",
            ".localhost",
            "[evil.example]",
            "127.0.0.1.evil.example",
            "",
            "é.localhos",
        ] {
            assert!(!local(host), "{host}");
        }
    }
}
