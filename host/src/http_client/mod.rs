//! The host's outbound HTTP client: hyper's pooled client over a rustls
//! connector (HTTP/1.1, and HTTP/2 where TLS negotiates it), through the
//! proxies the environment names, with no layers in between. Requests
//! arrive already parsed (`crate::outbound`), so no URL is parsed again on
//! the way out, and nothing follows redirects or retries.

mod proxy;

use std::cell::RefCell;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::PROXY_AUTHORIZATION;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use proxy::ProxyConnector;

/// An outbound request: method, URI, headers and a whole body.
pub type OutRequest = http::Request<Full<Bytes>>;

/// A pooled client. Cheap to clone; clones share the pool.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<ProxyConnector>, Full<Bytes>>,
    proxies: Arc<Matcher>,
}

impl HttpClient {
    /// Send `req`; the answer resolves once its headers have arrived. A
    /// plain-HTTP request that goes through a proxy with credentials carries
    /// them in `Proxy-Authorization` (an HTTPS one gives them in its
    /// `CONNECT`).
    pub fn request(&self, mut req: OutRequest) -> ResponseFuture {
        if req.uri().scheme_str() == Some("http")
            && let Some(auth) = self
                .proxies
                .intercept(req.uri())
                .and_then(|proxy| proxy.basic_auth().cloned())
        {
            req.headers_mut().insert(PROXY_AUTHORIZATION, auth);
        }
        self.client.request(req)
    }
}

/// How long an idle pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(90);
/// Idle pooled connections kept per host.
const POOL_MAX_IDLE_PER_HOST: usize = 256;

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up TLS: {0}")]
pub struct ClientError(#[from] rustls::Error);

/// A client whose connection attempts give up after `connect_timeout`, and
/// which goes through the proxies the environment names (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them). Its pooled
/// connections are driven by tasks on the runtime that opened them.
pub fn build(connect_timeout: Option<Duration>) -> Result<HttpClient, ClientError> {
    build_with(connect_timeout, Matcher::from_env())
}

thread_local! {
    /// [`this_thread`]'s client.
    static THIS_THREAD: RefCell<Option<HttpClient>> = const { RefCell::new(None) };
}

/// This thread's client with no connect timeout, built on first use. Each
/// worker thread runs its own runtime, and a pooled connection is driven by
/// a task on the runtime that opened it, so each thread keeps its own pool.
pub fn this_thread() -> Result<HttpClient, ClientError> {
    THIS_THREAD.with(|cell| {
        if let Some(client) = cell.borrow().as_ref() {
            return Ok(client.clone());
        }
        let client = build(None)?;
        *cell.borrow_mut() = Some(client.clone());
        Ok(client)
    })
}

/// [`build`], with the proxies `proxies` picks.
pub fn build_with(
    connect_timeout: Option<Duration>,
    proxies: Matcher,
) -> Result<HttpClient, ClientError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(connect_timeout);
    let proxies = Arc::new(proxies);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(ProxyConnector::new(http, proxies.clone()));
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(https);
    Ok(HttpClient { client, proxies })
}

/// Did `error` (or one of its causes) time out?
pub fn is_timeout(error: &(dyn StdError + 'static)) -> bool {
    causes(error).any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    })
}

/// What went wrong and its causes, one after another. Neither hyper nor the
/// connector puts the URL (which may carry a key) in its messages.
pub fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut text = String::new();
    for cause in causes(error) {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause.to_string());
    }
    text
}

fn causes<'e>(
    error: &'e (dyn StdError + 'static),
) -> impl Iterator<Item = &'e (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&error| error.source())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect)")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn describes_the_chain_and_finds_timeouts() {
        let timed_out = Outer(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "tcp connect timed out",
        ));
        assert!(is_timeout(&timed_out));
        assert_eq!(
            describe(&timed_out),
            "client error (Connect): tcp connect timed out"
        );
        let refused = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        assert!(!is_timeout(&refused));
    }
}
