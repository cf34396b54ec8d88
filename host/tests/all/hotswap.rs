//! Hot swap: plugin files replaced, broken and deleted under a steady load
//! of whole and streamed requests.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::mock;

const MARKER: &[u8] = b"wgver:0000000000";

/// The `versioned` test plugin with `version` baked in.
fn variant(version: u32) -> Vec<u8> {
    let mut bytes = std::fs::read(artifact("versioned")).expect("versioned.wasm");
    let at: Vec<usize> = bytes
        .windows(MARKER.len())
        .enumerate()
        .filter(|(_, w)| *w == MARKER)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "the version marker appears once");
    let digits = format!("wgver:{version:010}");
    bytes[at[0]..at[0] + MARKER.len()].copy_from_slice(digits.as_bytes());
    bytes
}

/// Files that must never replace a working plugin, each with what makes it
/// fail: not Wasm, cut short, the wrong world, `init` traps.
fn broken(i: usize) -> Vec<u8> {
    match i % 4 {
        0 => b"this is not a wasm component".to_vec(),
        1 => {
            let whole = variant(999);
            whole[..whole.len() / 2].to_vec()
        }
        2 => std::fs::read(artifact("echo")).expect("echo.wasm"),
        _ => std::fs::read(artifact("misbehave")).expect("misbehave.wasm"),
    }
}

/// Write like an editor (temp file, then rename) or like `cp` (in place).
fn install(dir: &Path, name: &str, bytes: &[u8], atomic: bool) {
    let path = dir.join(format!("{name}.wasm"));
    if atomic {
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    } else {
        std::fs::write(&path, bytes).unwrap();
    }
}

/// A test config with `plugins.dir = dir`, then `tail`.
pub fn with_dir(dir: &Path, tail: &str) -> wasmgate::config::Config {
    let text = config_text("").replace(
        "[plugins]\n",
        &format!("[plugins]\ndir = {:?}\n", dir.display().to_string()),
    ) + tail;
    wasmgate::config::Config::parse(&text).expect("config")
}

/// The versions seen in one answer (whole or streamed): one tag per text
/// delta, so a stream served by two builds shows two.
fn versions(text: &str) -> Vec<String> {
    text.split("[v")
        .skip(1)
        .filter_map(|rest| rest.split_once(']').map(|(v, _)| v.to_string()))
        .collect()
}

