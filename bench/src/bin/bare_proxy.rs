//! The floor of wasmgate's HTTP stack: a proxy hop built from the same parts
//! (axum on hyper, one single-threaded tokio runtime per worker thread with
//! its own `SO_REUSEPORT` listener, a per-thread pooled client from
//! `wasmgate::http_client`,
//! mimalloc) with no plugins, codecs or logging in between.
//!
//! `bare_proxy LISTEN UPSTREAM_BASE [WORKERS]` forwards every `POST` to
//! `UPSTREAM_BASE` + the request path and streams the answer back; `GET
//! /health` answers `ok`.
//!
//! `bench/run.sh` runs it beside nginx and wasmgate, so the gap between
//! wasmgate and nginx splits into what the stack costs and what wasmgate's
//! own work costs.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{self as http, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use http_body_util::Full;
use wasmgate::http_client;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (listen, upstream, workers) = match args.as_slice() {
        [_, listen, upstream] => (listen, upstream, 2),
        [_, listen, upstream, workers] => (listen, upstream, workers.parse().context("WORKERS")?),
        _ => bail!("usage: bare_proxy LISTEN UPSTREAM_BASE [WORKERS]"),
    };
    let addr: SocketAddr = listen.parse().context("LISTEN")?;
    let upstream: &'static str = Box::leak(upstream.trim_end_matches('/').to_string().into());
    let mut threads = Vec::new();
    for _ in 0..workers {
        let listener = wasmgate::server::reuse_port_listener(addr)?;
        threads.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                let app = axum::Router::new()
                    .route("/health", axum::routing::get(|| async { "ok" }))
                    .fallback(forward)
                    .with_state(upstream);
                axum::serve(listener, app).await?;
                Ok(())
            })
        }));
    }
    for thread in threads {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    Ok(())
}

/// Send the body to the upstream and stream its answer back.
async fn forward(State(upstream): State<&'static str>, req: Request) -> Response {
    let url = format!("{upstream}{}", req.uri().path());
    let content_type = req.headers().get(header::CONTENT_TYPE).cloned();
    let body = match axum::body::to_bytes(req.into_body(), 20 << 20).await {
        Ok(body) => body,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let mut out = http::Request::post(url);
    if let Some(value) = content_type {
        out = out.header(header::CONTENT_TYPE, value);
    }
    let out = match out.body(Full::new(body)) {
        Ok(out) => out,
        Err(error) => return (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    };
    let answer = match http_client::this_thread() {
        Ok(client) => client
            .request(out)
            .await
            .map_err(|error| http_client::describe(&error)),
        Err(error) => Err(error.to_string()),
    };
    match answer {
        Ok(answer) => {
            let status = answer.status();
            let content_type = answer
                .headers()
                .get(header::CONTENT_TYPE)
                .cloned()
                .unwrap_or(HeaderValue::from_static("application/json"));
            let mut response = Response::new(Body::new(answer.into_body()));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type);
            response
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error).into_response(),
    }
}
