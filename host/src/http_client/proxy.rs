//! Proxies from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`, read as curl reads them): an HTTPS upstream is reached
//! through a `CONNECT` tunnel, a plain-HTTP one by sending the proxy the
//! request in absolute form.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

type BoxError = Box<dyn StdError + Send + Sync>;

/// A TCP connector that goes through the proxy `proxies` picks for each
/// destination, if any.
#[derive(Debug, Clone)]
pub struct ProxyConnector {
    http: HttpConnector,
    proxies: Arc<Matcher>,
}

impl ProxyConnector {
    /// Connect with `http`, through the proxies `proxies` names.
    pub fn new(http: HttpConnector, proxies: Arc<Matcher>) -> Self {
        Self { http, proxies }
    }
}

/// A connection, to the destination itself or through a proxy.
pub struct ProxyStream {
    io: TokioIo<TcpStream>,
    /// Requests on it go to a plain-HTTP proxy, in absolute form.
    absolute_form: bool,
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let Some(proxy) = self.proxies.intercept(&dst) else {
            return Box::pin(async move { stream(http.call(dst).await?, false) });
        };
        if dst.scheme_str() == Some("https") {
            let mut tunnel = Tunnel::new(proxy.uri().clone(), http);
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            return Box::pin(async move { stream(tunnel.call(dst).await?, false) });
        }
        let proxy = proxy.uri().clone();
        Box::pin(async move { stream(http.call(proxy).await?, true) })
    }
}

fn stream(io: TokioIo<TcpStream>, absolute_form: bool) -> Result<ProxyStream, BoxError> {
    Ok(ProxyStream { io, absolute_form })
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.absolute_form)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use bytes::Bytes;
    use http_body_util::Full;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use super::*;
    use crate::http_client::{OutRequest, build_with};

    type TestResult = Result<(), BoxError>;

    /// A server that sends the head of each request it gets on the channel,
    /// then answers `reply`.
    async fn server(reply: &'static [u8]) -> io::Result<(SocketAddr, mpsc::Receiver<String>)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (heads, received) = mpsc::channel(4);
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let heads = heads.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match conn.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let _ = heads
                        .send(String::from_utf8_lossy(&head).into_owned())
                        .await;
                    let _ = conn.write_all(reply).await;
                });
            }
        });
        Ok((addr, received))
    }

    fn post(url: &str) -> Result<OutRequest, http::Error> {
        http::Request::builder()
            .method("POST")
            .uri(url)
            .body(Full::new(Bytes::from_static(b"{}")))
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

    #[tokio::test]
    async fn plain_http_goes_to_the_proxy_in_absolute_form_with_its_credentials() -> TestResult {
        let (proxy, mut heads) = server(OK).await?;
        let proxies = Matcher::builder()
            .http(format!("http://user:pass@{proxy}"))
            .build();
        let client = build_with(None, proxies)?;
        let answer = client
            .request(post("http://upstream.invalid/v1/chat/completions")?)
            .await?;
        assert_eq!(answer.status(), 200);
        let head = heads.recv().await.unwrap_or_default();
        assert!(
            head.starts_with("POST http://upstream.invalid/v1/chat/completions HTTP/1.1\r\n"),
            "{head}"
        );
        // base64("user:pass")
        assert!(
            head.to_ascii_lowercase()
                .contains("proxy-authorization: basic dxnlcjpwyxnz\r\n"),
            "{head}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn https_goes_through_a_connect_tunnel() -> TestResult {
        let (proxy, mut heads) = server(b"HTTP/1.1 403 Forbidden\r\n\r\n").await?;
        let proxies = Matcher::builder()
            .https(format!("http://user:pass@{proxy}"))
            .build();
        let client = build_with(None, proxies)?;
        let refused = client
            .request(post("https://upstream.invalid/v1/chat/completions")?)
            .await;
        assert!(refused.is_err(), "the proxy refused the tunnel");
        let head = heads.recv().await.unwrap_or_default();
        assert!(
            head.starts_with("CONNECT upstream.invalid:443 HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("proxy-authorization: basic dxnlcjpwyxnz\r\n"),
            "{head}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn no_proxy_hosts_go_direct() -> TestResult {
        let (proxy, mut proxied) = server(OK).await?;
        let (upstream, mut direct) = server(OK).await?;
        let proxies = Matcher::builder()
            .http(format!("http://{proxy}"))
            .no("127.0.0.1")
            .build();
        let client = build_with(None, proxies)?;
        let answer = client
            .request(post(&format!("http://{upstream}/v1/chat/completions"))?)
            .await?;
        assert_eq!(answer.status(), 200);
        let head = direct.recv().await.unwrap_or_default();
        assert!(
            head.starts_with("POST /v1/chat/completions HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(!head.to_ascii_lowercase().contains("proxy-authorization"));
        assert!(proxied.try_recv().is_err(), "the proxy saw nothing");
        Ok(())
    }
}
