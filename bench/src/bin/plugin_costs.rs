//! Per-call costs of the bundled plugins inside the real runtime: a fresh
//! instance, and each hook the request path makes.
//!
//! `cargo run --release -p wasmgate-bench --bin plugin_costs`

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;

use wasmgate::canonical::{
    ContentPart, FinishReason, HttpResponse, Message, Request, RequestContext, Response, Role,
    StreamEvent, StreamStart, Target, ToolCall, ToolDefinition, ToolResult, ToolResultPart, Usage,
};
use wasmgate::catalog::BUNDLED;
use wasmgate::kv::KvStore;
use wasmgate::runtime::{
    FilterInstance, Limits, Outgoing, Plugin, PluginEnv, PluginKind, PluginSource,
    ProviderInstance, RequestAction, Runtime, apply_edits,
};

/// The gateway's allocator (see `host/src/main.rs`), so guest calls are
/// measured as the gateway makes them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Calls per measurement: `PLUGIN_COSTS_N` (default 5000); raise it to
/// profile one plugin with `perf`.
static N: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| {
    std::env::var("PLUGIN_COSTS_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000)
});
/// The agent filters the chain case runs, in a sensible config order.
const CHAIN: &[&str] = &[
    "chat-commands",
    "redact-secrets",
    "command-guard",
    "loop-guard",
    "rewrite",
    "tool-call-repair",
];
const CHAT_JSON: &[u8] = include_bytes!("../../../host/tests/fixtures/full.chat.text.json");
const CHAT_SSE: &[u8] = include_bytes!("../../../host/tests/fixtures/full.chat.text.sse");
/// A coding agent's turn in Chat Completions form (65 KB): a long system
/// prompt, 12 tool calls with their results, and 20 tools with schemas.
const AGENT_JSON: &[u8] = include_bytes!("../../fixtures/agent.chat.json");

fn request() -> Request {
    Request::new(
        "gpt-bench",
        vec![Message::new(
            Role::User,
            vec![ContentPart::Text("Hello".into())],
        )],
    )
}

/// A 20-message agent conversation: system prompt, user turns, shell tool
/// calls and their results, the shape the agent filters inspect.
fn conversation() -> Request {
    let mut req = request();
    req.messages = vec![Message {
        role: Role::System,
        content: vec![ContentPart::Text(
            "You are a coding agent. Use the Bash tool to inspect the repository.".into(),
        )],
        name: None,
        extra: None,
    }];
    req.messages.push(Message {
        role: Role::User,
        content: vec![ContentPart::Text(
            "Find why the build fails and fix it; my token is ghp_abcdefghijklmnopqrstuvwxyz0123456789".into(),
        )],
        name: None,
        extra: None,
    });
    for i in 0..9 {
        let id = format!("call_{i}");
        req.messages.push(Message {
            role: Role::Assistant,
            content: vec![
                ContentPart::Text(format!("Step {i}: let me look at the files.")),
                ContentPart::ToolCall(ToolCall {
                    id: id.clone(),
                    name: "Bash".into(),
                    arguments: format!(r#"{{"command":"ls -la src/module_{i} && cat src/module_{i}/mod.rs | head -50"}}"#),
                }),
            ],
            name: None,
            extra: None,
        });
        req.messages.push(Message {
            role: Role::Tool,
            content: vec![ContentPart::ToolResult(ToolResult {
                call_id: id,
                content: vec![ToolResultPart::Text(
                    "total 24\ndrwxr-xr-x 2 dev dev 4096 mod.rs\nfn main() { println!(\"hello\"); }\n".repeat(4),
                )],
                is_error: false,
            })],
            name: None,
            extra: None,
        });
    }
    req.tools = vec![ToolDefinition {
        name: "Bash".into(),
        description: Some("Run a shell command".into()),
        parameters:
            r#"{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}"#
                .into(),
        extra: None,
    }];
    req
}

/// The same conversation with another last tool call: requests alternate
/// between the two, as an agent's turns do (the same request over and over
/// is a loop, which `loop-guard` catches and answers differently).
fn other_turn() -> Request {
    let mut req = conversation();
    let call = req
        .messages
        .iter_mut()
        .rev()
        .flat_map(|m| m.content.iter_mut())
        .find_map(|p| match p {
            ContentPart::ToolCall(call) => Some(call),
            _ => None,
        });
    if let Some(call) = call {
        call.arguments = r#"{"command":"cargo test --workspace 2>&1 | tail -40"}"#.into();
    }
    req
}

/// A whole answer with text and one tool call.
fn answer() -> Response {
    Response {
        id: "chatcmpl-bench".into(),
        model: "gpt-bench".into(),
        created: Some(1),
        content: vec![
            ContentPart::Text("The build fails because module 3 is missing; let me check.".into()),
            ContentPart::ToolCall(ToolCall {
                id: "call_new".into(),
                name: "Bash".into(),
                arguments: r#"{"command":"cargo build --release 2>&1 | tail -20"}"#.into(),
            }),
        ],
        finish_reason: Some(FinishReason::ToolCalls),
        usage: Some(Usage {
            input_tokens: 1000,
            output_tokens: 50,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        }),
        extra: None,
    }
}

/// The config each bundled filter gets in the bench.
fn filter_config(name: &str) -> &'static str {
    match name {
        "rewrite" => r#"{"rules":[{"match":"colour","target":"assistant","text":"color"}]}"#,
        "redact-secrets" => r#"{"restore":true}"#,
        _ => "{}",
    }
}

