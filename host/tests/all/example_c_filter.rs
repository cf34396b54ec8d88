//! The C example filter (`examples/c-filter`), built with `wit-bindgen c`,
//! Debian's clang / lld / wasi-libc and `wasm-tools component new` with the
//! WASI preview1 reactor adapter, dropped into a plugins folder and driven
//! over HTTP: `max_tokens` capped (checked at the mock upstream), prompts
//! over the byte budget rejected in each client's error format, the footer
//! on whole and streamed answers, `wasmgate plugin check`, and the
//! per-request cost against no filter and the Rust `example-filter`.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;
use crate::mock;

const FOOTER: &str = "\n-- checked by c-filter ✓";
const ANSWER: &str = "Hello from fake openai-chat upstream.";

/// The filter's config, as TOML (gateway config) and as JSON (plugin check).
/// The footer's check mark comes as a JSON `\u` escape in the check.
const CONFIG_TOML: &str =
    r#"{ max_tokens = 64, max_prompt_bytes = 200, footer = "\n-- checked by c-filter ✓" }"#;
const CONFIG_JSON: &str =
    r#"{"max_tokens": 64, "max_prompt_bytes": 200, "footer": "\n-- checked by c-filter \u2713"}"#;

fn fresh_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh plugins folder holding the component as `c-filter.wasm`.
fn plugins_dir() -> PathBuf {
    let dir = fresh_dir("example-c-filter");
    std::fs::copy(example_artifact("c-filter"), dir.join("c-filter.wasm")).unwrap();
    dir
}

/// A gateway with `plugins.dir = dir`, one OpenAI upstream and `tail`.
async fn gateway(dir: &Path, mock_url: &str, tail: &str) -> TestGateway {
    let text = config_text("").replace(
        "[plugins]\n",
        &format!("[plugins]\ndir = {:?}\n", dir.display().to_string()),
    ) + &openai_upstream(mock_url)
        + tail;
    start_config(wasmgate::config::Config::parse(&text).expect("config")).await
}

fn c_filter() -> String {
    format!("[[filters]]\nplugin = \"c-filter\"\nconfig = {CONFIG_TOML}\n")
}

