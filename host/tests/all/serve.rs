//! The `wasmgate serve` process: its port, its config file changing under
//! it, and how it stops.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::common::*;
use crate::hotswap::tempdir;
use crate::mock;

/// A port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `wasmgate serve --config CONFIG`, its log in `log`.
fn serve(config: &std::path::Path, log: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wasmgate"))
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// A child process, killed if the test ends before it does.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The status of a chat completion for `model`, or 0 when nothing answered.
async fn status(url: &str, model: &str) -> u16 {
    match client()
        .post(format!("{url}/v1/chat/completions"))
        .json(&chat_body(model, false))
        .send()
        .await
    {
        Ok(resp) => resp.status().as_u16(),
        Err(_) => 0,
    }
}

/// Wait (at most 20 s) until `model` gets `want`.
async fn until_status(url: &str, model: &str, want: u16) {
    let start = Instant::now();
    loop {
        if status(url, model).await == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "`{model}` never got {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait (at most 10 s) for the process to end.
fn exited(child: &mut Child) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_owns_its_port_reloads_its_config_and_drains_on_sigterm() {
    let mock = mock::start().await;
    let dir = tempdir("serve");
    let path = dir.join("wasmgate.toml");
    let port = free_port();
    let file = |models: &str| {
        config_text(&format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[[upstreams]]\nname = \"mock\"\nprovider = \"openai\"\nbase_url = \"{}\"\nmodels = [{models}]\n",
            mock.url
        ))
    };
    std::fs::write(&path, file("\"gpt-a\"")).unwrap();
    let mut gateway = Running(serve(&path, &dir.join("gateway.log")));
    let url = format!("http://127.0.0.1:{port}");
    until_status(&url, "gpt-a", 200).await;

    // A second gateway on the same port is refused, not let in beside the
    // first (SO_REUSEPORT would share the connections between the two).
    let log = dir.join("second.log");
    let mut second = Running(serve(&path, &log));
    let refused = exited(&mut second.0);
    assert!(
        refused.is_some_and(|s| !s.success()),
        "a second gateway served"
    );
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(err.contains("in use"), "{err}");

    // The file changes: the running process serves the new models.
    assert_eq!(status(&url, "gpt-gated").await, 404);
    let tmp = dir.join("wasmgate.toml.new");
    std::fs::write(&tmp, file("\"gpt-*\"")).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    until_status(&url, "gpt-b", 200).await;

    // SIGTERM with a stream in flight: no new connections, and the stream
    // ends whole.
    let (mut stream, mut seen) = held_stream(&url).await;
    let killed = Command::new("kill")
        .args(["-TERM", &gateway.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    while health_reachable(&url).await {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still accepting after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        gateway.0.try_wait().unwrap(),
        None,
        "exited with a stream open"
    );
    mock.state.gate.notify_one();
    while let Some(Ok(chunk)) = stream.next().await {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("second") && seen.ends_with("data: [DONE]\n\n"),
        "{seen}"
    );
    let status = exited(&mut gateway.0).expect("the gateway exits once drained");
    assert!(status.success(), "{status:?}");
}

/// Does the gateway still accept a connection?
async fn health_reachable(url: &str) -> bool {
    client()
        .get(format!("{url}/health"))
        .timeout(Duration::from_millis(500))
        .send()
        .await
        .is_ok()
}
