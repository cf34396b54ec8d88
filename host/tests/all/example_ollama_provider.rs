//! The `ollama-provider` example (`examples/ollama-provider`): a community
//! provider plugin built from its own cargo project, dropped in a plugins
//! folder, serving an upstream that speaks Ollama's native `/api/chat` (a
//! local mock here), reached from the OpenAI Chat and Anthropic front-ends,
//! whole and streamed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post as post_route;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::*;
use crate::mock;

/// `created_at` of every mock answer, and the id and Unix time it gives.
const CREATED_AT: &str = "2025-05-01T12:00:00.123456789Z";
const ANSWER_ID: &str = "ollama-1746100800123";
const CREATED: u64 = 1_746_100_800;

/// The upstream's plugin config: reaches every Ollama request body.
const UPSTREAM_CONFIG: &str = r#"{ keep_alive = "5m", options = { num_ctx = 4096 } }"#;

// ---------------------------------------------------------------------------
// A mock Ollama server: `POST /api/chat`, whole JSON or NDJSON streams.
// The model name picks the answer.

/// Every request the mock received: headers and JSON body.
#[derive(Default)]
struct Seen(Mutex<Vec<(HeaderMap, Value)>>);

struct Ollama {
    url: String,
    seen: Arc<Seen>,
}

impl Ollama {
    async fn start() -> Ollama {
        let seen = Arc::new(Seen::default());
        let app = Router::new()
            .route("/api/chat", post_route(chat))
            .with_state(seen.clone());
        let addr = serve_app(app).await;
        Ollama {
            url: format!("http://{addr}"),
            seen,
        }
    }

    fn last(&self) -> (HeaderMap, Value) {
        self.seen
            .0
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("no request reached the Ollama mock")
    }

    fn last_body(&self) -> Value {
        self.last().1
    }
}

/// One answer object; `done` objects carry the reason and the counts.
fn line(model: &str, message: Value, done: Option<&str>) -> Value {
    let mut obj = json!({
        "model": model,
        "created_at": CREATED_AT,
        "message": message,
        "done": done.is_some(),
    });
    if let Some(reason) = done {
        obj["done_reason"] = json!(reason);
        obj["total_duration"] = json!(4_883_583_458u64);
        obj["load_duration"] = json!(1_019_500u64);
        obj["prompt_eval_count"] = json!(12);
        obj["eval_count"] = json!(5);
    }
    obj
}

fn assistant(content: &str) -> Value {
    json!({"role": "assistant", "content": content})
}

/// What the model "says" for `model`, as the parts of a stream: text
/// pieces, optional thinking, optional tool calls, and the done reason.
struct Answer {
    thinking: Option<&'static str>,
    pieces: Vec<&'static str>,
    tool_calls: Option<Value>,
    reason: &'static str,
}

fn answer_for(model: &str, body: &Value) -> Answer {
    let last_role = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["role"].as_str())
        .unwrap_or_default();
    match model {
        "llama-tool" if last_role != "tool" => Answer {
            thinking: Some("Need the weather."),
            pieces: vec![],
            tool_calls: Some(
                json!([{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]),
            ),
            reason: "stop",
        },
        "llama-tool" => Answer {
            thinking: None,
            pieces: vec!["It is ", "18C in ", "Paris."],
            tool_calls: None,
            reason: "stop",
        },
        "llama-long" => Answer {
            thinking: None,
            pieces: vec!["Once upon", " a"],
            tool_calls: None,
            reason: "length",
        },
        _ => Answer {
            thinking: None,
            // "Ollama ✓" makes a multi-byte character straddle a chunk cut.
            pieces: vec!["Hello", " from", " Ollama ✓"],
            tool_calls: None,
            reason: "stop",
        },
    }
}

fn ollama_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json; charset=utf-8")],
        json!({ "error": message }).to_string(),
    )
        .into_response()
}

