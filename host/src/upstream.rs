//! The host's HTTP client for upstreams: pooled, rustls, with connect,
//! first-byte and idle timeouts.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http_body_util::BodyExt;

use crate::api_error::ApiError;
use crate::config::HttpConfig;
use crate::http_client::{self, ClientError, HttpClient, OutRequest, describe};

/// The value of the first header called `name` (any case) in an upstream
/// answer's `headers`.
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// A pooled client plus the timeouts to apply.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: HttpClient,
    first_byte: Duration,
    /// Longest silence between body chunks.
    pub idle: Duration,
    max_body: usize,
}

/// An upstream body, chunk by chunk.
pub type BodyStream = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, hyper::Error>> + Send>>;

/// Response headers arrived; the body is still on the wire.
pub struct Received {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: BodyStream,
}

impl Upstream {
    /// A client for `config`.
    pub fn new(config: &HttpConfig) -> Result<Self, ClientError> {
        let client = http_client::build(Some(Duration::from_millis(config.connect_timeout_ms)))?;
        Ok(Self {
            client,
            first_byte: Duration::from_millis(config.first_byte_timeout_ms),
            idle: Duration::from_millis(config.idle_timeout_ms),
            max_body: config.max_response_bytes,
        })
    }

    /// Send `req` and wait for the response headers.
    pub async fn send(&self, upstream: &str, req: OutRequest) -> Result<Received, ApiError> {
        let response = match tokio::time::timeout(self.first_byte, self.client.request(req)).await {
            Err(_) => {
                return Err(ApiError::timeout(format!(
                    "upstream `{upstream}` sent no response within {} ms",
                    self.first_byte.as_millis()
                )));
            }
            Ok(Err(error)) if http_client::is_timeout(&error) => {
                return Err(ApiError::timeout(format!(
                    "upstream `{upstream}` timed out connecting"
                )));
            }
            Ok(Err(error)) => {
                return Err(ApiError::upstream(format!(
                    "cannot reach upstream `{upstream}`: {}",
                    describe(&error)
                )));
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        Ok(Received {
            status,
            headers,
            body: Box::pin(response.into_body().into_data_stream()),
        })
    }

    /// Read a whole body, with the idle timeout between chunks and a size cap.
    pub async fn read_body(
        &self,
        upstream: &str,
        stream: &mut BodyStream,
    ) -> Result<Vec<u8>, ApiError> {
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout(self.idle, stream.next()).await {
                Err(_) => {
                    return Err(ApiError::timeout(format!(
                        "upstream `{upstream}` stalled for {} ms mid-response",
                        self.idle.as_millis()
                    )));
                }
                Ok(None) => return Ok(body),
                Ok(Some(Err(error))) => {
                    return Err(ApiError::upstream(format!(
                        "upstream `{upstream}` broke off the response: {}",
                        describe(&error)
                    )));
                }
                Ok(Some(Ok(chunk))) => {
                    if body.len() + chunk.len() > self.max_body {
                        return Err(ApiError::upstream(format!(
                            "upstream `{upstream}` response is larger than {} bytes",
                            self.max_body
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
    }
}
