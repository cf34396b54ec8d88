//! Trying upstreams in turn: every upstream that serves the model (config
//! order), each with each of its keys (from the next one round-robin),
//! until one answers with something other than a rate limit, an overload,
//! a server failure or a refused connection. That answer, or the last
//! failure when every try failed, goes on to the client. A rate-limited
//! key rests (see [`keys`]), so the next requests try it last, and so does
//! an upstream that failed several tries in a row (see [`health`]).

use axum::http::StatusCode;

use super::retire::retire;
use super::state::Live;
use super::{health, keys};
use crate::api_error::ApiError;
use crate::canonical::{ErrorKind, Request, Target};
use crate::routing::Route;
use crate::runtime::{Limits, Outgoing, ProviderInstance};
use crate::upstream::{BodyStream, Upstream};

/// Statuses after which the next key or upstream is tried, while there is
/// one. Any other answer, a timeout among them, goes to the client: a
/// second wait would double the client's.
const FAILOVER_STATUSES: &[u16] = &[429, 500, 502, 503, 504, 529];

/// An upstream's answer, with the provider instance that reads it.
pub struct Answered<'l> {
    /// The provider instance that built the request.
    pub provider: ProviderInstance,
    /// Where the request went (its credential, to redact from errors).
    pub target: Target,
    /// The upstream's configured name.
    pub name: &'l str,
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The body, not read yet.
    pub body: Body,
}

/// A response body: made by the provider, or coming from the upstream.
pub enum Body {
    /// Answered without a network call; taken once.
    Local(Option<Vec<u8>>),
    /// From the upstream, chunk by chunk.
    Remote(BodyStream),
}

/// Send `req` to the `routes` in turn (see the module doc); `req.model`
/// becomes the model of the upstream that answered.
pub async fn send<'l>(
    live: &'l Live,
    http: &Upstream,
    limits: Limits,
    req: &mut Request,
    routes: &[Route],
) -> Result<Answered<'l>, ApiError> {
    let mut tries = Vec::new();
    let mut resting = Vec::new();
    for route in routes {
        let (Some(config), Some(upstream)) = (
            live.config.upstreams.get(route.upstream),
            live.upstreams.get(route.upstream),
        ) else {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorKind::Internal,
                "route out of range",
            ));
        };
        // A resting upstream's tries come after every other's.
        let queue = if upstream.health.is_resting() {
            &mut resting
        } else {
            &mut tries
        };
        for key in upstream.keys.in_turn() {
            queue.push((route, config, upstream, key));
        }
    }
    tries.append(&mut resting);
    let mut tries = tries.into_iter().peekable();
    while let Some((route, config, upstream, key)) = tries.next() {
        let name = config.name.as_str();
        req.model = route.model.clone();
        let target = Target {
            base_url: upstream.base_url.clone(),
            model: route.model.clone(),
            credential: key.and_then(|i| config.api_keys.get(i)).cloned(),
            extra: None,
        };
        // Provider: build the request, then do the I/O.
        let mut provider = upstream.provider.provider(limits).await?;
        let outgoing = provider
            .build_request(req, &target)
            .await?
            .map_err(ApiError::from)?;
        let answer = match outgoing {
            Outgoing::Local(local) => {
                Ok((local.status, local.headers, Body::Local(Some(local.body))))
            }
            Outgoing::Send(request) => http.send(name, *request).await.map(|received| {
                (
                    received.status,
                    received.headers,
                    Body::Remote(received.body),
                )
            }),
        };
        if let (Ok((429, headers, _)), Some(index)) = (&answer, key) {
            let wait = keys::asked_wait(headers).unwrap_or(keys::DEFAULT_REST);
            upstream.keys.rest(index, wait);
        }
        let failed = match &answer {
            Ok((status, _, _)) => FAILOVER_STATUSES.contains(status),
            Err(error) => error.kind == ErrorKind::Upstream,
        };
        // A timeout or a request error says nothing of its health.
        if answer.is_ok() && !failed {
            upstream.health.answered();
        } else if failed && upstream.health.failed() {
            tracing::warn!(
                upstream = name,
                failures = health::FAILURES_TO_REST,
                rest_secs = health::REST.as_secs(),
                "upstream failed several tries in a row; it rests (tried after the others)"
            );
        }
        if failed && tries.peek().is_some() {
            let (status, error) = match &answer {
                Ok((status, _, _)) => (Some(*status), None),
                Err(error) => (None, Some(error.message.as_str())),
            };
            tracing::warn!(
                upstream = name,
                status,
                error,
                "upstream failed; trying the next key or upstream"
            );
            retire(provider);
            continue;
        }
        let (status, headers, body) = answer?;
        return Ok(Answered {
            provider,
            target,
            name,
            status,
            headers,
            body,
        });
    }
    Err(ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorKind::Internal,
        "no upstream to try",
    ))
}