fn ndjson(chunks: Vec<Bytes>) -> Response {
    Response::builder()
        .header("content-type", "application/x-ndjson")
        .body(Body::from_stream(futures_util::stream::iter(
            chunks.into_iter().map(Ok::<_, std::io::Error>),
        )))
        .unwrap()
}

async fn chat(State(seen): State<Arc<Seen>>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    seen.0.lock().unwrap().push((headers, body.clone()));
    let model = body["model"].as_str().unwrap_or_default().to_string();
    // Ollama streams unless told not to.
    let streaming = body["stream"].as_bool().unwrap_or(true);
    match (model.as_str(), streaming) {
        ("llama-missing", _) => ollama_error(
            StatusCode::NOT_FOUND,
            "model \"llama-missing\" not found, try pulling it first",
        ),
        ("llama-crash", false) => ollama_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "llama runner process has terminated: exit status 2",
        ),
        ("llama-crash", true) => ndjson(vec![
            Bytes::from(format!("{}\n", line(&model, assistant("partial"), None))),
            Bytes::from(
                json!({"error": "llama runner process has terminated: exit status 2"}).to_string()
                    + "\n",
            ),
        ]),
        (_, false) => {
            let answer = answer_for(&model, &body);
            let mut message = assistant(&answer.pieces.concat());
            if let Some(thinking) = answer.thinking {
                message["thinking"] = json!(thinking);
            }
            if let Some(calls) = answer.tool_calls {
                message["tool_calls"] = calls;
            }
            let obj = line(&model, message, Some(answer.reason));
            (
                StatusCode::OK,
                [("content-type", "application/json; charset=utf-8")],
                obj.to_string(),
            )
                .into_response()
        }
        (_, true) => {
            let answer = answer_for(&model, &body);
            let mut lines = Vec::new();
            if let Some(thinking) = answer.thinking {
                lines.push(line(
                    &model,
                    json!({"role": "assistant", "content": "", "thinking": thinking}),
                    None,
                ));
            }
            for piece in &answer.pieces {
                lines.push(line(&model, assistant(piece), None));
            }
            if let Some(calls) = answer.tool_calls {
                lines.push(line(
                    &model,
                    json!({"role": "assistant", "content": "", "tool_calls": calls}),
                    None,
                ));
            }
            lines.push(line(&model, assistant(""), Some(answer.reason)));
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            // One chunk per line, except that the last text line is cut in
            // the middle of its last (multi-byte) character.
            let mut chunks: Vec<Bytes> = Vec::new();
            let mut rest = text.as_bytes();
            while let Some(end) = rest.iter().position(|&b| b == b'\n') {
                let (this, tail) = rest.split_at(end + 1);
                match this.windows(3).position(|w| w == "✓".as_bytes()) {
                    Some(at) => {
                        chunks.push(Bytes::copy_from_slice(&this[..at + 1]));
                        chunks.push(Bytes::copy_from_slice(&this[at + 1..]));
                    }
                    None => chunks.push(Bytes::copy_from_slice(this)),
                }
                rest = tail;
            }
            ndjson(chunks)
        }
    }
}

// ---------------------------------------------------------------------------
// The gateway with the example plugin in its plugins folder.

fn tempdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh plugins folder holding only `ollama-provider.wasm`.
fn plugins_dir() -> PathBuf {
    let dir = tempdir("ollama-plugins");
    std::fs::copy(
        example_artifact("ollama-provider"),
        dir.join("ollama-provider.wasm"),
    )
    .unwrap();
    dir
}

/// A gateway with `plugins.dir` = a folder holding the example, an upstream
/// `ollama` served by it (models `llama-*`) at `ollama_url`, then `tail`.
async fn gateway(ollama_url: &str, tail: &str) -> TestGateway {
    let dir = plugins_dir();
    let upstream = format!(
        "[[upstreams]]\nname = \"ollama\"\nprovider = \"ollama-provider\"\nbase_url = \"{ollama_url}\"\nmodels = [\"llama-*\"]\nconfig = {UPSTREAM_CONFIG}\n"
    );
    let text = config_text("").replace(
        "[plugins]\n",
        &format!("[plugins]\ndir = {:?}\n", dir.display().to_string()),
    ) + &upstream
        + tail;
    start_config(wasmgate::config::Config::parse(&text).expect("config")).await
}

