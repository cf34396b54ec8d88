//! `wasmgate plugin new --lang python|js`: the real binary scaffolds each
//! kind, the generated `build.sh` builds it (reusing the example plugins'
//! toolchains through `COMPONENTIZE_PY` / `COMPONENTIZE_QJS`), the generated
//! unit tests pass, `wasmgate plugin check` accepts the component, and a
//! gateway serves it from its plugins folder: the filters add the system
//! message upstream and reject an over-long prompt in the client's error
//! format, the providers answer whole and streamed requests through a mock of
//! the template's `/generate` wire.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post as post_route;
use serde_json::{Value, json};

use crate::common::*;
use crate::mock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    Js,
}

impl Lang {
    fn arg(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The example plugins' toolchain for `lang`, installed by the example's
/// `build.sh` when missing (`scripts/test.sh` installs both beforehand).
fn toolchain(lang: Lang) -> PathBuf {
    // Two tests of one language may ask at once; install once.
    static INSTALL: Mutex<()> = Mutex::new(());
    let (tool, script) = match lang {
        Lang::Python => (
            repo().join(".venv/bin/componentize-py"),
            "examples/python-filter/build.sh",
        ),
        Lang::Js => (
            repo().join("target/examples/js-filter-toolchain/node_modules/.bin/componentize-qjs"),
            "examples/js-filter/build.sh",
        ),
    };
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if !tool.exists() {
        let status = Command::new("bash")
            .arg(script)
            .current_dir(repo())
            .status()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        assert!(status.success(), "{script} failed");
    }
    assert!(tool.exists(), "{} is missing", tool.display());
    tool
}

/// Run `cmd`, assert it succeeded and return its stdout and stderr.
fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

fn wasmgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasmgate"));
    // `plugin check` compiles into (and the gateways below read) one cache.
    cmd.env("XDG_CACHE_HOME", cache_home())
        .env_remove("RUST_BACKTRACE");
    cmd
}

fn cache_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-cache")
}