/// One request; `Ok(version)` when it succeeded wholly on one version.
async fn one(url: &str, stream: bool) -> Result<String, String> {
    let text = if stream {
        let (status, events) = post_sse(url, &chat_body("gpt-fake", true)).await;
        if status != 200 || events.last() != Some(&Value::String("[DONE]".into())) {
            return Err(format!("stream status {status}: {events:?}"));
        }
        streamed_text(&events)
    } else {
        let (status, body) = post(url, &chat_body("gpt-fake", false)).await;
        if status != 200 {
            return Err(format!("status {status}: {body}"));
        }
        body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let seen = versions(&text);
    match seen.first() {
        Some(first) if seen.iter().all(|v| v == first) => Ok(first.clone()),
        _ => Err(format!("mixed or missing versions in {text:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_swaps_under_load_lose_nothing() {
    let mock = mock::start().await;
    let dir = tempdir("hotswap");
    install(&dir, "versioned", &variant(0), true);
    // `misbehave` reads this config and traps in `init`; `versioned` ignores it.
    let filter =
        "[[filters]]\nplugin = \"versioned\"\nconfig = { mode = \"trap\", hook = \"init\" }\n";
    let gw = start_config(with_dir(&dir, &(openai_upstream(&mock.url) + filter))).await;
    let _watcher = gw.gw.watch_plugins().expect("watch");
    assert_eq!(one(&gw.url, false).await, Ok("0000000000".into()));

    // Steady load: whole and streamed requests, all the time.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut load = Vec::new();
    for worker in 0..4 {
        let (url, stop, served, failures) = (
            gw.url.clone(),
            stop.clone(),
            served.clone(),
            failures.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                match one(&url, (n + worker).is_multiple_of(2)).await {
                    Ok(_) => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => failures.lock().unwrap().push(e),
                }
                n += 1;
            }
        }));
    }

    let mut current = 0u32;
    let mut swap_times = Vec::new();
    let mut broken_count = 0;
    for i in 1..=50usize {
        let atomic = i.is_multiple_of(2);
        if i.is_multiple_of(5) {
            // A broken file: refused, and the running version keeps serving.
            let bytes = broken(broken_count);
            broken_count += 1;
            let sha = sha256(&bytes);
            install(&dir, "versioned", &bytes, atomic);
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let rejected = gw.gw.rejected();
                if rejected.get("versioned").is_some_and(|r| r.sha256 == sha) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "broken file #{i} was never refused"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(
                one(&gw.url, i.is_multiple_of(3)).await,
                Ok(format!("{current:010}")),
                "a broken file (#{i}) replaced the working version"
            );
        } else {
            let version = i as u32;
            let written = Instant::now();
            install(&dir, "versioned", &variant(version), atomic);
            let deadline = written + Duration::from_secs(20);
            loop {
                if one(&gw.url, false).await == Ok(format!("{version:010}")) {
                    swap_times.push(written.elapsed());
                    break;
                }
                assert!(Instant::now() < deadline, "version {version} never served");
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            current = version;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} failed requests:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let served = served.load(Ordering::Relaxed);
    assert!(served >= 100, "only {served} requests ran during the swaps");
    swap_times.sort();
    eprintln!(
        "hot swap: {} swaps + {broken_count} broken files under load, {served} requests, 0 failed; \
         file write -> first request on the new version: p50 {:?}, max {:?}",
        swap_times.len(),
        swap_times[swap_times.len() / 2],
        swap_times[swap_times.len() - 1],
    );
}

#[tokio::test]
async fn deleting_a_file_brings_back_the_bundled_plugin() {
    let mock = mock::start().await;
    let dir = tempdir("unload");
    // A file overriding the bundled `example-filter`.
    install(&dir, "example-filter", &variant(7), true);
    let filter =
        "[[filters]]\nplugin = \"example-filter\"\nconfig = { reply_suffix = \" (bundled)\" }\n";
    let gw = start_config(with_dir(&dir, &(openai_upstream(&mock.url) + filter))).await;
    let _watcher = gw.gw.watch_plugins().expect("watch");
    assert_eq!(one(&gw.url, false).await, Ok("0000000007".into()));

    std::fs::remove_file(dir.join("example-filter.wasm")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = post(&gw.url, &chat_body("gpt-fake", false)).await;
        assert_eq!(status, 200, "{body}");
        let text = body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default();
        if text.ends_with(" (bundled)") {
            assert!(versions(text).is_empty(), "{text}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the bundled plugin never came back: {text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn sha256(bytes: &[u8]) -> String {
    wasmgate::runtime::sha256_hex(bytes)
}

/// A fresh empty folder under the test's target tmp dir.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn admin_plugins_shows_sources_states_and_call_stats() {
    let mock = mock::start().await;
    let dir = tempdir("admin");
    let good = variant(3);
    install(&dir, "versioned", &good, true);
    let tail = openai_upstream(&mock.url)
        + "[server]\napi_keys = [\"user-key\"]\nadmin_keys = [\"admin-key\"]\n"
        + "[[filters]]\nplugin = \"versioned\"\n";
    // `[server]` after `[[upstreams]]` is still the top-level table in TOML.
    let gw = start_config(with_dir(&dir, &tail)).await;

    // Access keys never open the admin API.
    assert_eq!(admin(&gw.url, None).await.0, 401);
    assert_eq!(admin(&gw.url, Some("user-key")).await.0, 401);

    for _ in 0..3 {
        let resp = client()
            .post(format!("{}/v1/chat/completions", gw.url))
            .bearer_auth("user-key")
            .json(&chat_body("gpt-fake", false))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
    let (status, body) = admin(&gw.url, Some("admin-key")).await;
    assert_eq!(status, 200, "{body}");
    let versioned = entry(&body, "versioned");
    assert_eq!(versioned["source"], "file");
    assert_eq!(versioned["kind"], "filter");
    assert_eq!(versioned["state"], "active");
    assert_eq!(versioned["sha256"], sha256(&good));
    assert!(
        versioned["path"]
            .as_str()
            .unwrap()
            .ends_with("versioned.wasm")
    );
    // Three requests: `on-request` and `on-response` each.
    assert!(
        versioned["stats"]["calls"].as_u64().unwrap() >= 6,
        "{versioned}"
    );
    assert!(versioned["stats"]["mean_us"].as_f64().unwrap() > 0.0);
    assert!(versioned["stats"]["p99_us"].as_f64().unwrap() > 0.0);
    assert_eq!(versioned["stats"]["traps"], 0);
    let openai = entry(&body, "openai");
    assert_eq!(openai["source"], "bundled");
    // Bundled plugins carry their metadata in custom sections.
    assert_eq!(openai["version"], "0.1.0");
    assert_eq!(openai["licenses"], "Apache-2.0");
    assert!(
        openai["description"]
            .as_str()
            .unwrap()
            .contains("Chat Completions")
    );
    assert_eq!(openai["capabilities"], serde_json::json!(["reuse"]));
    // A file without metadata says so.
    assert_eq!(versioned["version"], Value::Null);
    assert_eq!(openai["kind"], "provider");
    assert!(openai["stats"]["calls"].as_u64().unwrap() >= 6);

    // A refused file keeps the running version, and says why.
    install(&dir, "versioned", b"garbage", true);
    install(&dir, "ghost", b"more garbage", true);
    let report = gw.gw.reload_plugins().await;
    assert_eq!(report.rejected.len(), 2, "{report:?}");
    let (_, body) = admin(&gw.url, Some("admin-key")).await;
    let versioned = entry(&body, "versioned");
    assert_eq!(versioned["state"], "active");
    assert_eq!(versioned["sha256"], sha256(&good));
    assert_eq!(versioned["rejected_file"]["sha256"], sha256(b"garbage"));
    assert!(
        versioned["rejected_file"]["error"]
            .as_str()
            .unwrap()
            .contains("compile"),
        "{versioned}"
    );
    let ghost = entry(&body, "ghost");
    assert_eq!(ghost["state"], "failed");
    assert!(!ghost["error"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn the_admin_api_is_off_without_admin_keys() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, body) = admin(&gw.url, Some("anything")).await;
    assert_eq!(status, 403);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("server.admin_keys"),
        "{body}"
    );
}
