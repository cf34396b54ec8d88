//! Capabilities: a plugin reaches nothing beyond the host imports unless it
//! declares a capability and the config grants it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;

use crate::common::*;
use crate::hotswap::{tempdir, with_dir};

/// A server counting its hits, answering `secret-token`.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/token",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { "secret-token" }
        }),
    );
    let addr = serve_app(app).await;
    (addr.to_string(), hits)
}

/// The `reach` test plugin, declaring `capabilities` when given.
fn reach(capabilities: Option<&str>) -> Vec<u8> {
    let mut bytes = std::fs::read(artifact("reach")).unwrap();
    if let Some(list) = capabilities {
        bytes.extend(wasmgate::runtime::sections::encode(
            wasmgate::runtime::CAPABILITIES_SECTION,
            list.as_bytes(),
        ));
    }
    bytes
}

/// What `reach` reports with this plugin file and `grants` line.
async fn attempt(plugin: Vec<u8>, grants: &str, addr: &str) -> String {
    let dir = tempdir("reach");
    std::fs::write(dir.join("reach.wasm"), plugin).unwrap();
    let filter = format!(
        "[[filters]]\nplugin = \"reach\"\nconfig = {{ http = \"http://{addr}/token\", file = \"/etc/hostname\", tcp = \"{addr}\" }}\n{grants}\n"
    );
    let body = "[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"*\"]\n"
        .to_string()
        + &filter;
    let gw = start_config(with_dir(&dir, &body)).await;
    let (status, resp) = post(&gw.url, &chat_body("echo", false)).await;
    assert_eq!(status, 200, "{resp}");
    resp["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn ungranted_plugins_reach_no_network_and_no_file() {
    let (addr, hits) = counting_server().await;
    let granted = "grants = { http = [\"127.0.0.1\"] }";
    for (plugin, grants, why) in [
        (reach(None), "", "neither declared nor granted"),
        (
            reach(Some(r#"["http:127.0.0.1"]"#)),
            "",
            "declared, not granted",
        ),
        (reach(None), granted, "granted, not declared"),
        (
            reach(Some(r#"["http:example.com"]"#)),
            granted,
            "declared for another host",
        ),
    ] {
        let report = attempt(plugin, grants, &addr).await;
        assert!(
            report.contains("http: denied: plugin `reach` may not reach `127.0.0.1`"),
            "{why}: {report}"
        );
        assert!(report.contains("file: error"), "{why}: {report}");
        assert!(report.contains("tcp: error"), "{why}: {report}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the server was reached");
}

#[tokio::test]
async fn a_declared_and_granted_host_is_reachable_and_nothing_else() {
    let (addr, hits) = counting_server().await;
    let report = attempt(
        reach(Some(r#"["http:127.0.0.1"]"#)),
        "grants = { http = [\"127.0.0.1\"] }",
        &addr,
    )
    .await;
    assert!(report.contains("http: ok 200 secret-token"), "{report}");
    // The grant is for HTTP through the host only: raw sockets and files stay shut.
    assert!(report.contains("file: error"), "{report}");
    assert!(report.contains("tcp: error"), "{report}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
