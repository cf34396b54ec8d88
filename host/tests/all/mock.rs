//! A mock OpenAI-compatible upstream. The model name picks the behaviour.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::serve_app;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::stream;
use serde_json::Value;
use tokio::sync::Notify;

pub const TEXT_JSON: &str = include_str!("../fixtures/full.chat.text.json");
pub const TEXT_SSE: &str = include_str!("../fixtures/full.chat.text.sse");
pub const TOOL_JSON: &str = include_str!("../fixtures/full.chat.tool.json");
pub const TOOL_SSE: &str = include_str!("../fixtures/full.chat.tool.sse");

/// What the mock saw and the knobs tests turn.
#[derive(Default)]
pub struct MockState {
    pub requests: Mutex<Vec<(HeaderMap, Value)>>,
    pub gate: Notify,
    pub endless_dropped: AtomicBool,
    pub calls: AtomicUsize,
}

pub struct Mock {
    pub url: String,
    pub state: Arc<MockState>,
}

impl Mock {
    pub fn last_request(&self) -> (HeaderMap, Value) {
        self.state
            .requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("no request reached the mock")
    }
}

pub async fn start() -> Mock {
    let state = Arc::new(MockState::default());
    let app = Router::new()
        .route("/v1/chat/completions", post(handle))
        .with_state(state.clone());
    let addr = serve_app(app).await;
    Mock {
        url: format!("http://{addr}/v1"),
        state,
    }
}

fn sse_events(fixture: &str) -> Vec<Bytes> {
    fixture
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| Bytes::from(format!("{e}\n\n")))
        .collect()
}

fn sse(
    chunks: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(chunks))
        .unwrap()
}

fn json(status: StatusCode, body: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn chunk(content: &str) -> Bytes {
    let v = serde_json::json!({"id": "chatcmpl-m", "object": "chat.completion.chunk", "created": 1, "model": "mock",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]});
    Bytes::from(format!("data: {v}\n\n"))
}

/// Sets `endless_dropped` when the response body is dropped.
struct DropFlag(Arc<MockState>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.endless_dropped.store(true, Ordering::SeqCst);
    }
}