/// A chat request for `model` with `text` as the user's message.
fn chat(model: &str, text: &str, stream: bool) -> Value {
    let mut body = chat_body(model, stream);
    body["messages"] = json!([{"role": "user", "content": text}]);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_filter_caps_max_tokens_limits_prompts_and_adds_the_footer() {
    let mock = mock::start().await;
    let dir = plugins_dir();
    let gw = gateway(&dir, &mock.url, &c_filter()).await;

    // Whole: the answer ends with the footer; max_tokens over the ceiling
    // reaches the upstream capped.
    let mut body = chat("gpt-fake", "Hello", false);
    body["max_tokens"] = json!(1000);
    let (status, resp) = post(&gw.url, &body).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(
        resp["choices"][0]["message"]["content"],
        format!("{ANSWER}{FOOTER}"),
        "{resp}"
    );
    let (_, sent) = mock.last_request();
    assert_eq!(sent["max_tokens"], 64, "{sent}");
    assert_eq!(sent["messages"][0]["content"], "Hello", "{sent}");

    // Under the ceiling it is left alone; left out, the ceiling is set.
    body["max_tokens"] = json!(10);
    assert_eq!(post(&gw.url, &body).await.0, 200);
    assert_eq!(mock.last_request().1["max_tokens"], 10);
    let (status, _) = post(&gw.url, &chat("gpt-fake", "Hello", false)).await;
    assert_eq!(status, 200);
    assert_eq!(mock.last_request().1["max_tokens"], 64);

    // Streamed: the footer is one more delta, before the finish chunk.
    let (status, events) = post_sse(&gw.url, &chat("gpt-fake", "Hello", true)).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(streamed_text(&events), format!("{ANSWER}{FOOTER}"));
    assert_eq!(events.last(), Some(&Value::String("[DONE]".into())));
    let footer_at = events
        .iter()
        .position(|e| e["choices"][0]["delta"]["content"] == FOOTER)
        .expect("a footer delta");
    let finish_at = events
        .iter()
        .position(|e| e["choices"][0]["finish_reason"].is_string())
        .expect("a finish chunk");
    assert!(footer_at < finish_at, "{events:?}");
    assert_eq!(mock.last_request().1["max_tokens"], 64);

    // An answer that is only a tool call gets no footer, whole or streamed.
    let (status, resp) = post(&gw.url, &chat("gpt-tool", "Weather?", false)).await;
    assert_eq!(status, 200, "{resp}");
    assert!(resp["choices"][0]["message"]["content"].is_null(), "{resp}");
    assert!(resp["choices"][0]["message"]["tool_calls"].is_array());
    let (status, events) = post_sse(&gw.url, &chat("gpt-tool", "Weather?", true)).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&events), "", "{events:?}");

    // Over the budget (201 bytes of text; multi-byte characters count by
    // bytes): rejected in each client's error format, and nothing reaches
    // the upstream.
    let long = format!("{}é", "x".repeat(199));
    let calls = mock.state.calls.load(Ordering::SeqCst);
    let message = "c-filter: the prompt has 201 bytes of text, over the limit of 200";
    for stream in [false, true] {
        let (status, body) = post(&gw.url, &chat("gpt-fake", &long, stream)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(body["error"]["message"], message, "{body}");
    }
    // Exactly at the budget passes (a 200-byte prompt).
    let (status, _) = post(&gw.url, &chat("gpt-fake", &"x".repeat(200), false)).await;
    assert_eq!(status, 200);
    let calls = calls + 1;

    // Anthropic Messages: the system prompt counts too.
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .header("anthropic-version", "2023-06-01")
        .json(&json!({
            "model": "gpt-fake",
            "max_tokens": 64,
            "system": "x".repeat(150),
            "messages": [{"role": "user", "content": "y".repeat(60)}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    assert_eq!(
        body["error"]["message"],
        "c-filter: the prompt has 210 bytes of text, over the limit of 200"
    );

    // OpenAI Responses and Gemini, in their own shapes.
    let resp = client()
        .post(format!("{}/v1/responses", gw.url))
        .json(&json!({"model": "gpt-fake", "input": long}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["message"], message, "{body}");
    let resp = client()
        .post(format!("{}/v1beta/models/gpt-fake:generateContent", gw.url))
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": long}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], 400, "{body}");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
    assert_eq!(
        mock.state.calls.load(Ordering::SeqCst),
        calls,
        "a rejected prompt reached the upstream"
    );

    // Anthropic, allowed: the footer in Anthropic's answer shape.
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .header("anthropic-version", "2023-06-01")
        .json(&json!({
            "model": "gpt-fake",
            "max_tokens": 5000,
            "messages": [{"role": "user", "content": "Hello"}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["content"][0]["text"], format!("{ANSWER}{FOOTER}"));
    assert_eq!(mock.last_request().1["max_tokens"], 64);

    // The plugin's calls were counted and none failed.
    let live = gw.gw.live.load_full();
    let plugin = live
        .catalog
        .all()
        .into_iter()
        .find(|p| p.name == "c-filter")
        .expect("c-filter loaded");
    let stats = plugin.stats.snapshot();
    assert!(stats.calls > 0);
    assert_eq!(stats.traps, 0, "{stats:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `wasmgate plugin check`: passes with a good config (and shows the
/// metadata the build stamps in), explains bad ones.
#[test]
fn c_filter_passes_plugin_check_and_refuses_a_bad_config() {
    let wasm = example_artifact("c-filter");
    let check = |config: &str| plugin_check(&wasm, config);
    let (ok, stdout, stderr) = check(CONFIG_JSON);
    assert!(ok, "{stdout}{stderr}");
    for needle in [
        "kind:     filter",
        "wasmgate:plugin@0.1.0",
        "version:  0.1.0",
        "Example filter written in C",
        "check:    ok",
    ] {
        assert!(stdout.contains(needle), "{needle} missing: {stdout}");
    }
    let (ok, stdout, stderr) = check("{}");
    assert!(ok, "{stdout}{stderr}");
    for (config, wanted) in [
        (
            r#"{"max_tokens": 0}"#,
            "`max_tokens` must be a whole number from 1 to 4294967295, not 0",
        ),
        (
            r#"{"footr": "x"}"#,
            "unknown key `footr` (known keys: max_tokens, max_prompt_bytes, footer)",
        ),
        (
            r#"{"footer": 3}"#,
            "`footer` must be a string, not a number",
        ),
        (
            r#"{"max_prompt_bytes": 1.5}"#,
            "`max_prompt_bytes` must be a whole number from 1 to 1099511627776, not 1.5",
        ),
    ] {
        let (ok, _, stderr) = check(config);
        assert!(!ok, "{config} passed");
        assert!(stderr.contains("`init` refused the config"), "{stderr}");
        assert!(stderr.contains(wanted), "{config}: {stderr}");
    }
}

/// Per-request cost of the C filter: p50 of sequential requests through a
/// gateway with it, with the Rust `example-filter` doing a similar job (a
/// suffix on the answer) and with no filter, interleaved, whole and
/// streamed. Printed, not asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_filter_per_request_overhead() {
    let mock = mock::start().await;
    let dir = plugins_dir();
    let none = gateway(&dir, &mock.url, "").await;
    let c = gateway(&dir, &mock.url, &c_filter()).await;
    let rust = gateway(
        &dir,
        &mock.url,
        "[[filters]]\nplugin = \"example-filter\"\nconfig = { reply_suffix = \" [ok]\" }\n",
    )
    .await;
    let gateways = [&none, &c, &rust];
    for stream in [false, true] {
        let body = chat("gpt-fake", "Hello", stream);
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..220 {
            for (gw, times) in gateways.iter().zip(&mut times) {
                let start = Instant::now();
                if stream {
                    let (status, events) = post_sse(&gw.url, &body).await;
                    assert_eq!(status, 200);
                    assert!(!events.is_empty());
                } else {
                    let (status, _) = post(&gw.url, &body).await;
                    assert_eq!(status, 200);
                }
                // The first rounds warm up connections, caches and pools.
                if round >= 20 {
                    times.push(start.elapsed());
                }
            }
        }
        let [base, with_c, with_rust] = times.map(|mut v: Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        });
        eprintln!(
            "c-filter {}: p50 {base:?} without a filter; c-filter +{:?}; Rust example-filter +{:?}",
            if stream { "streamed" } else { "whole" },
            with_c.saturating_sub(base),
            with_rust.saturating_sub(base),
        );
    }
    let live = c.gw.live.load_full();
    if let Some(plugin) = live
        .catalog
        .all()
        .into_iter()
        .find(|p| p.name == "c-filter")
    {
        let stats = plugin.stats.snapshot();
        eprintln!(
            "c-filter guest calls: {} calls, mean {:.0} us, p99 {:.0} us",
            stats.calls, stats.mean_us, stats.p99_us
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
