//! A request as large as the gateway takes (`server.max_body_bytes`, 20 MiB
//! by default) fits through every provider plugin and the agent filters.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

/// An upstream that takes any POST, keeps its body's length, and refuses it
/// with a 400: an answer from it means the provider wrote the request.
async fn sink() -> (String, Arc<Mutex<Vec<usize>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .fallback(
            |State(seen): State<Arc<Mutex<Vec<usize>>>>, body: Bytes| async move {
                seen.lock().unwrap().push(body.len());
                (
                    StatusCode::BAD_REQUEST,
                    [("content-type", "application/json")],
                    r#"{"error":{"message":"sink","type":"invalid_request_error"}}"#,
                )
            },
        )
        .layer(DefaultBodyLimit::disable())
        .with_state(seen.clone());
    let addr = serve_app(app).await;
    (format!("http://{addr}/v1"), seen)
}

/// A chat request with one image, its body just under 20 MiB.
fn largest_request() -> Vec<u8> {
    let data = "A".repeat(20 * 1024 * 1024 - 400);
    let body = json!({"model": "big", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{data}")}}
    ]}]});
    let bytes = serde_json::to_vec(&body).unwrap();
    assert!(bytes.len() <= 20 * 1024 * 1024, "{}", bytes.len());
    bytes
}

async fn send(url: &str, body: Vec<u8>) -> (u16, String) {
    let resp = client()
        .post(format!("{url}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_request_fits_through_every_provider_and_the_agent_filters() {
    let (url, seen) = sink().await;
    let body = largest_request();
    let agent_filters = include_str!("../../../bench/fixtures/agent-filters.toml");
    for (provider, filters) in [
        ("openai", ""),
        ("openai-responses", ""),
        ("anthropic", ""),
        ("gemini", ""),
        ("openai", agent_filters),
    ] {
        let mut config = wasmgate::config::Config::parse(&config_text(&format!(
            "[[upstreams]]\nname = \"sink\"\nprovider = \"{provider}\"\nbase_url = \"{url}\"\napi_keys = [\"k\"]\nmodels = [\"big\"]\n{filters}"
        )))
        .unwrap();
        // Memory is under test here, not time: the provider's call takes
        // 20 to 60 ms alone (a fresh slot's pages fault in), and the other
        // tests share the two cores. The default deadline is tried below.
        config.runtime.call_deadline_ms = 5000;
        let gw = start_config(config).await;
        let (status, text) = send(&gw.url, body.clone()).await;
        // The sink's own refusal: the provider wrote the whole request.
        assert_eq!(
            status,
            400,
            "{provider} (filters: {}): {text}",
            !filters.is_empty()
        );
        assert!(text.contains("sink"), "{provider}: {text}");
        let sent = seen.lock().unwrap().pop().unwrap_or_default();
        assert!(sent > 20_000_000, "{provider} sent {sent} bytes");
    }
}

/// Under the default deadline (100 ms, plus 10 ms per MiB of request), the
/// largest request still goes through: the deadline stops runaway plugins,
/// not big requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_request_fits_in_the_default_deadline() {
    let (url, seen) = sink().await;
    let config = wasmgate::config::Config::parse(&config_text(&format!(
        "[[upstreams]]\nname = \"sink\"\nprovider = \"openai\"\nbase_url = \"{url}\"\napi_keys = [\"k\"]\nmodels = [\"big\"]\n\
         [[filters]]\nplugin = \"example-filter\"\n"
    )))
    .unwrap();
    assert_eq!(config.runtime.call_deadline_ms, 100);
    let gw = start_config(config).await;
    for _ in 0..3 {
        let (status, text) = send(&gw.url, largest_request()).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("sink"), "{text}");
    }
    assert_eq!(seen.lock().unwrap().len(), 3);
}