async fn handle(State(state): State<Arc<MockState>>, headers: HeaderMap, body: Bytes) -> Response {
    state.calls.fetch_add(1, Ordering::SeqCst);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state
        .requests
        .lock()
        .unwrap()
        .push((headers.clone(), body.clone()));
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let streaming = body["stream"].as_bool().unwrap_or(false);
    match model.as_str() {
        "gpt-400" => json(
            StatusCode::BAD_REQUEST,
            r#"{"error":{"message":"Invalid value for 'temperature'","type":"invalid_request_error","param":"temperature","code":null}}"#,
        ),
        "gpt-401" => {
            // Like some upstreams, quote the key it was sent.
            let key = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let body = serde_json::json!({"error": {"message": format!("Incorrect API key provided: {key}"), "type": "invalid_request_error"}});
            json(StatusCode::UNAUTHORIZED, &body.to_string())
        }
        "gpt-500" => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":{"message":"upstream exploded","type":"server_error"}}"#,
        ),
        "gpt-429" => {
            let mut response = json(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}"#,
            );
            for (name, value) in [("retry-after", "7"), ("retry-after-ms", "7000")] {
                response
                    .headers_mut()
                    .insert(name, axum::http::HeaderValue::from_static(value));
            }
            response
        }
        // Rate-limited for every key but `sk-good`.
        "gpt-keyed"
            if headers
                .get("authorization")
                .is_none_or(|v| v != "Bearer sk-good") =>
        {
            json(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}"#,
            )
        }
        "gpt-keyed" => json(StatusCode::OK, TEXT_JSON),
        // A base URL that reaches a web server, not the API.
        "gpt-webpage" | "gpt-webpage-404" => {
            let status = if model.ends_with("-404") {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            let page = format!(
                "<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>{}</body></html>",
                "<p>If you see this page, the web server is working.</p>".repeat(50)
            );
            (status, [("content-type", "text/html; charset=utf-8")], page).into_response()
        }
        // Streams whatever `stream` says.
        "gpt-alwaysstream" | "gpt-alwaysstream-tool" => {
            let fixture = if model.ends_with("-tool") {
                TOOL_SSE
            } else {
                TEXT_SSE
            };
            sse(stream::iter(sse_events(fixture).into_iter().map(Ok)))
        }
        // Ignores `stream`: one JSON body.
        "gpt-nostream" => json(StatusCode::OK, TEXT_JSON),
        "gpt-refusal" => json(
            StatusCode::OK,
            r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that.","annotations":[]},"logprobs":null,"finish_reason":"stop"}]}"#,
        ),
        // The answer with token log probabilities, and a choice field of
        // vLLM's.
        "gpt-logprobs" => json(
            StatusCode::OK,
            &TEXT_JSON.replace(
                r#""logprobs": null"#,
                r#""logprobs": {"content": [{"token": "Hello", "logprob": -0.31, "bytes": [72, 101, 108, 108, 111], "top_logprobs": [{"token": "Hello", "logprob": -0.31, "bytes": null}]}], "refusal": null}, "stop_reason": 128009"#,
            ),
        ),
        // An error chunk after some text that quotes the key it was sent.
        "gpt-streamleak" => {
            let key = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let error = serde_json::json!({"error": {"message": format!("key {key} was revoked")}});
            sse(stream::iter([
                Ok::<_, std::io::Error>(chunk("partial")),
                Ok(Bytes::from(format!("data: {error}\n\n"))),
            ]))
        }
        // OpenRouter's way to refuse a stream: a 200, then an error chunk.
        "gpt-streamerror" => sse(stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
            b"data: {\"error\":{\"message\":\"Rate limit exceeded\",\"code\":429}}\n\n",
        ))])),
        "gpt-hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json(StatusCode::OK, TEXT_JSON)
        }
        "gpt-tool" if streaming => {
            let events = sse_events(TOOL_SSE).into_iter().map(Ok);
            sse(stream::iter(events))
        }
        "gpt-tool" => json(StatusCode::OK, TOOL_JSON),
        // The tool call with no id, as some OpenAI-compatible servers send it.
        "gpt-noid" if streaming => {
            let events = sse_events(&TOOL_SSE.replace(r#""id": "call_fake1", "#, ""));
            sse(stream::iter(events.into_iter().map(Ok)))
        }
        "gpt-noid" => json(
            StatusCode::OK,
            &TOOL_JSON.replace(r#""id": "call_fake1", "#, ""),
        ),
        "gpt-parallel" if streaming => {
            let lines = [
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}"#,
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#,
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}"#,
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]},"finish_reason":null}]}"#,
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}"#,
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":\"CET\"}"}}]},"finish_reason":null}]}"#,
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
                r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#,
            ];
            let mut events: Vec<Bytes> = lines
                .iter()
                .map(|l| Bytes::from(format!("data: {l}\n\n")))
                .collect();
            events.push(Bytes::from_static(b"data: [DONE]\n\n"));
            sse(stream::iter(events.into_iter().map(Ok)))
        }
        "gpt-parallel" => json(
            StatusCode::OK,
            r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"CET\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#,
        ),
        "gpt-gated" => {
            let state = state.clone();
            let body = stream::unfold(0, move |step| {
                let state = state.clone();
                async move {
                    match step {
                        0 => Some((Ok(chunk("first")), 1)),
                        1 => {
                            state.gate.notified().await;
                            Some((Ok(chunk(" second")), 2))
                        }
                        2 => Some((Ok(Bytes::from_static(b"data: {\"id\":\"chatcmpl-m\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")), 3)),
                        _ => None,
                    }
                }
            });
            sse(body)
        }
        "gpt-cut" => {
            // The first chunk is flushed before the connection breaks.
            let body = stream::unfold(0, |step| async move {
                match step {
                    0 => Some((Ok(chunk("partial")), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Some((Err(std::io::Error::other("connection reset by mock")), 2))
                    }
                    _ => None,
                }
            });
            sse(body)
        }
        "gpt-stall" => {
            let body = stream::unfold(0, |step| async move {
                if step == 0 {
                    Some((Ok::<_, std::io::Error>(chunk("then silence")), 1))
                } else {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    None
                }
            });
            sse(body)
        }
        "gpt-endless" => {
            let flag = DropFlag(state.clone());
            let body = stream::unfold(flag, |flag| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((Ok::<_, std::io::Error>(chunk("tick ")), flag))
            });
            sse(body)
        }
        _ if streaming => {
            let events = sse_events(TEXT_SSE).into_iter().map(Ok::<_, Infallible>);
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream::iter(events)))
                .unwrap()
        }
        _ => json(StatusCode::OK, TEXT_JSON),
    }
}
