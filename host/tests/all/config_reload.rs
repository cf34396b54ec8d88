//! Config reload: the config file changes under a serving gateway.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmgate::config::Config;
use wasmgate::gateway::{ConfigReloadError, Gateway};

use crate::common::*;
use crate::hotswap::tempdir;
use crate::mock;

/// A config file: access key `key`, one upstream at `mock_url` serving
/// `models`, then `tail`.
fn config_file(key: &str, mock_url: &str, models: &str, tail: &str) -> String {
    config_text(&format!(
        "[server]\napi_keys = [\"{key}\"]\n[[upstreams]]\nname = \"mock\"\nprovider = \"openai\"\nbase_url = \"{mock_url}\"\napi_keys = [\"sk-upstream\"]\nmodels = [{models}]\n{tail}"
    ))
}

/// Replace the file as editors do: write a temp file, rename it over.
fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The status of a chat completion for `model` with access key `key`.
async fn status(url: &str, key: &str, model: &str) -> u16 {
    client()
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(key)
        .json(&chat_body(model, false))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn generation(gw: &Gateway) -> u64 {
    gw.live.load().generation
}

/// Wait (at most 10 s) for the live state to reach `want`.
async fn until_generation(gw: &Gateway, want: u64) {
    let start = Instant::now();
    while generation(gw) < want {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no reload to generation {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn watched(gw: &Arc<Gateway>, path: &Path) -> wasmgate::gateway::FolderWatcher {
    let file = PathBuf::from(path);
    gw.watch_config(path, move || Config::load(&file))
        .expect("watch the config")
}

/// A gateway started from the config at `path`, watching it, and serving
/// `gpt-a` to the key `k1` (what each test's first config holds).
async fn start_watched(path: &Path) -> (TestGateway, wasmgate::gateway::FolderWatcher) {
    let gw = start_config(Config::load(path).unwrap()).await;
    let watcher = watched(&gw.gw, path);
    assert_eq!(status(&gw.url, "k1", "gpt-a").await, 200);
    (gw, watcher)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_config_serves_the_next_request_and_a_broken_one_changes_nothing() {
    let mock = mock::start().await;
    let dir = tempdir("config-reload");
    let path = dir.join("wasmgate.toml");
    save(&path, &config_file("k1", &mock.url, "\"gpt-a\"", ""));
    let (gw, _watcher) = start_watched(&path).await;
    assert_eq!(status(&gw.url, "k1", "gpt-b").await, 404);

    // New access key and models: the next request sees them.
    save(&path, &config_file("k2", &mock.url, "\"gpt-b\"", ""));
    until_generation(&gw.gw, 1).await;
    assert_eq!(status(&gw.url, "k1", "gpt-b").await, 401);
    assert_eq!(status(&gw.url, "k2", "gpt-a").await, 404);
    assert_eq!(status(&gw.url, "k2", "gpt-b").await, 200);
    // Reading the file for the reload is no change of its own.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(generation(&gw.gw), 1, "the reload must not trigger itself");

    // Broken TOML, then a filter that does not exist: neither applies, and
    // the running config keeps serving.
    save(&path, "[server\napi_keys = 1\n");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let missing = config_file(
        "k3",
        &mock.url,
        "\"*\"",
        "[[filters]]\nplugin = \"no-such-filter\"\n",
    );
    save(&path, &missing);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(generation(&gw.gw), 1);
    assert_eq!(status(&gw.url, "k2", "gpt-b").await, 200);
    assert_eq!(status(&gw.url, "k3", "gpt-b").await, 401);
    let refused = gw
        .gw
        .reload_config(Config::parse(&missing).unwrap())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(refused.contains("no-such-filter"), "{refused}");

    // The watcher lives on: a good file after the broken ones applies.
    save(&path, &config_file("k4", &mock.url, "\"*\"", ""));
    until_generation(&gw.gw, 2).await;
    assert_eq!(status(&gw.url, "k4", "gpt-c").await, 200);
}

#[tokio::test]
async fn a_reload_keeps_start_only_keys_and_never_opens_a_public_listener() {
    let mock = mock::start().await;
    let public = |keys: &str, tail: &str| {
        Config::parse(&config_text(&format!(
            "[server]\nlisten = \"0.0.0.0:8788\"\napi_keys = [{keys}]\n{tail}{}",
            openai_upstream(&mock.url)
        )))
        .unwrap()
    };
    let gw = start_config(public("\"k1\"", "")).await;

    // Dropping every access key on a public listener is refused.
    match gw.gw.reload_config(public("", "")).await {
        Err(ConfigReloadError::Unprotected(_)) => {}
        other => panic!("a public listener without keys was accepted: {other:?}"),
    }
    assert_eq!(generation(&gw.gw), 0);
    assert_eq!(status(&gw.url, "k1", "gpt-a").await, 200);
    // Unless the config says so explicitly.
    let open = public("", "allow_unauthenticated_remote = true\n");
    assert_eq!(gw.gw.reload_config(open).await.ok(), Some(Vec::new()));
    assert_eq!(status(&gw.url, "", "gpt-a").await, 200);

    // The listener and the sandbox apply at start: named, kept.
    let mut moved = public("\"k1\"", "");
    moved.server.listen = "127.0.0.1:9999".parse().unwrap();
    moved.runtime.call_deadline_ms = 5;
    let restart = gw.gw.reload_config(moved).await.unwrap();
    assert_eq!(restart, ["server.listen", "runtime"]);
    let live = gw.gw.live.load();
    assert_eq!(live.config.server.listen.port(), 8788);
    assert_eq!(live.config.runtime.call_deadline_ms, 100);
}

#[tokio::test]
async fn a_rate_limited_key_keeps_resting_across_a_reload_of_the_same_keys() {
    let mock = mock::start().await;
    let config = |keys: &str| {
        Config::parse(&config_text(&format!(
            "[[upstreams]]\nname = \"mock\"\nprovider = \"openai\"\nbase_url = \"{}\"\napi_keys = [{keys}]\nmodels = [\"*\"]\n",
            mock.url
        )))
        .unwrap()
    };
    let gw = start_config(config("\"a\", \"b\"")).await;
    let ring = gw.gw.live.load().upstreams[0].keys.clone();
    ring.rest(0, Duration::from_secs(60));

    gw.gw.reload_config(config("\"a\", \"b\"")).await.unwrap();
    let kept = gw.gw.live.load().upstreams[0].keys.clone();
    assert!(Arc::ptr_eq(&ring, &kept), "same keys: the same ring");
    assert_eq!(kept.in_turn().last(), Some(&Some(0)), "key 0 still rests");

    gw.gw.reload_config(config("\"a\", \"c\"")).await.unwrap();
    let fresh = gw.gw.live.load().upstreams[0].keys.clone();
    assert!(!Arc::ptr_eq(&ring, &fresh), "other keys: a new ring");
}

/// Kubernetes mounts a ConfigMap as symlinks (`wasmgate.toml` →
/// `..data/wasmgate.toml`, `..data` → a versioned folder) and updates it by
/// renaming a new `..data` link over the old one: no event names the config
/// file, and the change applies. An event for another file in the folder
/// changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_behind_a_swapped_symlink_is_reloaded() {
    use std::os::unix::fs::symlink;
    let mock = mock::start().await;
    let dir = tempdir("config-configmap");
    let version = |name: &str, key: &str| {
        std::fs::create_dir(dir.join(name)).unwrap();
        let text = config_file(key, &mock.url, "\"gpt-a\"", "");
        std::fs::write(dir.join(name).join("wasmgate.toml"), text).unwrap();
    };
    version("..v1", "k1");
    symlink("..v1", dir.join("..data")).unwrap();
    symlink("..data/wasmgate.toml", dir.join("wasmgate.toml")).unwrap();
    let path = dir.join("wasmgate.toml");
    let (gw, _watcher) = start_watched(&path).await;

    std::fs::write(dir.join("notes.txt"), "not the config").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(generation(&gw.gw), 0, "another file is no config change");

    version("..v2", "k2");
    symlink("..v2", dir.join("..data_tmp")).unwrap();
    std::fs::rename(dir.join("..data_tmp"), dir.join("..data")).unwrap();
    until_generation(&gw.gw, 1).await;
    assert_eq!(status(&gw.url, "k2", "gpt-a").await, 200);
    assert_eq!(status(&gw.url, "k1", "gpt-a").await, 401);
}

/// A config file that is a symlink into another folder (dotfiles) is
/// edited there, and the change applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_config_edited_in_its_own_folder_is_reloaded() {
    let mock = mock::start().await;
    let dotfiles = tempdir("config-dotfiles");
    let target = dotfiles.join("gateway.toml");
    save(&target, &config_file("k1", &mock.url, "\"gpt-a\"", ""));
    let path = tempdir("config-link").join("wasmgate.toml");
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let (gw, _watcher) = start_watched(&path).await;

    save(&target, &config_file("k2", &mock.url, "\"gpt-a\"", ""));
    until_generation(&gw.gw, 1).await;
    assert_eq!(status(&gw.url, "k2", "gpt-a").await, 200);
}

/// A file beside the config that changes all the time (a log the
/// gateway's output goes to) neither reloads the config nor holds back a
/// change to it (the watcher waits for a burst of events to settle).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_file_beside_the_config_does_not_hold_back_a_change() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mock = mock::start().await;
    let dir = tempdir("config-busy");
    let path = dir.join("wasmgate.toml");
    save(&path, &config_file("k1", &mock.url, "\"gpt-a\"", ""));
    let (gw, _watcher) = start_watched(&path).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, log) = (stop.clone(), dir.join("wasmgate.log"));
        std::thread::spawn(move || {
            let mut file = std::fs::File::create(log).unwrap();
            while !stop.load(Ordering::Relaxed) {
                writeln!(file, "a log line").unwrap();
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(generation(&gw.gw), 0, "a log line is no config change");
    save(&path, &config_file("k2", &mock.url, "\"gpt-a\"", ""));
    until_generation(&gw.gw, 1).await;
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(status(&gw.url, "k2", "gpt-a").await, 200);
}