/// The Ollama body the plugin should send for `messages` and `tools`, with
/// the upstream config's `keep_alive` and `num_ctx`, and `options` added.
fn ollama_body(model: &str, messages: Value, tools: Option<Value>, stream: bool) -> Value {
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": stream,
        "options": {"num_ctx": 4096},
        "keep_alive": "5m",
    });
    if let Some(tools) = tools {
        body["tools"] = tools;
    }
    body
}

const WEATHER_SCHEMA: &str =
    r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;

fn schema() -> Value {
    serde_json::from_str(WEATHER_SCHEMA).unwrap()
}

/// The `tools` entry Ollama should see, whichever front-end defined it.
fn ollama_tools() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": schema(),
    }}])
}

// ---------------------------------------------------------------------------
// The OpenAI Chat front-end.

#[tokio::test]
async fn openai_chat_whole_and_streamed() {
    let ollama = Ollama::start().await;
    let gw = gateway(&ollama.url, "").await;

    // Whole, with every sampling setting.
    let (status, body) = post(
        &gw.url,
        &json!({
            "model": "llama-text",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hello"},
            ],
            "temperature": 0.2,
            "top_p": 0.9,
            "max_tokens": 50,
            "stop": ["END"],
            "seed": 7,
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], ANSWER_ID);
    assert_eq!(body["created"], CREATED);
    assert_eq!(body["model"], "llama-text");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from Ollama ✓"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], 12);
    assert_eq!(body["usage"]["completion_tokens"], 5);
    assert_eq!(body["usage"]["total_tokens"], 17);

    let (headers, sent) = ollama.last();
    let mut expected = ollama_body(
        "llama-text",
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ]),
        None,
        false,
    );
    expected["options"] = json!({
        "num_ctx": 4096, "temperature": 0.2, "top_p": 0.9,
        "num_predict": 50, "stop": ["END"], "seed": 7,
    });
    assert_eq!(sent, expected);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["accept"], "application/json");
    assert!(headers.get("authorization").is_none());

    // Streamed: NDJSON in, chat chunks out, usage included.
    let (status, events) = post_sse(&gw.url, &chat_body("llama-text", true)).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(streamed_text(&events), "Hello from Ollama ✓");
    assert_eq!(events.last(), Some(&Value::String("[DONE]".into())));
    assert!(
        events
            .iter()
            .any(|e| e["choices"][0]["finish_reason"] == "stop"),
        "{events:?}"
    );
    let usage = events
        .iter()
        .find(|e| e["usage"].is_object())
        .unwrap_or_else(|| panic!("no usage chunk: {events:?}"));
    assert_eq!(usage["usage"]["prompt_tokens"], 12);
    assert_eq!(usage["usage"]["completion_tokens"], 5);
    assert_eq!(events[0]["id"], ANSWER_ID);
    let (headers, sent) = ollama.last();
    assert_eq!(
        sent,
        ollama_body(
            "llama-text",
            json!([{"role": "user", "content": "Hello"}]),
            None,
            true
        )
    );
    assert_eq!(headers["accept"], "application/x-ndjson");

    // `done_reason: "length"` is a length finish, whole and streamed.
    let (_, body) = post(&gw.url, &chat_body("llama-long", false)).await;
    assert_eq!(body["choices"][0]["finish_reason"], "length", "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "Once upon a");
    let (_, events) = post_sse(&gw.url, &chat_body("llama-long", true)).await;
    assert!(
        events
            .iter()
            .any(|e| e["choices"][0]["finish_reason"] == "length"),
        "{events:?}"
    );
}

