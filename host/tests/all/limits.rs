//! Request body limit and the plugin instance pool.

use std::time::Duration;

use futures_util::StreamExt;

use crate::common::*;
use crate::mock;

#[tokio::test]
async fn oversized_body_gets_413_in_openai_shape() {
    let gw = start("[server]\nmax_body_bytes = 1024\n[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n").await;
    let mut body = chat_body("echo", false);
    body["messages"][0]["content"] = serde_json::Value::String("x".repeat(4096));
    let (status, resp) = post(&gw.url, &body).await;
    assert_eq!(status, 413);
    assert_eq!(resp["error"]["code"], "request_too_large");
    let (status, _) = post(&gw.url, &chat_body("echo", false)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_full_instance_pool_is_a_503_to_retry_and_frees_up() {
    let mock = mock::start().await;
    // Each request holds two instances (a filter and the provider) for its
    // whole life: four instances serve two streams at once.
    let mut config = wasmgate::config::Config::parse(&config_text(&format!(
        "{}[[filters]]\nplugin = \"example-filter\"\n",
        openai_upstream(&mock.url)
    )))
    .unwrap();
    config.runtime.max_instances = 4;
    let gw = start_config(config).await;
    let (first, _) = held_stream(&gw.url).await;
    let (second, _) = held_stream(&gw.url).await;

    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat_body("gpt-fake", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(
        resp.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "gateway_busy");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("runtime.max_instances"), "{message}");

    // The streams end whole, and their instances go back to the pool.
    for mut stream in [first, second] {
        mock.state.gate.notify_one();
        let mut rest = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            rest.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(rest.ends_with("data: [DONE]\n\n"), "{rest}");
    }
    let start = std::time::Instant::now();
    loop {
        let (status, _) = post(&gw.url, &chat_body("gpt-fake", false)).await;
        if status == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the pool never freed up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
