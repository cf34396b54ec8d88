//! Start a real gateway on a loopback port.

use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::Value;
use wasmgate::config::Config;
use wasmgate::gateway::Gateway;

pub struct TestGateway {
    pub url: String,
    pub gw: Arc<Gateway>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Folder with every built plugin, test-only ones included.
pub fn artifact(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("WASMGATE_PLUGIN_ARTIFACTS"))
        .join(format!("{}.wasm", name.replace('-', "_")))
}

/// A config with the shared compile cache and `body` appended.
pub fn config_text(body: &str) -> String {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
    format!(
        "[plugins]\ncache_dir = {cache:?}\n[runtime]\nmax_instances = 200\n{body}",
        cache = cache.display().to_string()
    )
}

pub async fn start(body: &str) -> TestGateway {
    let config = Config::parse(&config_text(body)).expect("test config");
    start_config(config).await
}

pub async fn start_config(config: Config) -> TestGateway {
    let gw = Gateway::new(config).await.expect("gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let served = gw.clone();
    tokio::spawn(async move {
        let _ = wasmgate::server::serve(listener, served, async {
            let _ = rx.await;
        })
        .await;
    });
    TestGateway {
        url: format!("http://{addr}"),
        gw,
        _shutdown: tx,
    }
}

/// Serve `app` on a loopback port for the rest of the test; its address.
pub async fn serve_app(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// The usual config: one OpenAI upstream at `mock_url` serving every model.
pub fn openai_upstream(mock_url: &str) -> String {
    format!(
        "[[upstreams]]\nname = \"mock\"\nprovider = \"openai\"\nbase_url = \"{mock_url}\"\napi_keys = [\"sk-upstream-secret\"]\nmodels = [\"*\"]\n"
    )
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// The status of `GET /health`.
pub async fn health_status(url: &str) -> u16 {
    client()
        .get(format!("{url}/health"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub fn chat_body(model: &str, stream: bool) -> Value {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Hello"}],
        "stream": stream,
        "stream_options": if stream { serde_json::json!({"include_usage": true}) } else { Value::Null },
    })
}

pub async fn post(url: &str, body: &Value) -> (u16, Value) {
    let resp = client()
        .post(format!("{url}/v1/chat/completions"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Open a held stream (the mock's `gpt-gated`, whose second chunk waits
/// for `mock.state.gate`) and read up to its first chunk: the stream, and
/// the text read so far.
pub async fn held_stream(
    url: &str,
) -> (
    impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
    String,
) {
    let resp = client()
        .post(format!("{url}/v1/chat/completions"))
        .json(&chat_body("gpt-gated", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("first") {
        let chunk = stream.next().await.unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    (stream, seen)
}

/// Read a whole SSE body into its `data:` payloads (`[DONE]` kept as a string).
pub async fn post_sse(url: &str, body: &Value) -> (u16, Vec<Value>) {
    let resp = client()
        .post(format!("{url}/v1/chat/completions"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let mut text = String::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Err(_) => break,
        }
    }
    (status, parse_sse(&text))
}

pub fn parse_sse(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap_or(Value::String(d.to_string())))
        .collect()
}

/// Concatenated `delta.content` of chat chunks.
pub fn streamed_text(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect()
}

/// The component an example plugin builds (`examples/<name>/build.sh`
/// writes `target/examples/<name>.wasm`); built on first use when missing.
/// `scripts/test.sh` builds every example first, so this only builds when a
/// test runs on its own.
pub fn example_artifact(name: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let artifact = root
        .join("target")
        .join("examples")
        .join(format!("{name}.wasm"));
    if !artifact.exists() {
        let script = root.join("examples").join(name).join("build.sh");
        let status = std::process::Command::new("bash")
            .arg(&script)
            .current_dir(&root)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(status.success(), "{} failed", script.display());
    }
    assert!(artifact.exists(), "{} was not built", artifact.display());
    artifact
}

/// `wasmgate plugin check FILE --config JSON`: (passed, stdout, stderr).
pub fn plugin_check(file: &std::path::Path, config: &str) -> (bool, String, String) {
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(["plugin", "check"])
        .arg(file)
        .args(["--config", config])
        .env("HOME", &home)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `GET /admin/plugins` with `key` as bearer: status and body.
pub async fn admin(url: &str, key: Option<&str>) -> (u16, Value) {
    let mut req = client().get(format!("{url}/admin/plugins"));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The entry of plugin `name` in an `/admin/plugins` body.
pub fn entry<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["plugins"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}