fn openai_tools() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": schema(),
    }}])
}

#[tokio::test]
async fn openai_chat_tool_call_round_trip() {
    let ollama = Ollama::start().await;
    let gw = gateway(&ollama.url, "").await;
    let question = json!({"role": "user", "content": "Weather in Paris?"});

    // Turn 1, whole: a tool call with a made-up id, and the reasoning.
    let (status, body) = post(
        &gw.url,
        &json!({
            "model": "llama-tool",
            "messages": [question],
            "tools": openai_tools(),
            "tool_choice": "auto",
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let message = &body["choices"][0]["message"];
    assert_eq!(
        message["tool_calls"],
        json!([{"id": "call_0", "type": "function", "function": {
            "name": "get_weather", "arguments": "{\"city\":\"Paris\"}",
        }}]),
        "{body}"
    );
    assert_eq!(message["reasoning_content"], "Need the weather.");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        ollama.last_body(),
        ollama_body(
            "llama-tool",
            json!([{"role": "user", "content": "Weather in Paris?"}]),
            Some(ollama_tools()),
            false,
        )
    );

    // Turn 1, streamed: the same call as one start/arguments/end.
    let (status, events) = post_sse(
        &gw.url,
        &json!({
            "model": "llama-tool",
            "messages": [question],
            "tools": openai_tools(),
            "stream": true,
        }),
    )
    .await;
    assert_eq!(status, 200);
    let calls: Vec<&Value> = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    assert_eq!(calls[0]["id"], "call_0", "{events:?}");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    let arguments: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, r#"{"city":"Paris"}"#);
    let reasoning: String = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["reasoning_content"].as_str())
        .collect();
    assert_eq!(reasoning, "Need the weather.");
    assert!(
        events
            .iter()
            .any(|e| e["choices"][0]["finish_reason"] == "tool_calls"),
        "{events:?}"
    );

    // Turn 2, streamed: the result goes back as a `tool` message naming the
    // tool (Ollama has no call ids), the reasoning as `thinking`.
    let (status, events) = post_sse(
        &gw.url,
        &json!({
            "model": "llama-tool",
            "messages": [
                question,
                {"role": "assistant", "content": null, "reasoning_content": "Need the weather.",
                 "tool_calls": [{"id": "call_0", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": "call_0", "content": "18C and sunny"},
            ],
            "tools": openai_tools(),
            "stream": true,
        }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&events), "It is 18C in Paris.");
    assert!(
        events
            .iter()
            .any(|e| e["choices"][0]["finish_reason"] == "stop")
    );
    assert_eq!(
        ollama.last_body(),
        ollama_body(
            "llama-tool",
            json!([
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": "", "thinking": "Need the weather.",
                 "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                {"role": "tool", "content": "18C and sunny", "tool_name": "get_weather"},
            ]),
            Some(ollama_tools()),
            true,
        )
    );
}

#[tokio::test]
async fn openai_chat_errors() {
    let ollama = Ollama::start().await;
    let gw = gateway(&ollama.url, "").await;

    // An Ollama `{"error": ...}` with its status, in the OpenAI error shape.
    let (status, body) = post(&gw.url, &chat_body("llama-missing", false)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["error"]["message"],
        "model \"llama-missing\" not found, try pulling it first"
    );
    assert!(body["error"]["type"].is_string(), "{body}");
    let (status, body) = post(&gw.url, &chat_body("llama-missing", true)).await;
    assert_eq!(status, 404, "{body}");

    let (status, body) = post(&gw.url, &chat_body("llama-crash", false)).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        body["error"]["message"],
        "llama runner process has terminated: exit status 2"
    );

    // An error line mid-stream ends the stream with an error event.
    let (status, events) = post_sse(&gw.url, &chat_body("llama-crash", true)).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&events), "partial");
    let error = events
        .iter()
        .find(|e| e["error"].is_object())
        .unwrap_or_else(|| panic!("no error event: {events:?}"));
    assert_eq!(
        error["error"]["message"],
        "llama runner process has terminated: exit status 2"
    );
}

// ---------------------------------------------------------------------------
// The Anthropic Messages front-end.

async fn post_messages(url: &str, body: &Value) -> (u16, String) {
    let resp = client()
        .post(format!("{url}/v1/messages"))
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let mut text = String::new();
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    (status, text)
}

/// `(event name, data)` pairs of an Anthropic SSE body.
fn named_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|e| {
            let (name, data) = e.trim().strip_prefix("event: ")?.split_once("\ndata: ")?;
            Some((name.to_string(), serde_json::from_str(data).ok()?))
        })
        .collect()
}

