//! One request through the plugins: filters on the way in, the provider,
//! the upstream, and filters (in reverse) on the way out.

use std::sync::Arc;

use axum::http::StatusCode;

use super::events::{EventStream, FilterChain};
use super::failover::{self, Answered, Body};
use super::retire::retire;
use super::state::{FilterUse, Gateway, Live};
use super::{assemble, html_page};
use crate::api_error::ApiError;
use crate::canonical::{ErrorKind, HttpResponse, Request, RequestContext, Response};
use crate::config::OnError;
use crate::runtime::{FilterInstance, Limits, PluginError, RequestAction, apply_edits};
use crate::upstream::header;
use crate::{frontend::Format, routing};

/// What the client gets.
pub enum Outcome {
    /// A whole answer.
    Complete(Response),
    /// A streamed answer.
    Stream(EventStream),
}

/// Run `req` (the request `request_id` names, read from a body of
/// `body_bytes`) through the live config.
pub async fn run(
    gw: &Gateway,
    live: Arc<Live>,
    format: Format,
    request_id: String,
    mut req: Request,
    body_bytes: usize,
) -> Result<Outcome, ApiError> {
    let ctx = RequestContext {
        request_id,
        frontend: format.name().to_string(),
        requested_model: req.model.clone(),
    };
    // Room for a large request in every plugin that handles it.
    let limits = gw.runtime.limits().for_request(body_bytes);

    // Filters, in config order.
    let mut filters = Vec::with_capacity(live.filters.len());
    for filter in &live.filters {
        let (instance, action) = match on_request(filter, limits, &ctx, &req).await {
            Ok(done) => done,
            Err(error) if filter.on_error == OnError::Skip => {
                tracing::warn!(plugin = %filter.plugin.env.name, %error, "filter failed; skipped (on_error = \"skip\")");
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        filters.push((instance, filter.on_error));
        match action {
            RequestAction::Pass => {}
            RequestAction::Edit(edits) => apply_edits(&mut req, edits),
            RequestAction::Continue(changed) => req = changed,
            RequestAction::Reject(error) => return Err(error.into()),
            RequestAction::Respond(response) => {
                let chain = FilterChain::new(filters, ctx);
                return if req.stream {
                    Ok(Outcome::Stream(EventStream::from_response(
                        chain, &response,
                    )))
                } else {
                    chain.on_response(response).await.map(Outcome::Complete)
                };
            }
        }
    }
    let chain = FilterChain::new(filters, ctx);

    // Route (after filters, which may change the model): every upstream
    // that serves it, each with each of its keys, until one answers.
    let routes = routing::candidates(&live.config.upstreams, &req.model);
    if routes.is_empty() {
        return Err(unknown_model(&live, &req.model));
    }
    let http = gw.http().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Internal,
            format!("cannot build the HTTP client: {e}"),
        )
    })?;
    let Answered {
        mut provider,
        target,
        name,
        status,
        headers,
        mut body,
    } = failover::send(&live, &http, limits, &mut req, &routes).await?;
    tracing::debug!(upstream = name, status, "upstream answered");
    if has_media_type(&headers, "text/html") {
        let page = match &mut body {
            Body::Local(bytes) => bytes.take().unwrap_or_default(),
            Body::Remote(body) => http.read_body(name, body).await.unwrap_or_default(),
        };
        retire(provider);
        tracing::warn!(upstream = name, status, "upstream answered with a web page");
        return Err(html_page::error(name, status, &page));
    }

    // An upstream that ignores `stream` answers with a whole JSON body:
    // that is read whole below and streamed to the client from the answer.
    let success = (200..300).contains(&status);
    if req.stream && success && !has_media_type(&headers, "application/json") {
        let stream = match body {
            Body::Local(bytes) => EventStream::local(provider, chain, bytes.unwrap_or_default()),
            Body::Remote(body) => EventStream::remote(
                provider,
                chain,
                body,
                http.idle,
                name,
                target.credential.clone(),
            ),
        };
        return Ok(Outcome::Stream(stream));
    }
    let bytes = match &mut body {
        Body::Local(bytes) => bytes.take().unwrap_or_default(),
        Body::Remote(body) => http.read_body(name, body).await?,
    };
    let wait = retry_after(&headers);
    let redact = |e: ApiError| {
        e.redact(target.credential.as_deref())
            .with_retry_after(wait.clone())
    };
    let response = if !req.stream && success && has_media_type(&headers, "text/event-stream") {
        // An upstream that streams though asked not to: its events, decoded
        // as any stream's, make the whole answer.
        let mut events = provider.feed(&bytes).await?.map_err(ApiError::from);
        if let Ok(events) = &mut events {
            events.extend(provider.finish().await?.map_err(ApiError::from)?);
        }
        events.and_then(assemble::answer).map_err(redact)?
    } else {
        provider
            .parse_response(&HttpResponse {
                status,
                headers,
                body: bytes,
            })
            .await?
            .map_err(|e| redact(ApiError::from(e)))?
    };
    retire(provider);
    if req.stream {
        return Ok(Outcome::Stream(EventStream::from_response(
            chain, &response,
        )));
    }
    chain.on_response(response).await.map(Outcome::Complete)
}

/// An instance of `filter` and what its `on-request` decided.
async fn on_request(
    filter: &FilterUse,
    limits: Limits,
    ctx: &RequestContext,
    req: &Request,
) -> Result<(FilterInstance, RequestAction), PluginError> {
    let mut instance = filter.plugin.filter(limits).await?;
    let action = instance.on_request(ctx, req).await?;
    Ok((instance, action))
}

/// Whether `headers` say the body is of `media_type` (`application/json`:
/// one JSON document; `text/event-stream`: a stream).
fn has_media_type(headers: &[(String, String)], media_type: &str) -> bool {
    header(headers, "content-type")
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(media_type))
}

/// The upstream's `retry-after` and `retry-after-ms` headers, which the
/// client's SDK reads to time its retry.
fn retry_after(headers: &[(String, String)]) -> Vec<(&'static str, String)> {
    ["retry-after", "retry-after-ms"]
        .into_iter()
        .filter_map(|wanted| Some((wanted, header(headers, wanted)?.to_string())))
        .collect()
}

fn unknown_model(live: &Live, model: &str) -> ApiError {
    let mut available: Vec<String> = Vec::new();
    for upstream in &live.config.upstreams {
        for pattern in &upstream.models {
            available.push(format!("{pattern} (upstream `{}`)", upstream.name));
        }
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorKind::NotFound,
        format!(
            "model `{model}` is not served here; available: {}",
            available.join(", ")
        ),
    )
    .with_code("model_not_found")
}
