//! Canned filter transcripts (`host/tests/filters/<filter>.json`) driven
//! through the real gateway from each of the four front-ends, streaming and
//! not, with the filter configured and a scripted mock OpenAI upstream.
//!
//! A case lists a conversation in a wire-neutral form, what the upstream
//! answers, and what the client must see; the runner writes the
//! conversation in each client wire, reads the answer back out of each
//! wire, and checks it. See `host/tests/filters/README.md` for the format.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use wasmgate::config::Config;

use crate::common::*;

const MODEL: &str = "gpt-test";

#[derive(Debug, Deserialize)]
struct Transcript {
    filter: String,
    #[serde(default)]
    config: Value,
    cases: Vec<Case>,
}

#[derive(Debug, Clone, Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    tools: Vec<Tool>,
    messages: Vec<Msg>,
    #[serde(default)]
    repeat: Option<u32>,
    /// Each repeat after the first gives the last tool call a new id: the
    /// model made the same call again (without it, a repeat is the client
    /// sending the same request again, as a retry does).
    #[serde(default)]
    repeat_as_new_call: bool,
    #[serde(default)]
    upstream: Option<Reply>,
    #[serde(default)]
    expect: Expect,
    /// Follow-up sends to the same gateway (so the plugin's key-value
    /// state carries over), each checked on its own.
    #[serde(default)]
    then: Vec<FollowUp>,
}

/// A follow-up send: `messages` replaces the conversation; without it the
/// previous conversation, the answer the client saw (as assistant text)
/// and `append` are sent.
#[derive(Debug, Clone, Deserialize)]
struct FollowUp {
    #[serde(default)]
    messages: Option<Vec<Msg>>,
    #[serde(default)]
    append: Vec<Msg>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
struct Tool {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "empty_schema")]
    parameters: Value,
}

fn empty_schema() -> Value {
    json!({"type": "object", "properties": {}})
}

