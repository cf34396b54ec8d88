//! The bundled plugins serve a coding agent's turn within their initial
//! memory: a grow would cost the host an `mprotect` (a TLB shootdown on
//! every core) each time the next instance takes the pool slot. Built
//! without WASI, they need their own allocator for this (`plugins/heap`):
//! Rust's grows the memory on the first allocation, and this test fails.

use serde_json::Value;

use crate::common::{admin, client, config_text, entry, openai_upstream, start_config};
use crate::mock;

/// A coding agent's 65 KB turn (system prompt, tools, a long history).
const AGENT_TURN: &str = include_str!("../../../bench/fixtures/agent.chat.json");

/// The six agent filters, as the bench runs them.
const AGENT_FILTERS: &str = include_str!("../../../bench/fixtures/agent-filters.toml");

#[tokio::test]
async fn bundled_plugins_serve_an_agent_turn_without_growing_their_memory() {
    let mock = mock::start().await;
    let text = config_text("[server]\nadmin_keys = [\"admin-key\"]\n")
        + &openai_upstream(&mock.url)
        + AGENT_FILTERS
        + "[[filters]]\nplugin = \"example-filter\"\n";
    let gw = start_config(wasmgate::config::Config::parse(&text).unwrap()).await;

    let mut turn: Value = serde_json::from_str(AGENT_TURN).unwrap();
    for (model, stream) in [
        ("gpt-fake", false),
        ("gpt-fake", true),
        ("gpt-tool", false),
        ("gpt-tool", true),
    ] {
        turn["model"] = model.into();
        turn["stream"] = stream.into();
        let resp = client()
            .post(format!("{}/v1/chat/completions", gw.url))
            .json(&turn)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{model} stream={stream}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("\"error\""), "{body}");
    }

    let (status, plugins) = admin(&gw.url, Some("admin-key")).await;
    assert_eq!(status, 200, "{plugins}");
    let serving = [
        "openai",
        "chat-commands",
        "redact-secrets",
        "command-guard",
        "loop-guard",
        "rewrite",
        "tool-call-repair",
        "example-filter",
    ];
    for name in serving {
        let stats = &entry(&plugins, name)["stats"];
        assert!(stats["calls"].as_u64().unwrap() >= 4, "{name}: {stats}");
        assert_eq!(stats["memory_grows"], 0, "{name}: {stats}");
    }
}