/// Concatenated `delta.<key>` of the `content_block_delta` events.
fn deltas(events: &[(String, Value)], key: &str) -> String {
    events
        .iter()
        .filter(|(name, _)| name == "content_block_delta")
        .filter_map(|(_, data)| data["delta"][key].as_str())
        .collect()
}

fn anthropic_tools() -> Value {
    json!([{"name": "get_weather", "description": "Current weather", "input_schema": schema()}])
}

#[tokio::test]
async fn anthropic_messages_whole_and_streamed() {
    let ollama = Ollama::start().await;
    let gw = gateway(&ollama.url, "").await;

    // Whole text.
    let (status, text) = post_messages(
        &gw.url,
        &json!({
            "model": "llama-text",
            "max_tokens": 256,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hello"}],
        }),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "message");
    assert_eq!(body["id"], format!("msg_{ANSWER_ID}"));
    assert_eq!(
        body["content"],
        json!([{"type": "text", "text": "Hello from Ollama ✓"}])
    );
    assert_eq!(body["stop_reason"], "end_turn");
    assert_eq!(body["usage"]["input_tokens"], 12);
    assert_eq!(body["usage"]["output_tokens"], 5);
    let mut expected = ollama_body(
        "llama-text",
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ]),
        None,
        false,
    );
    expected["options"]["num_predict"] = json!(256);
    assert_eq!(ollama.last_body(), expected);

    // Streamed text.
    let (status, text) = post_messages(
        &gw.url,
        &json!({
            "model": "llama-text",
            "max_tokens": 256,
            "messages": [{"role": "user", "content": "Hello"}],
            "stream": true,
        }),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let events = named_events(&text);
    assert_eq!(events[0].0, "message_start", "{text}");
    assert_eq!(deltas(&events, "text"), "Hello from Ollama ✓");
    let (_, delta) = events
        .iter()
        .find(|(name, _)| name == "message_delta")
        .unwrap_or_else(|| panic!("no message_delta: {text}"));
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], 5);
    assert_eq!(events.last().map(|e| e.0.as_str()), Some("message_stop"));
    assert_eq!(ollama.last_body()["stream"], true);

    // A length stop.
    let (_, text) = post_messages(
        &gw.url,
        &json!({"model": "llama-long", "max_tokens": 2,
                "messages": [{"role": "user", "content": "Tell a story"}]}),
    )
    .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["stop_reason"], "max_tokens", "{text}");
}

