//! `examples/sdk-filter` (a filter written with `wasmgate-sdk`), built from
//! source, dropped into a real gateway's plugins folder and driven over HTTP.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::common::*;
use crate::mock;

/// A fresh plugins folder holding the example as `sdk-filter.wasm`.
fn plugins_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "sdk-filter-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(example_artifact("sdk-filter"), dir.join("sdk-filter.wasm")).unwrap();
    dir
}

/// A gateway with the example as its one filter, in front of the mock.
async fn gateway(mock_url: &str) -> TestGateway {
    let dir = plugins_dir();
    let text = config_text("").replace(
        "[plugins]\n",
        &format!("[plugins]\ndir = {:?}\n", dir.display().to_string()),
    ) + &openai_upstream(mock_url)
        + "[[filters]]\nplugin = \"sdk-filter\"\nconfig = { tag = \" [sdk]\", block = \"forbidden\" }\n";
    start_config(wasmgate::config::Config::parse(&text).expect("config")).await
}

fn ask(text: &str, stream: bool) -> serde_json::Value {
    let mut body = chat_body("gpt-fake", stream);
    body["messages"][0]["content"] = text.into();
    body
}

#[tokio::test]
async fn the_sdk_filter_tags_whole_and_streamed_answers() {
    let mock = mock::start().await;
    let gw = gateway(&mock.url).await;

    let (status, resp) = post(&gw.url, &ask("Hello", false)).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(
        resp["choices"][0]["message"]["content"],
        "Hello from fake openai-chat upstream. [sdk]"
    );

    let (status, events) = post_sse(&gw.url, &ask("Hello", true)).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(
        streamed_text(&events),
        "Hello from fake openai-chat upstream. [sdk]"
    );
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert_eq!(mock.state.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_sdk_filter_answers_locally_and_blocks() {
    let mock = mock::start().await;
    let gw = gateway(&mock.url).await;

    // The local answer goes back through the filters like any answer, so it
    // is tagged too.
    let (status, resp) = post(&gw.url, &ask("/ping", false)).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["choices"][0]["message"]["content"], "pong [sdk]");

    let (status, events) = post_sse(&gw.url, &ask("/ping", true)).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(streamed_text(&events), "pong [sdk]");
    assert_eq!(events.last().unwrap(), "[DONE]");

    let (status, resp) = post(&gw.url, &ask("say the Forbidden word", false)).await;
    assert_eq!(status, 400, "{resp}");
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("blocked by sdk-filter"),
        "{resp}"
    );
    assert_eq!(
        mock.state.calls.load(Ordering::SeqCst),
        0,
        "nothing went upstream"
    );
}
