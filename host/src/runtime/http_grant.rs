//! The `http` capability: outbound HTTP for plugins that declare a host and
//! are granted it in config. Everything else gets a typed denial.

use std::time::Duration;

use http_body_util::BodyExt;

use super::bindings::http;
use super::bindings::types::{HttpRequest, HttpResponse};
use super::state::StoreState;
use crate::http_client::{self, OutRequest, describe};
use crate::outbound;

/// Largest response body a plugin may receive.
const MAX_BODY: usize = 1024 * 1024;
/// Whole-request timeout.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The capability a plugin declares for outbound HTTP to `host`.
pub fn capability(host: &str) -> String {
    format!("http:{host}")
}

impl http::Host for StoreState {
    async fn send(&mut self, req: HttpRequest) -> Result<HttpResponse, http::HttpError> {
        let env = self.env().clone();
        let req = outbound::parse(req).map_err(http::HttpError::Failed)?;
        let host = req.uri().host().unwrap_or_default().to_string();
        if !env.http_hosts.contains(&host) {
            tracing::warn!(plugin = %env.name, %host, "outbound HTTP denied");
            return Err(http::HttpError::Denied(format!(
                "plugin `{}` may not reach `{host}`: outbound HTTP needs the plugin to declare `{}` and the config to grant it (granted: [{}])",
                env.name,
                capability(&host),
                env.http_hosts.join(", ")
            )));
        }
        // Network time is not the plugin's compute time.
        let result = self.clock.off_the_clock(send(req)).await;
        result.map_err(http::HttpError::Failed)
    }
}

/// Send `req` and read the whole answer, within [`TIMEOUT`] in all.
async fn send(req: OutRequest) -> Result<HttpResponse, String> {
    let client = http_client::this_thread().map_err(|e| e.to_string())?;
    let exchange = async {
        let response = client
            .request(req)
            .await
            .map_err(|e| format!("request failed: {}", describe(&e)))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("reading the body failed: {}", describe(&e)))?;
            if let Ok(chunk) = frame.into_data() {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(format!("the response body is over {MAX_BODY} bytes"));
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body: bytes,
        })
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no whole answer within {} s", TIMEOUT.as_secs()))?
}