#[tokio::test]
async fn anthropic_messages_tool_call_round_trip() {
    let ollama = Ollama::start().await;
    let gw = gateway(&ollama.url, "").await;
    let question = json!({"role": "user", "content": "Weather in Paris?"});

    // Turn 1, streamed, thinking on: a thinking block, then a tool_use.
    let (status, text) = post_messages(
        &gw.url,
        &json!({
            "model": "llama-tool",
            "max_tokens": 2048,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "tools": anthropic_tools(),
            "messages": [question],
            "stream": true,
        }),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let events = named_events(&text);
    assert_eq!(deltas(&events, "thinking"), "Need the weather.", "{text}");
    let tool_use = events
        .iter()
        .find(|(name, data)| {
            name == "content_block_start" && data["content_block"]["type"] == "tool_use"
        })
        .unwrap_or_else(|| panic!("no tool_use block: {text}"));
    assert_eq!(tool_use.1["content_block"]["id"], "call_0");
    assert_eq!(tool_use.1["content_block"]["name"], "get_weather");
    assert_eq!(deltas(&events, "partial_json"), r#"{"city":"Paris"}"#);
    let (_, delta) = events
        .iter()
        .find(|(name, _)| name == "message_delta")
        .unwrap_or_else(|| panic!("no message_delta: {text}"));
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    let mut expected = ollama_body(
        "llama-tool",
        json!([{"role": "user", "content": "Weather in Paris?"}]),
        Some(ollama_tools()),
        true,
    );
    expected["options"]["num_predict"] = json!(2048);
    expected["think"] = json!(true);
    assert_eq!(ollama.last_body(), expected);

    // Turn 1, whole: the same answer as blocks.
    let (status, text) = post_messages(
        &gw.url,
        &json!({
            "model": "llama-tool",
            "max_tokens": 2048,
            "tools": anthropic_tools(),
            "messages": [question],
        }),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let blocks = body["content"].as_array().unwrap();
    let tool_use = blocks
        .iter()
        .find(|b| b["type"] == "tool_use")
        .unwrap_or_else(|| panic!("no tool_use: {text}"));
    assert_eq!(
        tool_use,
        &json!({"type": "tool_use", "id": "call_0", "name": "get_weather", "input": {"city": "Paris"}})
    );
    assert_eq!(body["stop_reason"], "tool_use");

    // Turn 2, whole: the tool_result becomes a `tool` message naming the
    // tool; the next answer's calls would be numbered from call_1.
    let (status, text) = post_messages(
        &gw.url,
        &json!({
            "model": "llama-tool",
            "max_tokens": 2048,
            "tools": anthropic_tools(),
            "messages": [
                question,
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "call_0", "name": "get_weather", "input": {"city": "Paris"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_0", "content": "18C and sunny"},
                ]},
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["content"],
        json!([{"type": "text", "text": "It is 18C in Paris."}])
    );
    assert_eq!(body["stop_reason"], "end_turn");
    let mut expected = ollama_body(
        "llama-tool",
        json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "",
             "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
            {"role": "tool", "content": "18C and sunny", "tool_name": "get_weather"},
        ]),
        Some(ollama_tools()),
        false,
    );
    expected["options"]["num_predict"] = json!(2048);
    assert_eq!(ollama.last_body(), expected);
}

#[tokio::test]
async fn anthropic_messages_errors() {
    let ollama = Ollama::start().await;
    let gw = gateway(&ollama.url, "").await;
    let (status, text) = post_messages(
        &gw.url,
        &json!({"model": "llama-missing", "max_tokens": 64,
                "messages": [{"role": "user", "content": "Hello"}]}),
    )
    .await;
    assert_eq!(status, 404, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "not_found_error");
    assert_eq!(
        body["error"]["message"],
        "model \"llama-missing\" not found, try pulling it first"
    );

    let (status, text) = post_messages(
        &gw.url,
        &json!({"model": "llama-crash", "max_tokens": 64, "stream": true,
                "messages": [{"role": "user", "content": "Hello"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let events = named_events(&text);
    assert_eq!(deltas(&events, "text"), "partial");
    let (_, error) = events
        .iter()
        .find(|(name, _)| name == "error")
        .unwrap_or_else(|| panic!("no error event: {text}"));
    assert_eq!(
        error["error"]["message"],
        "llama runner process has terminated: exit status 2"
    );
}

// ---------------------------------------------------------------------------
// `wasmgate plugin check`, and what the plugin costs per request.

#[test]
fn plugin_check_accepts_the_example() {
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-home");
    let check = |config: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_wasmgate"))
            .args(["plugin", "check"])
            .arg(example_artifact("ollama-provider"))
            .args(["--config", config])
            .env("HOME", &home)
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap()
    };
    let out = check(r#"{"keep_alive":"5m","options":{"num_ctx":4096}}"#);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "kind:     provider",
        "wasmgate:plugin@0.1.0",
        "ollama-provider",
        "http://127.0.0.1:11434",
        "check:    ok",
    ] {
        assert!(stdout.contains(needle), "{needle} missing: {stdout}");
    }
    let out = check(r#"{"num_ctx":4096}"#);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown key `num_ctx`"), "{stderr}");
}

/// Median and 90th percentile of `samples`, in microseconds.
fn p50_p90(mut samples: Vec<Duration>) -> (u128, u128) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_micros();
    (at(0.5), at(0.9))
}

/// Latency of `n` sequential requests made by `send`.
async fn timed<F, Fut>(n: usize, mut send: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..20 {
        send().await;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let at = Instant::now();
        send().await;
        samples.push(at.elapsed());
    }
    samples
}

#[tokio::test]
async fn per_request_overhead_is_measured() {
    const N: usize = 300;
    let ollama = Ollama::start().await;
    let openai = mock::start().await;
    let tail = openai_upstream(&openai.url) + "[server]\nadmin_keys = [\"admin-key\"]\n";
    let gw = gateway(&ollama.url, &tail).await;
    let client = client();
    let ollama_direct = json!({"model": "llama-text", "stream": false,
        "messages": [{"role": "user", "content": "Hello"}]});

    let direct = timed(N, || {
        let request = client
            .post(format!("{}/api/chat", ollama.url))
            .json(&ollama_direct);
        async move {
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.bytes().await.unwrap();
        }
    })
    .await;
    let via = |model: &'static str, stream: bool| {
        let (client, url) = (client.clone(), gw.url.clone());
        move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let resp = client
                    .post(format!("{url}/v1/chat/completions"))
                    .json(&chat_body(model, stream))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                resp.bytes().await.unwrap();
            }
        }
    };
    let ollama_whole = timed(N, via("llama-text", false)).await;
    let ollama_stream = timed(N, via("llama-text", true)).await;
    let openai_whole = timed(N, via("gpt-fake", false)).await;
    let openai_stream = timed(N, via("gpt-fake", true)).await;

    let (d50, d90) = p50_p90(direct);
    eprintln!("ollama-provider overhead, {N} sequential requests each (p50 / p90 µs):");
    eprintln!("  mock Ollama, direct                     {d50:>6} / {d90:>6}");
    for (label, samples) in [
        ("gateway + ollama-provider, whole", ollama_whole),
        ("gateway + ollama-provider, streamed", ollama_stream),
        ("gateway + bundled openai, whole", openai_whole),
        ("gateway + bundled openai, streamed", openai_stream),
    ] {
        let (p50, p90) = p50_p90(samples);
        eprintln!("  {label:<38}  {p50:>6} / {p90:>6}");
    }

    // Time inside the guest, per call, from the admin API's statistics.
    let resp = client
        .get(format!("{}/admin/plugins", gw.url))
        .bearer_auth("admin-key")
        .send()
        .await
        .unwrap();
    let admin: Value = resp.json().await.unwrap();
    for name in ["ollama-provider", "openai"] {
        let entry = admin["plugins"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("no {name} in {admin}"));
        if name == "ollama-provider" {
            assert_eq!(entry["source"], "file", "{entry}");
            assert_eq!(entry["stats"]["traps"], 0, "{entry}");
        }
        let stat = |key: &str| entry["stats"][key].as_f64().unwrap_or_default();
        eprintln!(
            "  guest calls of {name:<16} {} calls, mean {:.1} µs, p99 {:.0} µs",
            stat("calls"),
            stat("mean_us"),
            stat("p99_us")
        );
    }
}
