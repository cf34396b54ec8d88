//! The Anthropic Messages front-end over real HTTP, through the `openai`
//! provider plugin to the mock OpenAI upstream.

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::*;
use crate::mock;

fn messages_body(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "max_tokens": 256,
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "Hello"}],
        "metadata": {"user_id": "u1"},
        "stream": stream,
    })
}

async fn post_messages(url: &str, body: &Value) -> (u16, String) {
    let resp = client()
        .post(format!("{url}/v1/messages?beta=true"))
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "fine-grained-tool-streaming-2025-05-14")
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

#[tokio::test]
async fn plain_message_through_an_openai_upstream() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, text) = post_messages(&gw.url, &messages_body("gpt-fake", false)).await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert!(body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(body["content"][0]["type"], "text");
    assert_eq!(
        body["content"][0]["text"],
        "Hello from fake openai-chat upstream."
    );
    assert_eq!(body["stop_reason"], "end_turn");
    assert!(body["usage"]["input_tokens"].is_u64() && body["usage"]["output_tokens"].is_u64());

    let (_, sent) = mock.last_request();
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(sent["messages"][0]["content"], "Be brief.");
    assert_eq!(
        sent["messages"][1],
        json!({"role": "user", "content": "Hello"})
    );
    assert_eq!(sent["max_tokens"], 256);
    // Anthropic-only fields and headers never reach another wire.
    assert!(sent.get("metadata").is_none(), "{sent}");
    assert!(sent.get("$headers").is_none(), "{sent}");
}

/// A PDF that Claude Code attaches (a `document` block) reaches an OpenAI
/// upstream as a Chat `file` part, with its data and a file name.
#[tokio::test]
async fn a_pdf_document_reaches_an_openai_upstream_as_a_file() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = messages_body("gpt-fake", false);
    body["messages"] = json!([{"role": "user", "content": [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="}},
        {"type": "text", "text": "Summarise this."}
    ]}]);
    let (status, text) = post_messages(&gw.url, &body).await;
    assert_eq!(status, 200, "{text}");
    let (_, sent) = mock.last_request();
    assert_eq!(
        sent["messages"][1],
        json!({"role": "user", "content": [
            {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjQ=", "filename": "document.pdf"}},
            {"type": "text", "text": "Summarise this."}
        ]})
    );
}

#[tokio::test]
async fn streamed_text_follows_the_messages_grammar() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, text) = post_messages(&gw.url, &messages_body("gpt-fake", true)).await;
    assert_eq!(status, 200);
    let events = named_events(&text);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[0], "message_start");
    assert_eq!(names[names.len() - 2], "message_delta");
    assert_eq!(names[names.len() - 1], "message_stop");
    let streamed: String = events
        .iter()
        .filter_map(|(_, d)| d["delta"]["text"].as_str())
        .collect();
    assert_eq!(streamed, "Hello from fake openai-chat upstream.");
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], 5);
    // Exactly one text block: start, deltas, stop.
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "content_block_start")
            .count(),
        1
    );
}

#[tokio::test]
async fn tool_round_trip() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = messages_body("gpt-tool", true);
    body["tools"] = json!([{
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}
    }]);
    let (_, text) = post_messages(&gw.url, &body).await;
    let events = named_events(&text);
    let start = events
        .iter()
        .find(|(n, d)| n == "content_block_start" && d["content_block"]["type"] == "tool_use")
        .expect("a tool_use block");
    let id = start.1["content_block"]["id"].as_str().unwrap().to_string();
    let args: String = events
        .iter()
        .filter_map(|(_, d)| d["delta"]["partial_json"].as_str())
        .collect();
    let args: Value = serde_json::from_str(&args).expect("arguments are JSON");
    assert!(args.is_object());
    let stop = events.iter().find(|(n, _)| n == "message_delta").unwrap();
    assert_eq!(stop.1["delta"]["stop_reason"], "tool_use");
    let (_, sent) = mock.last_request();
    assert_eq!(sent["tools"][0]["function"]["name"], "get_weather");

    // Second turn: replay the call and send its result.
    body["stream"] = json!(false);
    body["model"] = json!("gpt-fake");
    body["messages"] = json!([
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": id, "name": "get_weather", "input": args}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": id, "content": "Sunny", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Thanks"}
        ]}
    ]);
    let (status, text) = post_messages(&gw.url, &body).await;
    assert_eq!(status, 200, "{text}");
    let (_, sent) = mock.last_request();
    let messages = sent["messages"].as_array().unwrap();
    let call = messages
        .iter()
        .find(|m| m["role"] == "assistant")
        .expect("assistant turn");
    assert_eq!(call["tool_calls"][0]["id"], id.as_str());
    let result = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(result["tool_call_id"], id.as_str());
    assert_eq!(result["content"], "Sunny");
    assert_eq!(messages.last().unwrap()["content"], "Thanks");
}