#[derive(Debug, Clone, Deserialize)]
struct Msg {
    role: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    tool_calls: Vec<Call>,
    #[serde(default)]
    tool_call_id: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Call {
    id: String,
    name: String,
    arguments: Value,
}

/// What the scripted upstream answers. Tool-call arguments are raw text.
#[derive(Debug, Clone, Default, Deserialize)]
struct Reply {
    #[serde(default)]
    text: String,
    #[serde(default)]
    tool_calls: Vec<RawCall>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Expect {
    status: Option<u16>,
    /// The status of streamed runs when it differs from `status` (an
    /// answer that fails after the stream started is a 200 with an error
    /// event).
    stream_status: Option<u16>,
    #[serde(default)]
    text_contains: Vec<String>,
    #[serde(default)]
    text_not_contains: Vec<String>,
    tool_calls: Option<Vec<ExpectCall>>,
    error_contains: Option<String>,
    upstream_called: Option<bool>,
    #[serde(default)]
    upstream_contains: Vec<String>,
    #[serde(default)]
    upstream_not_contains: Vec<String>,
    /// The API key the upstream was called with (`mock` has `sk-script`,
    /// `alt` has `sk-alt`).
    upstream_key: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ExpectCall {
    name: String,
    arguments: Value,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wire {
    Chat,
    Responses,
    Anthropic,
    Gemini,
}

const WIRES: [Wire; 4] = [Wire::Chat, Wire::Responses, Wire::Anthropic, Wire::Gemini];

/// What the client saw.
#[derive(Debug, Default)]
struct Seen {
    status: u16,
    text: String,
    calls: Vec<(String, Value)>,
    error: Option<String>,
}

// --- The scripted upstream ----------------------------------------------------

#[derive(Default)]
struct Script {
    reply: Reply,
    /// Each request's body and `authorization` header.
    requests: Mutex<Vec<(Value, String)>>,
}

async fn start_upstream(reply: Reply) -> (String, Arc<Script>) {
    let script = Arc::new(Script {
        reply,
        requests: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(answer))
        .with_state(script.clone());
    let addr = serve_app(app).await;
    (format!("http://{addr}/v1"), script)
}

async fn answer(
    State(script): State<Arc<Script>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    script.requests.lock().unwrap().push((body.clone(), auth));
    let reply = &script.reply;
    let finish = if reply.tool_calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    let usage = json!({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15});
    if body["stream"] != true {
        let calls: Vec<Value> = reply
            .tool_calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
        let mut message = json!({"role": "assistant", "content": reply.text});
        if !calls.is_empty() {
            message["tool_calls"] = Value::Array(calls);
        }
        let resp = json!({
            "id": "chatcmpl-script", "object": "chat.completion", "created": 1, "model": MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage,
        });
        return (StatusCode::OK, axum::Json(resp)).into_response();
    }
    let chunk = |delta: Value, finish: Value| {
        let c = json!({"id": "chatcmpl-script", "object": "chat.completion.chunk", "created": 1,
            "model": MODEL, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {c}\n\n")
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    let chars: Vec<char> = reply.text.chars().collect();
    for piece in chars.chunks(4) {
        events.push(chunk(
            json!({"content": piece.iter().collect::<String>()}),
            Value::Null,
        ));
    }
    for (i, call) in reply.tool_calls.iter().enumerate() {
        events.push(chunk(
            json!({"tool_calls": [{"index": i, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}]}),
            Value::Null,
        ));
        let chars: Vec<char> = call.arguments.chars().collect();
        for piece in chars.chunks(5) {
            events.push(chunk(
                json!({"tool_calls": [{"index": i, "function": {"arguments": piece.iter().collect::<String>()}}]}),
                Value::Null,
            ));
        }
    }
    events.push(chunk(json!({}), json!(finish)));
    events.push(format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-script", "object": "chat.completion.chunk", "created": 1, "model": MODEL, "choices": [], "usage": usage})
    ));
    events.push("data: [DONE]\n\n".into());
    let stream = futures_util::stream::iter(
        events
            .into_iter()
            .map(|e| Ok::<_, std::convert::Infallible>(Bytes::from(e))),
    );
    let mut resp = axum::body::Body::from_stream(stream).into_response();
    resp.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("text/event-stream"),
    );
    resp
}

// --- Writing the conversation in each wire -----------------------------------

fn request(wire: Wire, case: &Case, stream: bool) -> (String, Value) {
    match wire {
        Wire::Chat => chat_request(case, stream),
        Wire::Responses => responses_request(case, stream),
        Wire::Anthropic => anthropic_request(case, stream),
        Wire::Gemini => gemini_request(case, stream),
    }
}

fn chat_request(case: &Case, stream: bool) -> (String, Value) {
    let messages: Vec<Value> = case
        .messages
        .iter()
        .map(|m| match m.role.as_str() {
            "assistant" if !m.tool_calls.is_empty() => json!({
                "role": "assistant",
                "content": if m.text.is_empty() { Value::Null } else { json!(m.text) },
                "tool_calls": m.tool_calls.iter().map(|c| json!({
                    "id": c.id, "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments.to_string()},
                })).collect::<Vec<_>>(),
            }),
            "tool" => json!({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.text}),
            role => json!({"role": role, "content": m.text}),
        })
        .collect();
    let mut body = json!({"model": MODEL, "messages": messages, "stream": stream});
    if stream {
        body["stream_options"] = json!({"include_usage": true});
    }
    if !case.tools.is_empty() {
        body["tools"] = case
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
            .collect();
    }
    ("/v1/chat/completions".into(), body)
}

fn responses_request(case: &Case, stream: bool) -> (String, Value) {
    let mut input = Vec::new();
    for m in &case.messages {
        match m.role.as_str() {
            "assistant" => {
                if !m.text.is_empty() {
                    input.push(json!({"role": "assistant", "content": m.text}));
                }
                for c in &m.tool_calls {
                    input.push(json!({"type": "function_call", "call_id": c.id, "name": c.name, "arguments": c.arguments.to_string()}));
                }
            }
            "tool" => input.push(
                json!({"type": "function_call_output", "call_id": m.tool_call_id, "output": m.text}),
            ),
            role => input.push(json!({"role": role, "content": m.text})),
        }
    }
    let mut body = json!({"model": MODEL, "input": input, "stream": stream});
    if !case.tools.is_empty() {
        body["tools"] = case
            .tools
            .iter()
            .map(|t| json!({"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters, "strict": false}))
            .collect();
    }
    ("/v1/responses".into(), body)
}

fn anthropic_request(case: &Case, stream: bool) -> (String, Value) {
    let mut system = Vec::new();
    let mut messages = Vec::new();
    for m in &case.messages {
        match m.role.as_str() {
            "system" | "developer" => system.push(json!({"type": "text", "text": m.text})),
            "assistant" => {
                let mut content = Vec::new();
                if !m.text.is_empty() {
                    content.push(json!({"type": "text", "text": m.text}));
                }
                for c in &m.tool_calls {
                    content.push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}));
                }
                messages.push(json!({"role": "assistant", "content": content}));
            }
            "tool" => messages.push(json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.text}
            ]})),
            _ => messages.push(json!({"role": "user", "content": m.text})),
        }
    }
    let mut body =
        json!({"model": MODEL, "max_tokens": 1024, "messages": messages, "stream": stream});
    if !system.is_empty() {
        body["system"] = Value::Array(system);
    }
    if !case.tools.is_empty() {
        body["tools"] = case
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
    }
    ("/v1/messages".into(), body)
}

fn gemini_request(case: &Case, stream: bool) -> (String, Value) {
    let mut system = Vec::new();
    let mut contents = Vec::new();
    let mut names = std::collections::HashMap::new();
    for m in &case.messages {
        match m.role.as_str() {
            "system" | "developer" => system.push(json!({"text": m.text})),
            "assistant" => {
                let mut parts = Vec::new();
                if !m.text.is_empty() {
                    parts.push(json!({"text": m.text}));
                }
                for c in &m.tool_calls {
                    names.insert(c.id.clone(), c.name.clone());
                    parts.push(
                        json!({"functionCall": {"id": c.id, "name": c.name, "args": c.arguments}}),
                    );
                }
                contents.push(json!({"role": "model", "parts": parts}));
            }
            "tool" => contents.push(json!({"role": "user", "parts": [{"functionResponse": {
                "id": m.tool_call_id,
                "name": names.get(&m.tool_call_id).cloned().unwrap_or_default(),
                "response": {"output": m.text},
            }}]})),
            _ => contents.push(json!({"role": "user", "parts": [{"text": m.text}]})),
        }
    }
    let mut body = json!({"contents": contents});
    if !system.is_empty() {
        body["systemInstruction"] = json!({"parts": system});
    }
    if !case.tools.is_empty() {
        body["tools"] = json!([{"functionDeclarations": case.tools.iter().map(|t| json!({
            "name": t.name, "description": t.description, "parametersJsonSchema": t.parameters,
        })).collect::<Vec<_>>()}]);
    }
    let path = if stream {
        format!("/v1beta/models/{MODEL}:streamGenerateContent?alt=sse")
    } else {
        format!("/v1beta/models/{MODEL}:generateContent")
    };
    (path, body)
}

// --- Reading the answer back out of each wire --------------------------------

async fn send(url: &str, wire: Wire, path: &str, body: &Value, stream: bool) -> Seen {
    let resp = client()
        .post(format!("{url}{path}"))
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let mut text = String::new();
    let mut bytes = resp.bytes_stream();
    while let Some(Ok(chunk)) = bytes.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let mut seen = Seen {
        status,
        ..Seen::default()
    };
    let streamed = stream && status == 200;
    if !streamed {
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status != 200 {
            seen.error = Some(
                value["error"]["message"]
                    .as_str()
                    .unwrap_or(&text)
                    .to_string(),
            );
            return seen;
        }
        read_whole(wire, &value, &mut seen);
        return seen;
    }
    for (name, data) in sse_events(&text) {
        read_event(wire, &name, &data, &mut seen);
    }
    seen
}

fn sse_events(text: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let mut name = String::new();
        let mut data = String::new();
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event: ") {
                name = n.to_string();
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push_str(d);
            }
        }
        if let Ok(value) = serde_json::from_str::<Value>(&data) {
            out.push((name, value));
        }
    }
    out
}

