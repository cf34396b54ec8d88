//! The binary's serving mode: worker threads sharing one port.

use std::time::Duration;

use wasmgate::config::Config;
use wasmgate::gateway::Gateway;
use wasmgate::server::Workers;

use crate::common::*;

/// A gateway serving the local `echo` provider.
async fn echo_gateway() -> std::sync::Arc<Gateway> {
    let config = Config::parse(&config_text(
        "[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n",
    ))
    .unwrap();
    Gateway::new(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_share_a_port_and_stop_on_shutdown() {
    let gw = echo_gateway().await;
    let workers = Workers::bind("127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let url = format!("http://{}", workers.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = std::thread::spawn(move || {
        workers.run(gw, async {
            let _ = rx.await;
        })
    });
    // Many connections, so both listeners get some.
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let resp = client
                .post(format!("{url}/v1/chat/completions"))
                .json(&chat_body("echo", false))
                .send()
                .await
                .unwrap();
            resp.status().as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    tx.send(()).unwrap();
    let joined = tokio::task::spawn_blocking(move || running.join())
        .await
        .unwrap();
    assert!(matches!(joined, Ok(Ok(()))));
    let after = reqwest::Client::new()
        .get(format!("{url}/health"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(after.is_err(), "nothing listens after shutdown");
}

/// The worker threads that ran the housekeeping task.
static HOUSEKEEPERS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn note_housekeeper() {
    let name = std::thread::current().name().unwrap_or("?").to_string();
    HOUSEKEEPERS.lock().unwrap().push(name);
}

#[tokio::test(flavor = "multi_thread")]
async fn housekeeping_runs_on_every_worker_thread() {
    let gw = echo_gateway().await;
    let workers = Workers::bind("127.0.0.1:0".parse().unwrap(), 2)
        .unwrap()
        .housekeeping(Duration::from_millis(20), note_housekeeper);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = std::thread::spawn(move || {
        workers.run(gw, async {
            let _ = rx.await;
        })
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.send(()).unwrap();
    let joined = tokio::task::spawn_blocking(move || running.join())
        .await
        .unwrap();
    assert!(matches!(joined, Ok(Ok(()))));
    let ran = HOUSEKEEPERS.lock().unwrap().clone();
    for worker in ["wasmgate-worker-0", "wasmgate-worker-1"] {
        let times = ran.iter().filter(|name| *name == worker).count();
        assert!(times >= 3, "{worker} ran the task {times} times: {ran:?}");
    }
    assert!(
        ran.iter().all(|name| name.starts_with("wasmgate-worker-")),
        "{ran:?}"
    );
}
