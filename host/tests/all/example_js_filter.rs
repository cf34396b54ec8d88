//! The `js-filter` example (examples/js-filter): a filter written in
//! JavaScript and built with componentize-qjs, dropped into a plugins folder
//! and driven over HTTP. It adds a system message and removes emoji from the
//! answer, whole and streamed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post as route_post;
use serde_json::{Value, json};

use crate::common::*;

/// The mock's answer, and the same answer in streamed deltas that split a
/// family emoji (a zero-width-joiner sequence) across two of them.
const ANSWER: &str = "👋 Hello from the mock 🚀 with a family 👨\u{200D}👩\u{200D}👧 inside ✅";
const DELTAS: [&str; 5] = [
    "👋 Hel",
    "lo from the mock 🚀",
    " with a family 👨\u{200D}",
    "👩\u{200D}👧 inside ",
    "✅",
];
/// What the client should get: the emoji and the spaces they left doubled gone.
const TIDY: &str = "Hello from the mock with a family inside ";

const PREFIX: &str = "Answer in plain text.";

/// A mock OpenAI upstream that answers with emoji and keeps the request bodies.
async fn emoji_mock() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/v1/chat/completions", route_post(answer))
        .with_state(seen.clone());
    let addr = serve_app(app).await;
    (format!("http://{addr}/v1"), seen)
}

async fn answer(State(seen): State<Arc<Mutex<Vec<Value>>>>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let streaming = body["stream"].as_bool().unwrap_or(false);
    seen.lock().unwrap().push(body);
    let usage = json!({"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21});
    if !streaming {
        let whole = json!({"id": "chatcmpl-emoji", "object": "chat.completion", "created": 1, "model": "mock",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
            "usage": usage});
        return ([("content-type", "application/json")], whole.to_string()).into_response();
    }
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-emoji", "object": "chat.completion.chunk", "created": 1, "model": "mock",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    events.extend(
        DELTAS
            .iter()
            .map(|d| chunk(json!({"content": d}), Value::Null)),
    );
    events.push(chunk(json!({}), json!("stop")));
    events.push(json!({"id": "chatcmpl-emoji", "object": "chat.completion.chunk", "created": 1, "model": "mock",
        "choices": [], "usage": usage}));
    let mut frames: Vec<Result<Bytes, std::io::Error>> = events
        .iter()
        .map(|e| Ok(Bytes::from(format!("data: {e}\n\n"))))
        .collect();
    frames.push(Ok(Bytes::from_static(b"data: [DONE]\n\n")));
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(futures_util::stream::iter(frames)))
        .unwrap()
}

/// A fresh plugins folder holding `js-filter.wasm`.
fn plugins_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "example-js-filter-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(example_artifact("js-filter"), dir.join("js-filter.wasm")).unwrap();
    dir
}

/// Which filter a test gateway runs.
#[derive(Clone, Copy, Debug)]
enum Chain {
    None,
    /// This example.
    Js,
    /// The first-party Rust `example-filter` doing about the same work
    /// (a system message in, a suffix on the answer out), for comparison.
    Rust,
}

/// A gateway with `plugins.dir = dir`, one upstream at `mock_url` and
/// `chain`'s filter.
async fn gateway(dir: &std::path::Path, mock_url: &str, chain: Chain) -> TestGateway {
    let mut tail = openai_upstream(mock_url);
    match chain {
        Chain::None => {}
        Chain::Js => {
            tail += &format!(
                "[[filters]]\nplugin = \"js-filter\"\nconfig = {{ strip_emoji = true, prefix = {PREFIX:?} }}\n"
            )
        }
        Chain::Rust => {
            tail += &format!(
                "[[filters]]\nplugin = \"example-filter\"\nconfig = {{ system_prefix = {PREFIX:?}, reply_suffix = \".\" }}\n"
            )
        }
    }
    let text = config_text("").replace(
        "[plugins]\n",
        &format!("[plugins]\ndir = {:?}\n", dir.display().to_string()),
    ) + &tail;
    start_config(wasmgate::config::Config::parse(&text).expect("config")).await
}