/// An upstream that gives its calls no id: each `tool_use` still gets one,
/// and not the same one turn after turn (Anthropic refuses a conversation
/// in which two `tool_use` blocks share an id).
#[tokio::test]
async fn calls_without_an_id_get_ids_unique_across_turns() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut ids = Vec::new();
    for stream in [true, false, true, false] {
        let (status, text) = post_messages(&gw.url, &messages_body("gpt-noid", stream)).await;
        assert_eq!(status, 200, "{text}");
        let id = if stream {
            let events = named_events(&text);
            let (_, start) = events
                .iter()
                .find(|(n, d)| {
                    n == "content_block_start" && d["content_block"]["type"] == "tool_use"
                })
                .unwrap_or_else(|| panic!("no tool_use block: {text}"));
            start["content_block"]["id"].clone()
        } else {
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["content"][0]["type"], "tool_use", "{text}");
            body["content"][0]["id"].clone()
        };
        let id = id.as_str().unwrap_or_default().to_string();
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{id:?}"
        );
        assert!(!ids.contains(&id), "{id} again in {ids:?}");
        ids.push(id);
    }
    // The Chat front-end gets them as well.
    let (status, resp) = post(&gw.url, &chat_body("gpt-noid", false)).await;
    assert_eq!(status, 200, "{resp}");
    let id = resp["choices"][0]["message"]["tool_calls"][0]["id"].as_str();
    assert!(
        id.is_some_and(|id| id.starts_with("call_") && !ids.iter().any(|i| i == id)),
        "{resp}"
    );
}

#[tokio::test]
async fn parallel_calls_become_sequential_blocks() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (_, text) = post_messages(&gw.url, &messages_body("gpt-parallel", true)).await;
    let events = named_events(&text);
    let mut open: Option<u64> = None;
    let mut inputs: Vec<String> = Vec::new();
    for (name, data) in &events {
        match name.as_str() {
            "content_block_start" => {
                assert!(open.is_none(), "blocks overlap: {text}");
                open = data["index"].as_u64();
                inputs.push(String::new());
            }
            "content_block_delta" => {
                assert_eq!(data["index"].as_u64(), open, "{text}");
                inputs
                    .last_mut()
                    .unwrap()
                    .push_str(data["delta"]["partial_json"].as_str().unwrap_or_default());
            }
            "content_block_stop" => open = None,
            _ => {}
        }
    }
    assert_eq!(inputs, [r#"{"city":"Paris"}"#, r#"{"tz":"CET"}"#]);
}

#[tokio::test]
async fn errors_are_in_anthropic_shape() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, text) = post_messages(&gw.url, &messages_body("gpt-400", false)).await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("temperature")
    );

    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let (status, text) = post_messages(&gw.url, &messages_body("gpt-cut", true)).await;
    assert_eq!(status, 200);
    let events = named_events(&text);
    assert_eq!(events.last().unwrap().0, "error", "{text}");
}

#[tokio::test]
async fn unknown_model_and_missing_key_are_anthropic_errors() {
    let gw = start(
        "[server]\napi_keys = [\"k1\"]\n[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n",
    )
    .await;
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .json(&messages_body("echo", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "authentication_error");

    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .header("x-api-key", "k1")
        .json(&messages_body("claude-nope", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "not_found_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("claude-nope")
    );

    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .header("authorization", "Bearer k1")
        .json(&messages_body("echo", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn count_tokens_and_model_list() {
    let gw =
        start("[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n").await;
    let resp = client()
        .post(format!("{}/v1/messages/count_tokens", gw.url))
        .json(&json!({"model": "echo", "messages": [{"role": "user", "content": "Hello there, how are you?"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body["input_tokens"].as_u64().unwrap() > 0);

    let body: Value = client()
        .get(format!("{}/v1/models", gw.url))
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"][0]["type"], "model");
    assert_eq!(body["data"][0]["id"], "echo");
    assert_eq!(body["has_more"], false);
}
