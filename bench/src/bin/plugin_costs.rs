//! Per-call costs of the bundled plugins inside the real runtime: a fresh
//! instance, and each hook the request path makes.
//!
//! `cargo run --release -p wasmgate-bench --bin plugin_costs`

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmgate::canonical::{
    ContentPart, HttpResponse, Message, Request, RequestContext, Role, Sampling, Target,
};
use wasmgate::catalog::BUNDLED;
use wasmgate::kv::KvStore;
use wasmgate::runtime::{
    FilterInstance, Limits, PluginEnv, PluginKind, PluginSource, ProviderInstance, Runtime,
};

const N: u32 = 5000;
const CHAT_JSON: &[u8] = include_bytes!("../../../host/tests/fixtures/full.chat.text.json");
const CHAT_SSE: &[u8] = include_bytes!("../../../host/tests/fixtures/full.chat.text.sse");

fn request() -> Request {
    Request {
        model: "gpt-bench".into(),
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentPart::Text("Hello".into())],
            name: None,
            extra: None,
        }],
        tools: vec![],
        tool_choice: None,
        parallel_tool_calls: None,
        sampling: Sampling {
            max_tokens: None,
            temperature: None,
            top_p: None,
            stop: vec![],
            seed: None,
        },
        stream: false,
        reasoning: None,
        extra: None,
    }
}

fn report(plugin: &str, what: &str, total: Duration, n: u32) {
    println!(
        "| {plugin:<14} | {what:<34} | {:>8.2} |",
        total.as_secs_f64() * 1e6 / f64::from(n)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runtime = Runtime::new(Limits::default(), None)?;
    let kv = Arc::new(KvStore::default());
    let ctx = RequestContext {
        request_id: "bench".into(),
        frontend: "openai-chat".into(),
        requested_model: "gpt-bench".into(),
    };
    let req = request();
    let target = Target {
        base_url: "http://127.0.0.1:1/v1".into(),
        model: "gpt-bench".into(),
        credential: Some("sk-bench".into()),
        extra: None,
    };
    let ok = HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: CHAT_JSON.to_vec(),
    };
    println!("| plugin         | operation                          | µs/op    |");
    println!("|----------------|------------------------------------|----------|");
    for (name, bytes) in BUNDLED {
        let plugin = runtime.load(name, bytes, PluginSource::Bundled)?;
        let env = Arc::new(PluginEnv {
            name: name.to_string(),
            config: "{}".into(),
            kv: kv.clone(),
        });
        let limits = runtime.limits();
        match plugin.kind {
            PluginKind::Filter => {
                let t = Instant::now();
                for _ in 0..N {
                    FilterInstance::new(&plugin, env.clone(), limits).await?;
                }
                report(name, "fresh instance", t.elapsed(), N);
                let mut filter = FilterInstance::new(&plugin, env.clone(), limits).await?;
                let t = Instant::now();
                for _ in 0..N {
                    filter.on_request(&ctx, &req).await?;
                }
                report(name, "on-request", t.elapsed(), N);
            }
            PluginKind::Provider => {
                let t = Instant::now();
                for _ in 0..N {
                    ProviderInstance::new(&plugin, env.clone(), limits).await?;
                }
                report(name, "fresh instance", t.elapsed(), N);
                let mut provider = ProviderInstance::new(&plugin, env.clone(), limits).await?;
                let t = Instant::now();
                for _ in 0..N {
                    let _ = provider.build_request(&req, &target).await?;
                }
                report(name, "build-request", t.elapsed(), N);
                if *name == "openai" {
                    let t = Instant::now();
                    for _ in 0..N {
                        let _ = provider.parse_response(&ok).await?;
                    }
                    report(name, "parse-response (fixture)", t.elapsed(), N);
                    let t = Instant::now();
                    for _ in 0..N / 10 {
                        let mut p = ProviderInstance::new(&plugin, env.clone(), limits).await?;
                        let _ = p.feed(CHAT_SSE).await?;
                        let _ = p.finish().await?;
                    }
                    report(name, "instance + decode 7-chunk SSE", t.elapsed(), N / 10);
                }
            }
        }
    }
    Ok(())
}
