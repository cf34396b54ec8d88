//! The Python example filter (`examples/python-filter`, "house rules"),
//! built with componentize-py, dropped into a plugins folder and exercised
//! over HTTP: banned words are rejected in the client's error format, allowed
//! prompts reach the upstream and every answer (whole and streamed) carries
//! the footer with the request count kept in the host's kv store.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;
use crate::mock;

const FOOTER: &str = "\n-- house rules, request #";

/// The filter's config, as TOML (gateway config) and as JSON (plugin check).
const CONFIG_TOML: &str =
    r#"{ banned = ["durian", "pineapple pizza"], footer = "\n-- house rules, request #{count}" }"#;
const CONFIG_JSON: &str =
    r#"{"banned": ["durian", "pineapple pizza"], "footer": "\n-- house rules, request #{count}"}"#;

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

/// A gateway with `plugins.dir = dir`, one OpenAI upstream and `tail`.
async fn gateway(dir: &Path, mock_url: &str, tail: &str) -> TestGateway {
    let text = config_text("").replace(
        "[plugins]\n",
        &format!("[plugins]\ndir = {:?}\n", dir.display().to_string()),
    ) + &openai_upstream(mock_url)
        + tail;
    start_config(wasmgate::config::Config::parse(&text).expect("config")).await
}

fn chat(text: &str, stream: bool) -> Value {
    let mut body = chat_body("gpt-fake", stream);
    body["messages"] = json!([
        {"role": "system", "content": "durian is fine in a system prompt"},
        {"role": "user", "content": text},
    ]);
    body
}

fn whole_text(body: &Value) -> String {
    body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_house_rules_filter_rejects_banned_words_and_adds_the_footer() {
    let mock = mock::start().await;
    let dir = fresh_dir("example-python-filter");
    std::fs::copy(
        example_artifact("python-filter"),
        dir.join("house-rules.wasm"),
    )
    .unwrap();
    let filter = format!("[[filters]]\nplugin = \"house-rules\"\nconfig = {CONFIG_TOML}\n");
    let gw = gateway(&dir, &mock.url, &filter).await;

    // Allowed, whole: the prompt reaches the upstream, the answer ends with
    // the footer numbered from the kv counter.
    let (status, body) = post(&gw.url, &chat("Which fruit is best?", false)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        whole_text(&body),
        format!("Hello from fake openai-chat upstream.{FOOTER}1")
    );
    let (_, sent) = mock.last_request();
    assert_eq!(sent["messages"][1]["content"], "Which fruit is best?");

    // Allowed, streamed: the footer is one more text delta before the finish.
    let (status, events) = post_sse(&gw.url, &chat("And the second best?", true)).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(events.last(), Some(&Value::String("[DONE]".into())));
    let text = streamed_text(&events);
    assert!(text.ends_with(&format!("{FOOTER}2")), "{text:?}");
    let footer_at = events
        .iter()
        .position(|e| e["choices"][0]["delta"]["content"] == format!("{FOOTER}2"))
        .expect("a footer delta");
    let finish_at = events
        .iter()
        .position(|e| e["choices"][0]["finish_reason"].is_string())
        .expect("a finish chunk");
    assert!(footer_at < finish_at, "{events:?}");

    // Banned, whole and streamed: a 400 in OpenAI's error shape, naming the
    // word, and nothing sent upstream.
    let calls = mock.state.calls.load(std::sync::atomic::Ordering::SeqCst);
    for stream in [false, true] {
        let (status, body) = post(&gw.url, &chat("I could eat a DURIAN now", stream)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(
            body["error"]["message"],
            "house rules: the prompt uses the banned word \"durian\""
        );
    }
    // The same rule in Anthropic's error shape for an Anthropic client.
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .header("anthropic-version", "2023-06-01")
        .json(&json!({
            "model": "gpt-fake",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "pineapple pizza, yes or no?"}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("\"pineapple pizza\""),
        "{body}"
    );
    assert_eq!(
        mock.state.calls.load(std::sync::atomic::Ordering::SeqCst),
        calls,
        "a rejected prompt reached the upstream"
    );

    // Whole words only; rejected prompts are not counted.
    let (status, body) = post(&gw.url, &chat("Is durianish a word?", false)).await;
    assert_eq!(status, 200, "{body}");
    assert!(whole_text(&body).ends_with(&format!("{FOOTER}3")), "{body}");

    overhead(&gw, &mock, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Per-request cost of the filter: p50 of sequential whole requests through
/// a gateway with it, one with the bundled Rust `example-filter` doing a
/// similar job (block word, suffix) and one with no filter (same mock,
/// interleaved). Printed, not asserted.
async fn overhead(python: &TestGateway, mock: &mock::Mock, dir: &Path) {
    let empty = dir.join("none");
    std::fs::create_dir_all(&empty).unwrap();
    let rust = gateway(
        &empty,
        &mock.url,
        "[[filters]]\nplugin = \"example-filter\"\nconfig = { block_word = \"durian\", reply_suffix = \" [ok]\" }\n",
    )
    .await;
    let none = gateway(&empty, &mock.url, "").await;
    let body = chat("Hello", false);
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..120 {
        for (i, url) in [&python.url, &rust.url, &none.url].into_iter().enumerate() {
            let start = Instant::now();
            let (status, _) = post(url, &body).await;
            assert_eq!(status, 200);
            // The first rounds warm the gateways up.
            if round >= 20 {
                times[i].push(start.elapsed());
            }
        }
    }
    let [py, rs, base] = times.map(|mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    });
    eprintln!(
        "python-filter overhead: p50 {py:.2} ms with it, {rs:.2} ms with the Rust example-filter, \
         {base:.2} ms with no filter: {:.2} ms per request (Rust: {:.2} ms)",
        py - base,
        rs - base,
    );
    // Time inside the guest (on-request, on-response), instantiation aside.
    let live = python.gw.live.load_full();
    if let Some(plugin) = live
        .catalog
        .all()
        .into_iter()
        .find(|p| p.name == "house-rules")
    {
        let stats = plugin.stats.snapshot();
        eprintln!(
            "python-filter guest calls: {} calls, mean {:.0} us, p99 {:.0} us",
            stats.calls, stats.mean_us, stats.p99_us
        );
    }
}

/// `wasmgate plugin check` accepts the component with a good config and
/// explains a bad one (the filter's `init` refuses it).
#[test]
fn python_house_rules_filter_passes_plugin_check() {
    let wasm = example_artifact("python-filter");
    let check = |config: &str| plugin_check(&wasm, config);
    let (ok, stdout, stderr) = check(CONFIG_JSON);
    assert!(ok, "{stdout}{stderr}");
    for needle in ["kind:     filter", "wasmgate:plugin@0.1.0", "check:    ok"] {
        assert!(stdout.contains(needle), "{needle} missing: {stdout}");
    }
    let (ok, _, stderr) = check(r#"{"banned": "durian"}"#);
    assert!(!ok);
    assert!(stderr.contains("`init` refused the config"), "{stderr}");
    assert!(
        stderr.contains("`banned` must be a list of strings"),
        "{stderr}"
    );
    let (ok, _, stderr) = check(r#"{"footr": "x"}"#);
    assert!(!ok);
    assert!(stderr.contains("unknown key `footr`"), "{stderr}");
}
