//! The gate every request passes before its route: the host name it is
//! addressed to ([`rebinding`](super::rebinding)), the web-page origin
//! check ([`origin`](super::origin)), then the access key
//! ([`auth`](super::auth)). The origin check comes before the key, because
//! a browser's preflight carries no access key; an allowed page gets its CORS
//! headers on whatever answer follows, a refusal included.
//!
//! A hand-written layer rather than two `axum::middleware::from_fn`: those
//! clone the boxed inner route and box a future on every request, about 1%
//! of the gateway's CPU on a small completion. Here the checks run in
//! `call` and the route's own future is returned, wrapped.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::origin::{self, Screen};
use super::{Gateway, auth, rebinding};

/// Puts a [`Gate`] in front of each route.
#[derive(Clone)]
pub struct GateLayer {
    gw: Arc<Gateway>,
}

impl GateLayer {
    /// The gate of `gw`, which holds the live config it reads.
    pub fn new(gw: Arc<Gateway>) -> Self {
        GateLayer { gw }
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            gw: self.gw.clone(),
            inner,
        }
    }
}

/// A route behind the host-name, origin and access-key checks.
#[derive(Clone)]
pub struct Gate<S> {
    gw: Arc<Gateway>,
    inner: S,
}

impl<S> Service<Request> for Gate<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if let Some(refusal) = rebinding::refusal(&self.gw, &request) {
            return GateFuture::answered(refusal);
        }
        let origin = match origin::screen(&self.gw, &request) {
            Screen::NoOrigin => None,
            Screen::Allowed(origin) => Some(origin),
            Screen::Answered(answer) => return GateFuture::answered(answer),
        };
        match auth::refusal(&self.gw, &request) {
            Some(mut refusal) => {
                if let Some(origin) = origin {
                    origin::allow(refusal.headers_mut(), origin);
                }
                GateFuture::answered(refusal)
            }
            None => GateFuture {
                state: State::Route {
                    future: self.inner.call(request),
                    origin,
                },
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The route's answer (with CORS headers for an allowed page), or the
    /// gate's own.
    pub struct GateFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        Route {
            #[pin]
            future: F,
            origin: Option<HeaderValue>,
        },
        Answered {
            answer: Option<Response>,
        },
    }
}

impl<F> GateFuture<F> {
    fn answered(answer: Response) -> Self {
        GateFuture {
            state: State::Answered {
                answer: Some(answer),
            },
        }
    }
}

impl<F> Future for GateFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Route { future, origin } => {
                let Ok(mut response) = std::task::ready!(future.poll(cx));
                if let Some(origin) = origin.take() {
                    origin::allow(response.headers_mut(), origin);
                }
                Poll::Ready(Ok(response))
            }
            // Polled again after it gave its answer: an empty 500 rather
            // than a panic (hyper never does this).
            StateProj::Answered { answer } => Poll::Ready(Ok(answer
                .take()
                .unwrap_or_else(|| axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()))),
        }
    }
}
