//! Instance reuse: a plugin that declares the `reuse` capability (every
//! bundled one) serves request after request with instances kept from
//! earlier ones; `runtime.reuse_instances = false` and undeclared plugins
//! get a fresh instance per request; an instance whose call failed is
//! never kept.

use std::sync::Arc;

use serde_json::{Value, json};
use wasmgate::canonical::{ContentPart, FinishReason, Message, RequestContext, Response, Role};
use wasmgate::kv::KvStore;
use wasmgate::runtime::{FilterInstance, Limits, PluginEnv, PluginSource, Runtime, Warm};

use crate::common::*;
use crate::mock;

/// Six requests through `openai` and `example-filter` (whole, streamed, an
/// upstream error), each answered right; the two plugins' statistics.
async fn serve_six(reuse_instances: bool) -> (Value, Value) {
    let mock = mock::start().await;
    let text = config_text("[server]\nadmin_keys = [\"admin-key\"]\n")
        + &openai_upstream(&mock.url)
        + "[[filters]]\nplugin = \"example-filter\"\nconfig = { reply_suffix = \" [checked]\" }\n";
    let mut config = wasmgate::config::Config::parse(&text).unwrap();
    config.runtime.reuse_instances = reuse_instances;
    let gw = start_config(config).await;
    for round in 0..2 {
        let ask = |model: &str, stream: bool| {
            json!({"model": model, "stream": stream,
                   "messages": [{"role": "user", "content": format!("hi {round}")}]})
        };
        let (status, body) = post(&gw.url, &ask("gpt-fake", false)).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["choices"][0]["message"]["content"]
                .as_str()
                .is_some_and(|t| t.ends_with(" [checked]")),
            "{body}"
        );
        let (status, chunks) = post_sse(&gw.url, &ask("gpt-fake", true)).await;
        assert_eq!(status, 200, "{chunks:?}");
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert!(text.ends_with(" [checked]"), "{chunks:?}");
        let (status, body) = post(&gw.url, &ask("gpt-500", false)).await;
        assert_eq!(status, 500, "{body}");
    }
    // Instances are handed back after the answer is written.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (status, plugins) = admin(&gw.url, Some("admin-key")).await;
    assert_eq!(status, 200, "{plugins}");
    (
        entry(&plugins, "openai")["stats"].clone(),
        entry(&plugins, "example-filter")["stats"].clone(),
    )
}

#[tokio::test]
async fn bundled_plugins_serve_requests_with_kept_instances() {
    let (openai, filter) = serve_six(true).await;
    // One instance made when the config loaded (`init`), then kept; the
    // requests are sequential, so one or two serve them all.
    for stats in [&openai, &filter] {
        assert!(stats["instances"].as_u64().unwrap() <= 2, "{stats}");
        assert!(stats["reuses"].as_u64().unwrap() >= 5, "{stats}");
    }
}

#[tokio::test]
async fn reuse_switched_off_makes_an_instance_per_request() {
    let (openai, filter) = serve_six(false).await;
    for stats in [&openai, &filter] {
        // Six requests, plus the instance that ran `init`.
        assert_eq!(stats["instances"], 7, "{stats}");
        assert_eq!(stats["reuses"], 0, "{stats}");
    }
}

/// The `misbehave` test filter, loaded from its file, with a config.
async fn misbehave(
    mode: &str,
    hook: &str,
) -> (Runtime, Arc<wasmgate::runtime::Plugin>, Arc<PluginEnv>) {
    let runtime = Runtime::new(Limits::default(), None).unwrap();
    let bytes = std::fs::read(artifact("misbehave")).unwrap();
    let plugin = runtime
        .load(
            "misbehave",
            &bytes,
            PluginSource::File(artifact("misbehave")),
        )
        .unwrap();
    let env = Arc::new(PluginEnv {
        name: "misbehave".into(),
        config: json!({"mode": mode, "hook": hook}).to_string(),
        kv: Arc::new(KvStore::default()),
        http_hosts: Vec::new(),
    });
    (runtime, plugin, env)
}

#[tokio::test]
async fn an_instance_whose_call_failed_is_not_kept() {
    let ctx = RequestContext {
        request_id: "req-1".into(),
        frontend: "openai-chat".into(),
        requested_model: "m".into(),
    };
    let req = wasmgate::canonical::Request::new(
        "m",
        vec![Message::new(
            Role::User,
            vec![ContentPart::Text("hi".into())],
        )],
    );
    let resp = Response {
        id: "resp-1".into(),
        model: "m".into(),
        created: None,
        content: vec![ContentPart::Text("hello".into())],
        finish_reason: Some(FinishReason::Stop),
        usage: None,
        extra: None,
    };
    for (mode, kept) in [("ok", 1), ("trap", 0), ("bomb", 0), ("garbage", 0)] {
        let (runtime, plugin, env) = misbehave(mode, "response").await;
        let warm = Warm::new(4);
        let mut instance =
            FilterInstance::from_warm(&plugin, env.clone(), Some(&warm), runtime.limits())
                .await
                .unwrap();
        instance.on_request(&ctx, &req).await.unwrap();
        let answered = instance.on_response(&ctx, &resp).await;
        assert_eq!(answered.is_ok(), mode == "ok", "{mode}: {answered:?}");
        instance.park().await;
        assert_eq!(warm.idle(), kept, "{mode}");
        // The kept one serves the next request; none is made.
        let next = FilterInstance::from_warm(&plugin, env, Some(&warm), runtime.limits())
            .await
            .unwrap();
        let stats = plugin.stats.snapshot();
        assert_eq!(
            (stats.instances, stats.reuses),
            (2 - kept as u64, kept as u64),
            "{mode}"
        );
        drop(next);
    }
}

#[tokio::test]
async fn an_undeclared_plugin_gets_a_fresh_instance_per_request() {
    let mut config = wasmgate::config::Config::parse(&config_text(
        "[server]\nadmin_keys = [\"admin-key\"]\n\
         [[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n\
         [[filters]]\nplugin = \"misbehave\"\nconfig = { mode = \"ok\", hook = \"request\" }\n",
    ))
    .unwrap();
    config.plugins.dir = artifact("misbehave").parent().map(|p| p.to_path_buf());
    let gw = start_config(config).await;
    for _ in 0..4 {
        let (status, body) = post(
            &gw.url,
            &json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (_, plugins) = admin(&gw.url, Some("admin-key")).await;
    let misbehave = &entry(&plugins, "misbehave")["stats"];
    assert_eq!(misbehave["instances"], 5, "{misbehave}");
    assert_eq!(misbehave["reuses"], 0, "{misbehave}");
}
