//! Each agent filter as a component: the bundled `.wasm` loaded into the
//! real runtime the way the gateway loads it (pooling engine, `init` with
//! its config, a fresh instance per request), and its hooks called directly
//! with canonical values, whole and streamed. The transcripts drive the same
//! filters through HTTP; these pin down what each hook itself answers.

use std::sync::Arc;

use serde_json::{Value, json};
use wasmgate::canonical::{
    ContentPart, FinishReason, Message, Request, RequestContext, Response, Role, StreamEvent,
    ToolCall, ToolCallDelta, ToolCallStart, ToolDefinition, ToolResult, ToolResultPart,
};
use wasmgate::catalog::BUNDLED;
use wasmgate::kv::KvStore;
use wasmgate::runtime::{
    FilterInstance, Limits, Plugin, PluginEnv, PluginSource, RequestAction, Runtime, apply_edits,
};

/// A bundled filter loaded with one config; [`Loaded::instance`] makes the
/// per-request instances.
struct Loaded {
    runtime: Runtime,
    plugin: Arc<Plugin>,
    env: Arc<PluginEnv>,
}

impl Loaded {
    async fn new(name: &str, config: Value) -> Loaded {
        let (_, bytes) = BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} is bundled"));
        let runtime = Runtime::new(Limits::default(), None).unwrap();
        let plugin = runtime.load(name, bytes, PluginSource::Bundled).unwrap();
        let env = Arc::new(PluginEnv {
            name: name.into(),
            config: config.to_string(),
            kv: Arc::new(KvStore::default()),
            http_hosts: Vec::new(),
        });
        let loaded = Loaded {
            runtime,
            plugin,
            env,
        };
        // The gateway calls `init` once when it loads a filter.
        let mut first = loaded.instance().await;
        let init = first.init().await.unwrap();
        assert!(init.is_ok(), "{name} refuses {config}: {init:?}");
        loaded
    }

    /// A fresh instance, as for one request.
    async fn instance(&self) -> FilterInstance {
        FilterInstance::new(&self.plugin, self.env.clone(), self.runtime.limits())
            .await
            .unwrap()
    }

    /// `on-request` on a fresh instance (kept for the answer's hooks).
    async fn request(&self, req: &Request) -> (FilterInstance, RequestAction) {
        let mut instance = self.instance().await;
        let action = instance.on_request(&ctx(), req).await.unwrap();
        (instance, action)
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        frontend: "openai-chat".into(),
        requested_model: "gpt-test".into(),
    }
}

fn text(role: Role, t: &str) -> Message {
    Message::new(role, vec![ContentPart::Text(t.into())])
}

fn call(id: &str, name: &str, arguments: &str) -> ContentPart {
    ContentPart::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    })
}

fn bash_tool() -> ToolDefinition {
    ToolDefinition {
        name: "Bash".into(),
        description: Some("Run a shell command".into()),
        parameters: json!({
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"]
        })
        .to_string(),
        extra: None,
    }
}

fn request(messages: Vec<Message>) -> Request {
    Request {
        tools: vec![bash_tool()],
        ..Request::new("gpt-test", messages)
    }
}

fn response(content: Vec<ContentPart>) -> Response {
    Response {
        id: "resp-1".into(),
        model: "gpt-test".into(),
        created: None,
        content,
        finish_reason: Some(FinishReason::Stop),
        usage: None,
        extra: None,
    }
}

/// The request that goes on after `action` (`None` when it does not go on).
fn going_on(req: &Request, action: RequestAction) -> Option<Request> {
    match action {
        RequestAction::Pass => Some(req.clone()),
        RequestAction::Edit(edits) => {
            let mut req = req.clone();
            apply_edits(&mut req, edits);
            Some(req)
        }
        RequestAction::Continue(changed) => Some(changed),
        RequestAction::Reject(_) | RequestAction::Respond(_) => None,
    }
}