/// `wasmgate plugin new NAME --kind KIND --lang LANG` into a fresh folder;
/// checks the files every project has.
fn scaffold(lang: Lang, kind: &str) -> (String, PathBuf) {
    let name = format!("my-{}-{kind}", lang.arg());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scaffold-{}", std::process::id()))
        .join(&name);
    let _ = std::fs::remove_dir_all(&dir);
    let (stdout, _) = run(wasmgate()
        .args([
            "plugin",
            "new",
            &name,
            "--kind",
            kind,
            "--lang",
            lang.arg(),
            "--dir",
        ])
        .arg(&dir));
    assert!(stdout.contains("./build.sh"), "{stdout}");
    for file in ["README.md", ".gitignore", "build.sh"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    for wit in ["host.wit", "provider.wit", "types.wit"] {
        assert_eq!(
            std::fs::read_to_string(dir.join("wit").join(wit)).unwrap(),
            std::fs::read_to_string(repo().join("wit").join(wit)).unwrap(),
            "wit/{wit} is not the contract"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("build.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "build.sh is not executable");
    }
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for needle in ["./build.sh", "plugin check", "PLUGINS_DIR", &name] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
    // A second `plugin new` into the same folder refuses.
    let again = wasmgate()
        .args([
            "plugin",
            "new",
            &name,
            "--kind",
            kind,
            "--lang",
            lang.arg(),
            "--dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    (name, dir)
}

/// The generated unit tests, with the host's python3 or node.
fn unit_tests(lang: Lang, dir: &Path) {
    let (stdout, stderr) = match lang {
        Lang::Python => run(Command::new("python3")
            .args(["-m", "unittest", "-v"])
            .current_dir(dir)),
        Lang::Js => run(Command::new("node").arg("--test").current_dir(dir)),
    };
    let all = format!("{stdout}{stderr}");
    let ran = match lang {
        Lang::Python => all.contains("OK") && !all.contains("Ran 0 tests"),
        Lang::Js => {
            all.contains("# pass ") && all.contains("# fail 0") && !all.contains("# pass 0")
        }
    };
    assert!(ran, "no unit test ran:\n{all}");
}

/// The generated `build.sh`, with the example's toolchain; the component.
fn build(lang: Lang, name: &str, dir: &Path) -> PathBuf {
    let tool = toolchain(lang);
    let var = match lang {
        Lang::Python => "COMPONENTIZE_PY",
        Lang::Js => "COMPONENTIZE_QJS",
    };
    let start = Instant::now();
    run(Command::new("bash")
        .arg(dir.join("build.sh"))
        .env(var, &tool)
        .current_dir(repo()));
    let took = start.elapsed();
    let wasm = dir.join(format!("{name}.wasm"));
    let size = std::fs::metadata(&wasm)
        .unwrap_or_else(|e| panic!("{} missing: {e}", wasm.display()))
        .len();
    eprintln!(
        "plugin new --lang {}: {name}.wasm is {size} bytes, built in {:.1} s",
        lang.arg(),
        took.as_secs_f64()
    );
    wasm
}

/// `wasmgate plugin check` must pass; returns its stdout.
fn check(wasm: &Path, config: &str, kind: &str) -> String {
    let (stdout, _) = run(wasmgate()
        .args(["plugin", "check"])
        .arg(wasm)
        .args(["--config", config]));
    for needle in [
        &format!("kind:     {kind}") as &str,
        "wasmgate:plugin@0.1.0",
        "check:    ok",
    ] {
        assert!(stdout.contains(needle), "{needle} missing: {stdout}");
    }
    stdout
}

/// A gateway whose plugins folder holds only `wasm` (as `NAME.wasm`), with
/// the shared compile cache and `tail` (upstreams, filters).
async fn gateway(name: &str, wasm: &Path, tail: &str) -> TestGateway {
    let dir = wasm.parent().unwrap().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(wasm, dir.join(format!("{name}.wasm"))).unwrap();
    let text = format!(
        "[plugins]\ndir = {dir:?}\ncache_dir = {cache:?}\n[runtime]\nmax_instances = 200\n{tail}",
        dir = dir.display().to_string(),
        cache = cache_home()
            .join("wasmgate/components")
            .display()
            .to_string(),
    );
    start_config(wasmgate::config::Config::parse(&text).expect("config")).await
}

// ---------------------------------------------------------------- filters

async fn filter_case(lang: Lang) {
    let (name, dir) = scaffold(lang, "filter");
    unit_tests(lang, &dir);
    let wasm = build(lang, &name, &dir);
    check(
        &wasm,
        r#"{"system":"Be brief.","max_prompt_chars":20}"#,
        "filter",
    );
    let refused = wasmgate()
        .args(["plugin", "check"])
        .arg(&wasm)
        .args(["--config", r#"{"sytem":"x"}"#])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("`init` refused the config") && stderr.contains("unknown key `sytem`"),
        "{stderr}"
    );

    let upstream = mock::start().await;
    let gw = gateway(
        &name,
        &wasm,
        &format!(
            "{}[[filters]]\nplugin = \"{name}\"\nconfig = {{ system = \"Be brief.\", max_prompt_chars = 20 }}\n",
            openai_upstream(&upstream.url)
        ),
    )
    .await;

    // A short prompt goes upstream behind the system message.
    let (status, body) = post(&gw.url, &chat_body("gpt-fake", false)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from fake openai-chat upstream."
    );
    let (_, sent) = upstream.last_request();
    assert_eq!(sent["messages"][0]["role"], "system", "{sent}");
    assert_eq!(sent["messages"][0]["content"], "Be brief.", "{sent}");
    assert_eq!(sent["messages"][1]["content"], "Hello", "{sent}");

    // A streamed answer passes through the stream filter unchanged.
    let (status, events) = post_sse(&gw.url, &chat_body("gpt-fake", true)).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(
        streamed_text(&events),
        "Hello from fake openai-chat upstream."
    );
    assert_eq!(events.last(), Some(&Value::String("[DONE]".into())));

    // An over-long prompt: a 400 in OpenAI's and Anthropic's error shapes,
    // nothing sent upstream.
    let calls = upstream
        .state
        .calls
        .load(std::sync::atomic::Ordering::SeqCst);
    let long = "a prompt of thirty characters";
    for stream in [false, true] {
        let mut body = chat_body("gpt-fake", stream);
        body["messages"] = json!([{"role": "user", "content": long}]);
        let (status, body) = post(&gw.url, &body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(
            body["error"]["message"],
            format!("{name}: the prompt has 29 characters, more than 20")
        );
    }
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "gpt-fake", "max_tokens": 64,
            "messages": [{"role": "user", "content": long}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    assert_eq!(
        upstream
            .state
            .calls
            .load(std::sync::atomic::Ordering::SeqCst),
        calls,
        "a rejected prompt reached the upstream"
    );
    drop(gw);
    let _ = std::fs::remove_dir_all(&dir);
    // The run's folder goes with its last project.
    let _ = std::fs::remove_dir(dir.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_filter_scaffold_builds_tests_checks_and_filters() {
    filter_case(Lang::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_filter_scaffold_builds_tests_checks_and_filters() {
    filter_case(Lang::Js).await;
}

// ---------------------------------------------------------------- providers

/// A mock of the provider template's wire: `POST /generate`, a whole JSON
/// answer or newline-delimited JSON pieces; the model `slow-down` gets a 429.
struct Generate {
    url: String,
    seen: Seen,
}

/// Every request the generate mock received: headers and JSON body.
type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

impl Generate {
    async fn start() -> Generate {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/generate", post_route(generate))
            .with_state(seen.clone());
        let addr = serve_app(app).await;
        Generate {
            url: format!("http://{addr}"),
            seen,
        }
    }

    fn last(&self) -> (HeaderMap, Value) {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("no request reached the generate mock")
    }
}

async fn generate(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    seen.lock().unwrap().push((headers, body.clone()));
    if body["model"] == "slow-down" {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("content-type", "application/json")],
            r#"{"error":"slow down"}"#,
        )
            .into_response();
    }
    if body["stream"] != true {
        let answer = json!({"id": "gen-1", "model": body["model"], "text": "Héllo from generate",
            "input_tokens": 3, "output_tokens": 4});
        return ([("content-type", "application/json")], answer.to_string()).into_response();
    }
    // Lines split across chunks, one of them inside a multi-byte character.
    let text = "{\"text\":\"Hé\"}\n{\"text\":\"llo\"}\n{\"done\":true,\"input_tokens\":3,\"output_tokens\":2}\n";
    let bytes = text.as_bytes();
    let cut = text.find('é').unwrap() + 1;
    let chunks: Vec<Result<Bytes, std::io::Error>> = [&bytes[..cut], &bytes[cut..25], &bytes[25..]]
        .into_iter()
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Response::builder()
        .header("content-type", "application/x-ndjson")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap()
}

async fn provider_case(lang: Lang) {
    let (name, dir) = scaffold(lang, "provider");
    unit_tests(lang, &dir);
    let wasm = build(lang, &name, &dir);
    let stdout = check(&wasm, "{}", "provider");
    assert!(
        stdout.contains(&format!("provider: {name} ({name})"))
            && stdout.contains("base url: http://127.0.0.1:9000"),
        "{stdout}"
    );

    let upstream = Generate::start().await;
    let gw = gateway(
        &name,
        &wasm,
        &format!(
            "[[upstreams]]\nname = \"gen\"\nprovider = \"{name}\"\nbase_url = \"{}/\"\napi_keys = [\"sk-gen\"]\nmodels = [\"*\"]\n",
            upstream.url
        ),
    )
    .await;

    // Whole: the request on the template's wire, the answer translated back.
    let mut body = chat_body("small", false);
    body["messages"] = json!([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
    ]);
    let (status, answer) = post(&gw.url, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Héllo from generate"
    );
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(answer["usage"]["prompt_tokens"], 3, "{answer}");
    assert_eq!(answer["usage"]["completion_tokens"], 4, "{answer}");
    let (headers, sent) = upstream.last();
    assert_eq!(
        sent,
        json!({"model": "small", "stream": false, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ]})
    );
    assert_eq!(headers["authorization"], "Bearer sk-gen");

    // Streamed: NDJSON split anywhere, decoded into chat chunks.
    let (status, events) = post_sse(&gw.url, &chat_body("small", true)).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(streamed_text(&events), "Héllo");
    assert!(
        events
            .iter()
            .any(|e| e["choices"][0]["finish_reason"] == "stop"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e["usage"]["completion_tokens"] == 2),
        "{events:?}"
    );
    assert_eq!(upstream.last().1["stream"], true);

    // A 429 upstream becomes a typed rate-limit error in the client's format.
    let (status, body) = post(&gw.url, &chat_body("slow-down", false)).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("slow down"),
        "{body}"
    );
    drop(gw);
    let _ = std::fs::remove_dir_all(&dir);
    // The run's folder goes with its last project.
    let _ = std::fs::remove_dir(dir.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_provider_scaffold_builds_tests_checks_and_serves() {
    provider_case(Lang::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_provider_scaffold_builds_tests_checks_and_serves() {
    provider_case(Lang::Js).await;
}