/// A host decoder of a request body, its result dropped.
type Decoder = fn(&[u8]);

/// The plugin whose built body is a coding agent's turn in another API's
/// form: the row's name and the host decoder of that form.
fn agent_decoder(plugin: &str) -> Option<(&'static str, Decoder)> {
    match plugin {
        // Claude Code's form.
        "anthropic" => Some(("decode agent body (Messages)", |body| {
            let _ = wasmgate::frontend::anthropic::decode_request(body, &Default::default());
        })),
        // Gemini CLI's.
        "gemini" => Some(("decode agent body (Gemini)", |body| {
            let _ = wasmgate::frontend::gemini::decode_request(body, "gpt-bench", true);
        })),
        // Codex CLI's.
        "openai-responses" => Some(("decode agent body (Responses)", |body| {
            let _ = wasmgate::frontend::openai_responses::decode_request(body);
        })),
        _ => None,
    }
}

fn report(plugin: &str, what: &str, total: Duration, n: u32) {
    println!(
        "| {plugin:<16} | {what:<34} | {:>8.2} |",
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
    println!("| plugin           | operation                          | µs/op    |");
    println!("|------------------|------------------------------------|----------|");
    // `plugin_costs NAME…` measures only those plugins (and skips the
    // chain); a NAME ending in `.wasm` is a file, measured as the bundled
    // plugin its name gives (`redact_secrets.wasm`: `redact-secrets`), for
    // profiling a build that keeps its symbols.
    let only: Vec<String> = std::env::args().skip(1).collect();
    let mut plugins: Vec<(String, Vec<u8>, PluginSource)> = BUNDLED
        .iter()
        .filter(|(name, _)| only.is_empty() || only.iter().any(|o| o == name))
        .map(|(name, bytes)| (name.to_string(), bytes.to_vec(), PluginSource::Bundled))
        .collect();
    for file in only.iter().filter(|o| o.ends_with(".wasm")) {
        let path = std::path::PathBuf::from(file);
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or(file);
        let name = stem.replace('_', "-");
        plugins.push((name, std::fs::read(&path)?, PluginSource::File(path)));
    }
    // A coding agent's 65 KB turn, decoded once for every plugin's rows.
    let (agent_turn, _) = wasmgate::frontend::openai_chat::decode_request(AGENT_JSON)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    for (name, bytes, source) in &plugins {
        let name = name.as_str();
        let plugin = runtime.load(name, bytes, source.clone())?;
        let env = Arc::new(PluginEnv {
            name: name.to_string(),
            config: "{}".into(),
            kv: kv.clone(),
            http_hosts: Vec::new(),
        });
        let limits = runtime.limits();
        match plugin.kind {
            PluginKind::Filter => {
                let env = Arc::new(PluginEnv {
                    name: name.to_string(),
                    config: filter_config(name).into(),
                    kv: kv.clone(),
                    http_hosts: Vec::new(),
                });
                let t = Instant::now();
                for _ in 0..*N {
                    FilterInstance::new(&plugin, env.clone(), limits).await?;
                }
                report(name, "fresh instance", t.elapsed(), *N);
                let mut filter = FilterInstance::new(&plugin, env.clone(), limits).await?;
                let t = Instant::now();
                for _ in 0..*N {
                    filter.on_request(&ctx, &req).await?;
                }
                report(name, "on-request (1 message)", t.elapsed(), *N);
                // Per request, as the gateway runs it: a fresh instance, the
                // request hook on a 20-message agent conversation, the
                // response hook on an answer with a tool call.
                let agent = conversation();
                let whole = answer();
                let t = Instant::now();
                for _ in 0..*N {
                    filter.on_request(&ctx, &agent).await?;
                }
                report(name, "on-request (20 messages)", t.elapsed(), *N);
                let t = Instant::now();
                for _ in 0..*N {
                    let _ = filter.on_response(&ctx, &whole).await?;
                }
                report(name, "on-response (text + tool call)", t.elapsed(), *N);
                // A coding agent's 65 KB turn (after the row above, which
                // answers the 20-message request).
                let t = Instant::now();
                for _ in 0..*N / 10 {
                    filter.on_request(&ctx, &agent_turn).await?;
                }
                report(name, "on-request (agent body)", t.elapsed(), *N / 10);
                // The whole per-request cost of a filter on the path (issue
                // 4's figure for a Rust plugin is the 1-message row).
                // The last row starts every request with an empty key-value
                // store: the first turn of a conversation, for filters that
                // remember earlier turns.
                let one = [req.clone()];
                let turns = [agent.clone(), other_turn()];
                for (what, reqs, first_turn) in [
                    ("request, 1 message (p50)", &one[..], false),
                    ("request, 20 messages (p50)", &turns[..], false),
                    ("request, 20 msgs, 1st turn (p50)", &turns[..1], true),
                ] {
                    let p50 =
                        request_p50(&plugin, &env, limits, &ctx, reqs, &whole, first_turn).await?;
                    report(name, what, p50, 1);
                }
                // Per streamed chunk: one text delta through on-events.
                let mut filter = FilterInstance::new(&plugin, env.clone(), limits).await?;
                filter.on_request(&ctx, &agent).await?;
                let _ = filter
                    .on_events(
                        &ctx,
                        &[StreamEvent::Start(StreamStart {
                            id: "s".into(),
                            model: "gpt-bench".into(),
                            created: None,
                            extra: None,
                        })],
                    )
                    .await?;
                let chunks = stream_chunks();
                let t = Instant::now();
                for chunk in &chunks {
                    let _ = filter.on_events(&ctx, chunk).await?;
                }
                report(name, "stream chunk (1 text delta)", t.elapsed(), *N);
            }
            PluginKind::Provider => {
                let t = Instant::now();
                for _ in 0..*N {
                    ProviderInstance::new(&plugin, env.clone(), limits).await?;
                }
                report(name, "fresh instance", t.elapsed(), *N);
                let mut provider = ProviderInstance::new(&plugin, env.clone(), limits).await?;
                let t = Instant::now();
                for _ in 0..*N {
                    let _ = provider.build_request(&req, &target).await?;
                }
                report(name, "build-request", t.elapsed(), *N);
                if name == "openai" {
                    let t = Instant::now();
                    for _ in 0..*N / 10 {
                        let _ = wasmgate::frontend::openai_chat::decode_request(AGENT_JSON);
                    }
                    report("(host)", "decode agent body (65 KB)", t.elapsed(), *N / 10);
                }
                let t = Instant::now();
                for _ in 0..*N / 10 {
                    let _ = provider.build_request(&agent_turn, &target).await?;
                }
                report(name, "build-request (agent body)", t.elapsed(), *N / 10);
                // The body this plugin builds is the agent's turn in its
                // API's form, as the coding agent that speaks it sends the
                // gateway: the host's cost to decode it.
                if let Some((label, decode)) = agent_decoder(name)
                    && let Ok(Outgoing::Send(built)) =
                        provider.build_request(&agent_turn, &target).await?
                {
                    let body = built.into_body().collect().await?.to_bytes();
                    let t = Instant::now();
                    for _ in 0..*N / 10 {
                        decode(&body);
                    }
                    report("(host)", label, t.elapsed(), *N / 10);
                }
                if name == "openai" {
                    let t = Instant::now();
                    for _ in 0..*N {
                        let _ = provider.parse_response(&ok).await?;
                    }
                    report(name, "parse-response (fixture)", t.elapsed(), *N);
                    // Per request, as the gateway runs it: a fresh instance
                    // builds the request and parses the answer, then goes.
                    let t = Instant::now();
                    for _ in 0..*N {
                        let mut p = ProviderInstance::new(&plugin, env.clone(), limits).await?;
                        let _ = p.build_request(&req, &target).await?;
                        let _ = p.parse_response(&ok).await?;
                    }
                    report(
                        name,
                        "per request (instance, build, parse)",
                        t.elapsed(),
                        *N,
                    );
                    let t = Instant::now();
                    for _ in 0..*N / 10 {
                        let mut p = ProviderInstance::new(&plugin, env.clone(), limits).await?;
                        let _ = p.feed(CHAT_SSE).await?;
                        let _ = p.finish().await?;
                    }
                    report(name, "instance + decode 7-chunk SSE", t.elapsed(), *N / 10);
                }
            }
        }
    }
    if !only.is_empty() {
        return Ok(());
    }
    chain(&runtime, &kv, &ctx).await
}

/// `N` streamed chunks of one text delta each, all different (an answer
/// that never repeats itself, so no filter cuts the stream short).
fn stream_chunks() -> Vec<Vec<StreamEvent>> {
    (0..*N)
        .map(|i| {
            vec![StreamEvent::TextDelta(format!(
                "Line {i} of the build log says: "
            ))]
        })
        .collect()
}

/// Median time of one request through `plugin` as the gateway runs it: a
/// fresh instance, `on-request`, then `on-response`; the requests take turns;
/// with `first_turn`, each against an empty key-value store.
async fn request_p50(
    plugin: &Plugin,
    env: &Arc<PluginEnv>,
    limits: Limits,
    ctx: &RequestContext,
    reqs: &[Request],
    resp: &Response,
    first_turn: bool,
) -> anyhow::Result<Duration> {
    let mut samples = Vec::with_capacity(*N as usize);
    for req in reqs.iter().cycle().take(*N as usize) {
        let env = if first_turn {
            Arc::new(PluginEnv {
                name: env.name.clone(),
                config: env.config.clone(),
                kv: Arc::new(KvStore::default()),
                http_hosts: env.http_hosts.clone(),
            })
        } else {
            env.clone()
        };
        let t = Instant::now();
        let mut filter = FilterInstance::new(plugin, env, limits).await?;
        filter.on_request(ctx, req).await?;
        let _ = filter.on_response(ctx, resp).await?;
        samples.push(t.elapsed());
    }
    samples.sort();
    Ok(samples[samples.len() / 2])
}

/// The whole agent chain (every bundled filter of [`CHAIN`]) as the gateway
/// runs it: per request, fresh instances, `on-request` in order and
/// `on-response` in reverse; per streamed chunk, one text delta through
/// every filter in reverse.
async fn chain(runtime: &Runtime, kv: &Arc<KvStore>, ctx: &RequestContext) -> anyhow::Result<()> {
    let mut plugins = Vec::new();
    for name in CHAIN {
        let Some((_, bytes)) = BUNDLED.iter().find(|(n, _)| n == name) else {
            println!("| (chain)          | {name} is not bundled; left out       |          |");
            continue;
        };
        let plugin = runtime.load(name, bytes, PluginSource::Bundled)?;
        let env = Arc::new(PluginEnv {
            name: name.to_string(),
            config: filter_config(name).into(),
            kv: kv.clone(),
            http_hosts: Vec::new(),
        });
        plugins.push((plugin, env));
    }
    let label = format!("chain of {}", plugins.len());
    let limits = runtime.limits();
    let turns = [conversation(), other_turn()];
    let whole = answer();
    let mut samples = Vec::with_capacity(*N as usize);
    for req in turns.iter().cycle().take(*N as usize) {
        let (req, mut resp) = (req.clone(), whole.clone());
        let t = Instant::now();
        let mut instances = start(&plugins, limits, ctx, req).await?;
        for filter in instances.iter_mut().rev() {
            if let Ok(next) = filter.on_response(ctx, &resp).await? {
                resp = next;
            }
        }
        samples.push(t.elapsed());
    }
    samples.sort();
    report(
        &label,
        "request, 20 messages (p50)",
        samples[samples.len() / 2],
        1,
    );
    let mut instances = start(&plugins, limits, ctx, turns[0].clone()).await?;
    let open = [StreamEvent::Start(StreamStart {
        id: "s".into(),
        model: "gpt-bench".into(),
        created: None,
        extra: None,
    })];
    for filter in instances.iter_mut().rev() {
        let _ = filter.on_events(ctx, &open).await?;
    }
    let chunks = stream_chunks();
    let mut samples = Vec::with_capacity(*N as usize);
    for chunk in chunks {
        let t = Instant::now();
        let mut events = chunk;
        for filter in instances.iter_mut().rev() {
            if let Ok(next) = filter.on_events(ctx, &events).await? {
                events = next;
            }
        }
        samples.push(t.elapsed());
    }
    samples.sort();
    report(
        &label,
        "stream chunk, whole chain (p50)",
        samples[samples.len() / 2],
        1,
    );
    Ok(())
}

/// Fresh instances of the chain's filters, `on-request` run through them in
/// order, as the gateway starts a request.
async fn start(
    plugins: &[(Arc<Plugin>, Arc<PluginEnv>)],
    limits: Limits,
    ctx: &RequestContext,
    mut req: Request,
) -> anyhow::Result<Vec<FilterInstance>> {
    let mut instances = Vec::with_capacity(plugins.len());
    for (plugin, env) in plugins {
        let mut filter = FilterInstance::new(plugin, env.clone(), limits).await?;
        match filter.on_request(ctx, &req).await? {
            RequestAction::Continue(next) => req = next,
            RequestAction::Edit(edits) => apply_edits(&mut req, edits),
            _ => {}
        }
        instances.push(filter);
    }
    Ok(instances)
}