/// Every text part of `parts`, joined.
fn texts(parts: &[ContentPart]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            ContentPart::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

/// Every text part of every message, joined by newlines.
fn conversation_text(req: &Request) -> String {
    req.messages
        .iter()
        .map(|m| texts(&m.content))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Stream `chunks` through `instance`'s stream filter (one `on-events` per
/// chunk, then `finish`); what came out after each chunk, and in all.
async fn stream(
    instance: &mut FilterInstance,
    chunks: Vec<Vec<StreamEvent>>,
) -> (Vec<Vec<StreamEvent>>, Vec<StreamEvent>) {
    let mut each = Vec::new();
    for chunk in chunks {
        each.push(instance.on_events(&ctx(), &chunk).await.unwrap().unwrap());
    }
    each.push(instance.finish(&ctx()).await.unwrap().unwrap());
    let all = each.iter().flatten().cloned().collect();
    (each, all)
}

fn streamed_text(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

/// The streamed tool calls: (name, whole arguments), in order of start.
fn streamed_calls(events: &[StreamEvent]) -> Vec<(String, String)> {
    let mut calls: Vec<(u32, String, String)> = Vec::new();
    for event in events {
        match event {
            StreamEvent::ToolCallStart(s) => calls.push((s.index, s.name.clone(), String::new())),
            StreamEvent::ToolCallDelta(d) => {
                if let Some(c) = calls.iter_mut().find(|c| c.0 == d.index) {
                    c.2.push_str(&d.arguments);
                }
            }
            _ => {}
        }
    }
    calls.into_iter().map(|(_, n, a)| (n, a)).collect()
}

fn tool_call_events(index: u32, name: &str, pieces: &[&str]) -> Vec<Vec<StreamEvent>> {
    let mut chunks = vec![vec![StreamEvent::ToolCallStart(ToolCallStart {
        index,
        id: format!("call_{index}"),
        name: name.into(),
    })]];
    chunks.extend(pieces.iter().map(|p| {
        vec![StreamEvent::ToolCallDelta(ToolCallDelta {
            index,
            arguments: (*p).into(),
        })]
    }));
    chunks.push(vec![StreamEvent::ToolCallEnd(index)]);
    chunks
}

/// The canonical types have no `PartialEq`; their debug text stands in.
fn debug(value: &impl std::fmt::Debug) -> String {
    format!("{value:?}")
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn tool_call_repair_as_a_component() {
    let f = Loaded::new(
        "tool-call-repair",
        json!({"max_distance": 2, "on_invalid": "text"}),
    )
    .await;
    let req = request(vec![text(Role::User, "List the files.")]);

    // Whole: single quotes, a trailing comma and a name in the wrong case.
    let (mut instance, action) = f.request(&req).await;
    assert_eq!(debug(&going_on(&req, action)), debug(&Some(&req)));
    let answer = instance
        .on_response(
            &ctx(),
            &response(vec![call("c1", "bash", "{'command': 'ls',}")]),
        )
        .await
        .unwrap()
        .unwrap();
    let [ContentPart::ToolCall(repaired)] = answer.content.as_slice() else {
        panic!("one tool call: {answer:?}");
    };
    assert_eq!(repaired.name, "Bash");
    assert_eq!(json_of(&repaired.arguments), json!({"command": "ls"}));

    // Streamed: text before the call is not delayed; the call's deltas are
    // held until it ends, then come out repaired.
    let (mut instance, _) = f.request(&req).await;
    let mut chunks = vec![vec![StreamEvent::TextDelta("Let me look.".into())]];
    chunks.extend(tool_call_events(
        0,
        "bash",
        &["{'comm", "and': 'ls -la',", "}"],
    ));
    let (each, all) = stream(&mut instance, chunks).await;
    assert_eq!(
        debug(&each[0]),
        debug(&[StreamEvent::TextDelta("Let me look.".into())])
    );
    let calls = streamed_calls(&all);
    assert_eq!(calls.len(), 1, "{all:?}");
    assert_eq!(calls[0].0, "Bash");
    assert_eq!(json_of(&calls[0].1), json!({"command": "ls -la"}));
}

#[tokio::test]
async fn command_guard_as_a_component() {
    let f = Loaded::new(
        "command-guard",
        json!({"action": "block", "workspace": "/home/dev/app"}),
    )
    .await;
    let req = request(vec![text(Role::User, "Clean up.")]);

    // A dangerous call becomes assistant text naming what was stopped.
    let (mut instance, action) = f.request(&req).await;
    assert!(matches!(action, RequestAction::Pass));
    let answer = instance
        .on_response(
            &ctx(),
            &response(vec![call(
                "c1",
                "Bash",
                r#"{"command":"cd / && rm -rf /"}"#,
            )]),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        !answer
            .content
            .iter()
            .any(|p| matches!(p, ContentPart::ToolCall(_))),
        "{answer:?}"
    );
    assert!(texts(&answer.content).contains("rm -rf"), "{answer:?}");

    // A benign one passes untouched.
    let (mut instance, _) = f.request(&req).await;
    let benign = response(vec![call("c1", "Bash", r#"{"command":"rm -rf ./build"}"#)]);
    let answer = instance
        .on_response(&ctx(), &benign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(debug(&answer), debug(&benign));

    // Streamed: the shell call is held until complete, then replaced.
    let (mut instance, _) = f.request(&req).await;
    let (_, all) = stream(
        &mut instance,
        tool_call_events(
            0,
            "Bash",
            &[r#"{"command":"git push "#, r#"--force origin main"}"#],
        ),
    )
    .await;
    assert!(streamed_calls(&all).is_empty(), "{all:?}");
    assert!(streamed_text(&all).contains("git push"), "{all:?}");
}

#[tokio::test]
async fn rewrite_as_a_component() {
    let f = Loaded::new(
        "rewrite",
        json!({"rules": [
            {"match": "ACME-internal", "target": "user", "text": "the company"},
            {"match": "Project Nightingale", "target": "assistant", "text": "our product"}
        ]}),
    )
    .await;
    let req = request(vec![
        text(Role::System, "Be brief."),
        text(Role::User, "What does ACME-internal sell?"),
    ]);
    let (mut instance, action) = f.request(&req).await;
    let sent = going_on(&req, action).unwrap();
    assert_eq!(
        conversation_text(&sent),
        "Be brief.\nWhat does the company sell?"
    );
    let answer = instance
        .on_response(
            &ctx(),
            &response(vec![ContentPart::Text("Project Nightingale.".into())]),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(texts(&answer.content), "our product.");

    // A match split across chunks is still rewritten.
    let (mut instance, _) = f.request(&req).await;
    let chunks = ["We ship Project Night", "ingale", " daily."]
        .iter()
        .map(|t| vec![StreamEvent::TextDelta((*t).into())])
        .collect();
    let (_, all) = stream(&mut instance, chunks).await;
    assert_eq!(streamed_text(&all), "We ship our product daily.");
}

#[tokio::test]
async fn redact_secrets_as_a_component() {
    const TOKEN: &str = "ghp_R7kQ2mX9vN4pL8wT3zB6hC1jF5dG0sYaEuIq";
    const PLACEHOLDER: &str = "[[REDACTED:github_token:1]]";
    let f = Loaded::new("redact-secrets", json!({"restore": true})).await;
    let req = request(vec![
        text(Role::System, "Be brief."),
        text(Role::User, &format!("Use {TOKEN} to list my repos.")),
        text(Role::User, "Thanks."),
    ]);

    // Only the message with the secret comes back, as an edit.
    let (mut instance, action) = f.request(&req).await;
    let RequestAction::Edit(edits) = &action else {
        panic!("an edit: {action:?}");
    };
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].index, 1);
    let sent = going_on(&req, action).unwrap();
    assert_eq!(
        conversation_text(&sent),
        format!("Be brief.\nUse {PLACEHOLDER} to list my repos.\nThanks.")
    );

    // The answer gets the secret back, whole and streamed (split mid-way).
    let answer = instance
        .on_response(
            &ctx(),
            &response(vec![call(
                "c1",
                "Bash",
                &json!({"command": format!("GH_TOKEN={PLACEHOLDER} gh repo list")}).to_string(),
            )]),
        )
        .await
        .unwrap()
        .unwrap();
    let [ContentPart::ToolCall(restored)] = answer.content.as_slice() else {
        panic!("one tool call: {answer:?}");
    };
    assert_eq!(
        json_of(&restored.arguments),
        json!({"command": format!("GH_TOKEN={TOKEN} gh repo list")})
    );
    let (mut instance, _) = f.request(&req).await;
    let chunks = ["Set it to [[REDAC", "TED:github_token:1]] now."]
        .iter()
        .map(|t| vec![StreamEvent::TextDelta((*t).into())])
        .collect();
    let (_, all) = stream(&mut instance, chunks).await;
    assert_eq!(streamed_text(&all), format!("Set it to {TOKEN} now."));

    // A request with no secret is passed on untouched.
    let clean = request(vec![text(Role::User, "List my repos.")]);
    let (_, action) = f.request(&clean).await;
    assert!(matches!(action, RequestAction::Pass), "{action:?}");
}

/// A conversation where the agent ran `ls -la` three times in a row.
fn looping() -> Request {
    let mut messages = vec![
        text(Role::System, "You are a coding agent. Use the Bash tool."),
        text(Role::User, "Find out why the build fails."),
    ];
    for i in 1..=3 {
        let id = format!("call_{i}");
        messages.push(Message::new(
            Role::Assistant,
            vec![call(&id, "Bash", r#"{"command":"ls -la"}"#)],
        ));
        messages.push(Message::new(
            Role::Tool,
            vec![ContentPart::ToolResult(ToolResult {
                call_id: id,
                content: vec![ToolResultPart::Text("output of ls -la".into())],
                is_error: false,
            })],
        ));
    }
    request(messages)
}

#[tokio::test]
async fn loop_guard_as_a_component() {
    let config = |action| json!({"action": action, "max_repeats": 3});
    let req = looping();

    // steer: the request goes on with a steering message added.
    let f = Loaded::new("loop-guard", config("steer")).await;
    let (_, action) = f.request(&req).await;
    let sent = going_on(&req, action).unwrap();
    assert!(sent.messages.len() > req.messages.len());
    let all = conversation_text(&sent);
    assert!(
        all.contains("[loop-guard] You are repeating yourself"),
        "{all}"
    );

    // abort: the request is rejected, naming the repeated call.
    let f = Loaded::new("loop-guard", config("abort")).await;
    let (_, action) = f.request(&req).await;
    let RequestAction::Reject(error) = action else {
        panic!("rejected: {action:?}");
    };
    assert!(error.message.contains("loop detected"), "{}", error.message);
    assert!(error.message.contains("ls -la"), "{}", error.message);

    // Two repeats are not yet a loop.
    let mut short = looping();
    short.messages.truncate(6);
    let (_, action) = f.request(&short).await;
    assert!(matches!(action, RequestAction::Pass), "{action:?}");
}

#[tokio::test]
async fn chat_commands_as_a_component() {
    let f = Loaded::new("chat-commands", json!({"backends": ["mock", "alt"]})).await;

    // A switch is stripped from the prompt and applied to routing.
    let req = request(vec![
        text(Role::System, "You are helpful."),
        text(Role::User, "!/model(gpt-x) Say hi."),
    ]);
    let (_, action) = f.request(&req).await;
    let sent = going_on(&req, action).unwrap();
    assert_eq!(sent.model, "gpt-x");
    assert_eq!(conversation_text(&sent), "You are helpful.\nSay hi.");

    // help and unknown commands are answered here, with no upstream call.
    for prompt in ["!/help", "!/frobnicate(x)"] {
        let req = request(vec![text(Role::User, prompt)]);
        let (_, action) = f.request(&req).await;
        let RequestAction::Respond(answer) = action else {
            panic!("{prompt}: answered locally, got {action:?}");
        };
        assert!(
            texts(&answer.content).contains("!/model"),
            "{prompt}: {answer:?}"
        );
    }

    // A prompt without commands is passed on untouched.
    let plain = request(vec![text(Role::User, "Say hi.")]);
    let (_, action) = f.request(&plain).await;
    assert_eq!(debug(&going_on(&plain, action)), debug(&Some(&plain)));
}