fn parse_args(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn read_whole(wire: Wire, v: &Value, seen: &mut Seen) {
    match wire {
        Wire::Chat => {
            let message = &v["choices"][0]["message"];
            seen.text = message["content"].as_str().unwrap_or_default().into();
            for call in message["tool_calls"].as_array().into_iter().flatten() {
                seen.calls.push((
                    call["function"]["name"].as_str().unwrap_or_default().into(),
                    parse_args(call["function"]["arguments"].as_str().unwrap_or_default()),
                ));
            }
        }
        Wire::Responses => {
            for item in v["output"].as_array().into_iter().flatten() {
                match item["type"].as_str() {
                    Some("message") => {
                        for part in item["content"].as_array().into_iter().flatten() {
                            seen.text
                                .push_str(part["text"].as_str().unwrap_or_default());
                        }
                    }
                    Some("function_call") => seen.calls.push((
                        item["name"].as_str().unwrap_or_default().into(),
                        parse_args(item["arguments"].as_str().unwrap_or_default()),
                    )),
                    _ => {}
                }
            }
        }
        Wire::Anthropic => {
            for block in v["content"].as_array().into_iter().flatten() {
                match block["type"].as_str() {
                    Some("text") => seen
                        .text
                        .push_str(block["text"].as_str().unwrap_or_default()),
                    Some("tool_use") => seen.calls.push((
                        block["name"].as_str().unwrap_or_default().into(),
                        block["input"].clone(),
                    )),
                    _ => {}
                }
            }
        }
        Wire::Gemini => read_gemini_chunk(v, seen),
    }
}

fn read_gemini_chunk(v: &Value, seen: &mut Seen) {
    if let Some(message) = v["error"]["message"].as_str() {
        seen.error = Some(message.into());
    }
    for part in v["candidates"][0]["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if part["thought"] == true {
            continue;
        }
        if let Some(text) = part["text"].as_str() {
            seen.text.push_str(text);
        }
        if part["functionCall"].is_object() {
            seen.calls.push((
                part["functionCall"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .into(),
                part["functionCall"]["args"].clone(),
            ));
        }
    }
}

fn read_event(wire: Wire, name: &str, v: &Value, seen: &mut Seen) {
    match wire {
        Wire::Chat => {
            if let Some(message) = v["error"]["message"].as_str() {
                seen.error = Some(message.into());
            }
            let delta = &v["choices"][0]["delta"];
            if let Some(text) = delta["content"].as_str() {
                seen.text.push_str(text);
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let index = call["index"].as_u64().unwrap_or(0) as usize;
                if let Some(name) = call["function"]["name"].as_str() {
                    seen.calls.push((name.into(), Value::String(String::new())));
                }
                if let (Some(args), Some(entry)) = (
                    call["function"]["arguments"].as_str(),
                    seen.calls.get_mut(index),
                ) && let Value::String(s) = &mut entry.1
                {
                    s.push_str(args);
                }
            }
        }
        Wire::Responses => match name {
            "response.output_text.delta" => {
                seen.text.push_str(v["delta"].as_str().unwrap_or_default())
            }
            "response.output_item.done" if v["item"]["type"] == "function_call" => {
                seen.calls.push((
                    v["item"]["name"].as_str().unwrap_or_default().into(),
                    parse_args(v["item"]["arguments"].as_str().unwrap_or_default()),
                ));
            }
            "response.failed" => {
                seen.error = Some(
                    v["response"]["error"]["message"]
                        .as_str()
                        .unwrap_or("failed")
                        .into(),
                )
            }
            "error" => seen.error = Some(v["message"].as_str().unwrap_or("error").into()),
            _ => {}
        },
        Wire::Anthropic => match name {
            "content_block_start" if v["content_block"]["type"] == "tool_use" => {
                seen.calls.push((
                    v["content_block"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .into(),
                    Value::String(String::new()),
                ));
            }
            "content_block_delta" => {
                if let Some(text) = v["delta"]["text"].as_str() {
                    seen.text.push_str(text);
                }
                if let (Some(json), Some(entry)) =
                    (v["delta"]["partial_json"].as_str(), seen.calls.last_mut())
                    && let Value::String(s) = &mut entry.1
                {
                    s.push_str(json);
                }
            }
            "error" => seen.error = Some(v["error"]["message"].as_str().unwrap_or("error").into()),
            _ => {}
        },
        Wire::Gemini => read_gemini_chunk(v, seen),
    }
    // Streamed arguments arrive as text; compare them as JSON.
    if matches!(wire, Wire::Chat | Wire::Anthropic) {
        for entry in &mut seen.calls {
            if let Value::String(s) = &entry.1
                && let Ok(parsed) = serde_json::from_str::<Value>(s)
                && !parsed.is_string()
            {
                entry.1 = parsed;
            }
        }
    }
}

// --- The runner ----------------------------------------------------------------

fn gateway_config(upstream: &str, filter: &str, config: &Value) -> Config {
    let body = format!(
        "[[upstreams]]\nname = \"mock\"\nprovider = \"openai\"\nbase_url = \"{upstream}\"\napi_keys = [\"sk-script\"]\nmodels = [\"*\"]\n\
         [[upstreams]]\nname = \"alt\"\nprovider = \"openai\"\nbase_url = \"{upstream}\"\napi_keys = [\"sk-alt\"]\nmodels = [\"*\"]\n\
         [[filters]]\nplugin = \"{filter}\"\n"
    );
    let mut config_struct = Config::parse(&config_text(&body)).expect("transcript config");
    if let Some(filter) = config_struct.filters.first_mut()
        && config.is_object()
    {
        filter.config = Some(serde_json::from_value(config.clone()).expect("filter config"));
    }
    config_struct
}

/// Check one case from one wire; `Err` describes every mismatch.
async fn run_case(
    filter: &str,
    base: &Value,
    case: &Case,
    wire: Wire,
    stream: bool,
) -> Result<(), String> {
    let config = case.config.as_ref().unwrap_or(base);
    let (upstream, script) = start_upstream(case.upstream.clone().unwrap_or_default()).await;
    let gw = start_config(gateway_config(&upstream, filter, config)).await;
    let mut problems = Vec::new();
    let mut step = case.clone();
    let repeat = case.repeat.unwrap_or(1).max(1);
    let mut seen = send_step(&gw.url, &script, &step, wire, stream, repeat).await;
    check(&case.expect, &seen, stream, "", &mut problems);
    for (i, follow) in case.then.iter().enumerate() {
        step.messages = match &follow.messages {
            Some(messages) => messages.clone(),
            None => {
                let mut messages = std::mem::take(&mut step.messages);
                if !seen.0.text.is_empty() {
                    messages.push(Msg {
                        role: "assistant".into(),
                        text: seen.0.text.clone(),
                        tool_calls: Vec::new(),
                        tool_call_id: String::new(),
                    });
                }
                messages.extend(follow.append.iter().cloned());
                messages
            }
        };
        seen = send_step(&gw.url, &script, &step, wire, stream, 1).await;
        check(
            &follow.expect,
            &seen,
            stream,
            &format!("then[{i}]: "),
            &mut problems,
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The last upstream request's body and `authorization` header.
type Received = Option<(String, String)>;

/// Send `case`'s conversation `repeat` times: what the client saw the last
/// time, and what the upstream got then (`None`: not called).
async fn send_step(
    url: &str,
    script: &Script,
    case: &Case,
    wire: Wire,
    stream: bool,
    repeat: u32,
) -> (Seen, Received) {
    let mut seen = Seen::default();
    let mut calls_before = 0;
    for r in 0..repeat {
        let (path, body) = request(wire, &repetition(case, r), stream);
        calls_before = script.requests.lock().unwrap().len();
        seen = send(url, wire, &path, &body, stream).await;
    }
    let requests = script.requests.lock().unwrap();
    let received = (requests.len() > calls_before)
        .then(|| requests.last())
        .flatten()
        .map(|(body, auth)| (body.to_string(), auth.clone()));
    (seen, received)
}

/// `case` as its `r`th send: with `repeat_as_new_call`, the last tool call
/// and its result carry an id of their own after the first send.
fn repetition(case: &Case, r: u32) -> Case {
    let mut case = case.clone();
    let last = case
        .messages
        .iter()
        .flat_map(|m| &m.tool_calls)
        .last()
        .map(|c| c.id.clone());
    if let (true, Some(last), 1..) = (case.repeat_as_new_call, last, r) {
        let new = format!("{last}_r{r}");
        for m in &mut case.messages {
            for c in &mut m.tool_calls {
                if c.id == last {
                    c.id.clone_from(&new);
                }
            }
            if m.tool_call_id == last {
                m.tool_call_id.clone_from(&new);
            }
        }
    }
    case
}

/// Check `seen` against `expect`, adding mismatches (labelled) to `problems`.
fn check(
    expect: &Expect,
    step: &(Seen, Received),
    stream: bool,
    label: &str,
    problems: &mut Vec<String>,
) {
    let (seen, received) = step;
    let mut add = |p: String| problems.push(format!("{label}{p}"));
    let called = received.is_some();
    let (sent, key) = received
        .as_ref()
        .map(|(body, auth)| (body.as_str(), auth.as_str()))
        .unwrap_or_default();
    // A rejection mid-stream arrives as an error event after a 200.
    let status = match expect.stream_status {
        Some(s) if stream => s,
        _ => expect.status.unwrap_or(200),
    };
    if seen.status != status {
        add(format!(
            "status {} (want {status}), error {:?}",
            seen.status, seen.error
        ));
    }
    for needle in &expect.text_contains {
        if !seen.text.contains(needle.as_str()) {
            add(format!("text {:?} lacks {needle:?}", seen.text));
        }
    }
    for needle in &expect.text_not_contains {
        if seen.text.contains(needle.as_str()) {
            add(format!("text {:?} has {needle:?}", seen.text));
        }
    }
    if let Some(want) = &expect.tool_calls {
        let want: Vec<(String, Value)> = want
            .iter()
            .map(|c| (c.name.clone(), c.arguments.clone()))
            .collect();
        if seen.calls != want {
            add(format!("tool calls {:?} (want {want:?})", seen.calls));
        }
    }
    if let Some(needle) = &expect.error_contains {
        match &seen.error {
            Some(error) if error.contains(needle.as_str()) => {}
            other => add(format!("error {other:?} lacks {needle:?}")),
        }
    }
    if let Some(want) = expect.upstream_called
        && want != called
    {
        add(format!("upstream called: {called} (want {want})"));
    }
    for needle in &expect.upstream_contains {
        if !called || !sent.contains(needle.as_str()) {
            add(format!("upstream body lacks {needle:?}: {sent}"));
        }
    }
    for needle in &expect.upstream_not_contains {
        if called && sent.contains(needle.as_str()) {
            add(format!("upstream body has {needle:?}"));
        }
    }
    if let Some(want) = &expect.upstream_key
        && (!called || !key.ends_with(want.as_str()))
    {
        add(format!("upstream key {key:?} (want {want:?})"));
    }
}

/// Run every case of `host/tests/filters/<filter>.json` from every wire.
async fn run(filter: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("filters")
        .join(format!("{filter}.json"));
    let text = std::fs::read_to_string(&path).expect("transcript file");
    let transcript: Transcript = serde_json::from_str(&text).expect("transcript JSON");
    assert_eq!(transcript.filter, filter);
    assert!(!transcript.cases.is_empty());
    let mut failures = Vec::new();
    let mut runs = 0;
    for case in &transcript.cases {
        for wire in WIRES {
            for stream in [false, true] {
                runs += 1;
                if let Err(problem) = run_case(filter, &transcript.config, case, wire, stream).await
                {
                    failures.push(format!(
                        "{filter} / {} / {wire:?} / {}: {problem}",
                        case.name,
                        if stream { "stream" } else { "whole" }
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} transcript runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn example_filter() {
    run("example-filter").await;
}

#[tokio::test]
async fn rewrite() {
    run("rewrite").await;
}

#[tokio::test]
async fn loop_guard() {
    run("loop-guard").await;
}

#[tokio::test]
async fn tool_call_repair() {
    run("tool-call-repair").await;
}

#[tokio::test]
async fn redact_secrets() {
    run("redact-secrets").await;
}

#[tokio::test]
async fn chat_commands() {
    run("chat-commands").await;
}

#[tokio::test]
async fn command_guard() {
    run("command-guard").await;
}