#[test]
fn js_filter_passes_plugin_check_and_refuses_a_bad_config() {
    let file = example_artifact("js-filter");
    let (ok, stdout, stderr) = plugin_check(&file, r#"{"strip_emoji":true,"prefix":"Hi."}"#);
    assert!(ok, "{stdout}\n{stderr}");
    for needle in ["kind:     filter", "wasmgate:plugin@0.1.0", "check:    ok"] {
        assert!(stdout.contains(needle), "{needle} missing: {stdout}");
    }
    let (ok, _, stderr) = plugin_check(&file, r#"{"strip_emoji":"yes"}"#);
    assert!(!ok);
    assert!(
        stderr.contains("`init` refused the config") && stderr.contains("strip_emoji"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_filter_adds_a_system_message_and_strips_emoji() {
    let (mock_url, seen) = emoji_mock().await;
    let dir = plugins_dir();
    let gw = gateway(&dir, &mock_url, Chain::Js).await;

    // Whole: the upstream sees the system message first, the client gets
    // the answer without emoji.
    let (status, resp) = post(&gw.url, &chat_body("gpt-fake", false)).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["choices"][0]["message"]["content"], TIDY, "{resp}");
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": PREFIX}),
        "{sent}"
    );
    assert_eq!(
        sent["messages"][1],
        json!({"role": "user", "content": "Hello"})
    );

    // Streamed: every delta is cleaned, a sequence split across two deltas
    // included, and the stream still ends properly.
    let (status, events) = post_sse(&gw.url, &chat_body("gpt-fake", true)).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&events), TIDY, "{events:?}");
    assert_eq!(events.last(), Some(&Value::String("[DONE]".into())));
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent["messages"][0]["content"], PREFIX);

    // Without the filter the same mock's emoji reach the client.
    let plain = gateway(&dir, &mock_url, Chain::None).await;
    let (_, resp) = post(&plain.url, &chat_body("gpt-fake", false)).await;
    assert_eq!(resp["choices"][0]["message"]["content"], ANSWER);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Per-request cost of the JS filter: p50 of sequential requests through a
/// gateway with it, with the Rust `example-filter` instead and with no
/// filter, interleaved. Printed, not asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_filter_per_request_overhead() {
    let (mock_url, _) = emoji_mock().await;
    let dir = plugins_dir();
    let chains = [Chain::None, Chain::Js, Chain::Rust];
    let mut gateways = Vec::new();
    for chain in chains {
        gateways.push(gateway(&dir, &mock_url, chain).await);
    }
    for stream in [false, true] {
        let body = chat_body("gpt-fake", stream);
        let one = async |url: &str| {
            let start = Instant::now();
            if stream {
                let (status, events) = post_sse(url, &body).await;
                assert_eq!(status, 200);
                assert!(!events.is_empty());
            } else {
                let (status, _) = post(url, &body).await;
                assert_eq!(status, 200);
            }
            start.elapsed()
        };
        let mut times = vec![Vec::new(); chains.len()];
        for round in 0..220 {
            for (gw, times) in gateways.iter().zip(&mut times) {
                let took = one(&gw.url).await;
                // The first rounds warm up connections, caches and pools.
                if round >= 20 {
                    times.push(took);
                }
            }
        }
        let p50: Vec<Duration> = times
            .iter_mut()
            .map(|v| {
                v.sort();
                v[v.len() / 2]
            })
            .collect();
        eprintln!(
            "js-filter {}: p50 {:?} without a filter; js-filter +{:?}; Rust example-filter +{:?}",
            if stream { "streamed" } else { "whole" },
            p50[0],
            p50[1].saturating_sub(p50[0]),
            p50[2].saturating_sub(p50[0]),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
