//! OpenAI Responses front-end over real HTTP, through the `openai` provider.

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::*;
use crate::mock;

async fn post_to(url: &str, path: &str, body: &Value) -> (u16, Value) {
    let resp = client()
        .post(format!("{url}{path}"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn respond(url: &str, body: &Value) -> (u16, Value) {
    post_to(url, "/v1/responses", body).await
}

/// The streamed events, after checking each one's framing: an `event:`
/// line naming the `type`, and sequence numbers 0, 1, 2, …
async fn respond_sse(url: &str, body: &Value) -> (u16, String, Vec<Value>) {
    let resp = client()
        .post(format!("{url}/v1/responses"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut text = String::new();
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let mut events = Vec::new();
    for (n, block) in text
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .enumerate()
    {
        let (name, data) = block.split_once('\n').unwrap();
        let event: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(
            Some(event["type"].as_str().unwrap()),
            name.strip_prefix("event: ")
        );
        assert_eq!(event["sequence_number"], n);
        events.push(event);
    }
    (status, content_type, events)
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn weather_tool() -> Value {
    json!({"type": "function", "name": "get_weather", "description": "Weather",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": true})
}

#[tokio::test]
async fn text_round_trip() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let body = json!({
        "model": "gpt-fake",
        "input": "Hello",
        "instructions": "Be brief.",
        "temperature": 0.5,
        "max_output_tokens": 64,
        "store": false,
        "metadata": {"k": "v"},
    });
    let (status, resp) = respond(&gw.url, &body).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["object"], "response");
    assert!(resp["id"].as_str().unwrap().starts_with("resp_"));
    assert_eq!(resp["status"], "completed");
    assert_eq!(resp["model"], "gpt-fake");
    let message = &resp["output"][0];
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["status"], "completed");
    assert!(message["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(
        message["content"][0],
        json!({"type": "output_text", "text": "Hello from fake openai-chat upstream.", "annotations": [], "logprobs": []})
    );
    assert_eq!(resp["usage"]["input_tokens"], 10);
    assert_eq!(resp["usage"]["output_tokens"], 5);
    assert_eq!(resp["usage"]["total_tokens"], 15);
    assert_eq!(resp["instructions"], "Be brief.");
    assert_eq!(resp["max_output_tokens"], 64);
    assert_eq!(resp["store"], false);
    assert_eq!(resp["metadata"], json!({"k": "v"}));
    assert_eq!(resp["tools"], json!([]));
    assert_eq!(resp["tool_choice"], "auto");
    assert_eq!(resp["previous_response_id"], Value::Null);

    let (headers, sent) = mock.last_request();
    assert_eq!(headers["authorization"], "Bearer sk-upstream-secret");
    assert_eq!(
        sent["messages"],
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}])
    );
    assert_eq!(sent["temperature"], 0.5);
    assert_eq!(sent["max_tokens"], 64);
    assert!(
        sent.get("store").is_none() && sent.get("metadata").is_none(),
        "Responses-only fields stay out of a chat upstream: {sent}"
    );

    // The short path serves the same API.
    let (status, resp) = post_to(
        &gw.url,
        "/responses",
        &json!({"model": "gpt-fake", "input": "Hi"}),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["object"], "response");
}

#[tokio::test]
async fn text_stream_has_the_full_grammar() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, content_type, events) = respond_sse(
        &gw.url,
        &json!({"model": "gpt-fake", "input": [{"role": "user", "content": "Hello"}], "stream": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/event-stream"));
    let kinds = kinds(&events);
    assert_eq!(
        kinds[..4],
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        kinds[kinds.len() - 4..],
        [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| {
            assert_eq!(e["logprobs"], json!([]));
            e["delta"].as_str().unwrap()
        })
        .collect();
    assert_eq!(text, "Hello from fake openai-chat upstream.");
    let id = &events[0]["response"]["id"];
    let completed = &events.last().unwrap()["response"];
    assert_eq!(&completed["id"], id);
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["output"][0]["content"][0]["text"], text);
    let (_, sent) = mock.last_request();
    assert_eq!(sent["stream"], true);
}

#[tokio::test]
async fn tool_calls_whole_and_parallel_stream() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let body = json!({
        "model": "gpt-tool",
        "input": "Weather in Paris?",
        "tools": [weather_tool(), {"type": "web_search"}],
        "tool_choice": "auto",
    });
    let (status, resp) = respond(&gw.url, &body).await;
    assert_eq!(status, 200, "{resp}");
    let call = &resp["output"][0];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["call_id"], "call_fake1");
    assert_eq!(call["name"], "get_weather");
    assert_eq!(call["arguments"], "{\"city\": \"Paris\"}");
    assert_eq!(call["status"], "completed");
    assert!(call["id"].as_str().unwrap().starts_with("fc_"));
    assert_eq!(resp["tools"], body["tools"], "tools are echoed as sent");
    let (_, sent) = mock.last_request();
    assert_eq!(
        sent["tools"],
        json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]),
        "only function tools reach a chat upstream"
    );
    assert_eq!(sent["tool_choice"], "auto");

    let (status, _, events) = respond_sse(
        &gw.url,
        &json!({"model": "gpt-parallel", "input": "Weather and time?", "stream": true}),
    )
    .await;
    assert_eq!(status, 200);
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.added")
        .collect();
    assert_eq!(added.len(), 2);
    // Items never interleave: each call is added, streamed and done in turn.
    let mut open: Option<u64> = None;
    for event in &events {
        match event["type"].as_str().unwrap() {
            "response.output_item.added" => {
                assert!(open.is_none());
                open = event["output_index"].as_u64();
            }
            "response.function_call_arguments.delta" | "response.function_call_arguments.done" => {
                assert_eq!(event["output_index"].as_u64(), open);
            }
            "response.output_item.done" => {
                assert_eq!(event["output_index"].as_u64(), open);
                open = None;
            }
            _ => {}
        }
    }
    let output = &events.last().unwrap()["response"]["output"];
    assert_eq!(events.last().unwrap()["type"], "response.completed");
    assert_eq!(output[0]["call_id"], "call_a");
    assert_eq!(output[0]["arguments"], "{\"city\":\"Paris\"}");
    assert_eq!(output[1]["call_id"], "call_b");
    assert_eq!(output[1]["arguments"], "{\"tz\":\"CET\"}");
    assert_eq!(
        events.last().unwrap()["response"]["usage"]["total_tokens"],
        13
    );
}

#[tokio::test]
async fn tool_result_turn_reaches_the_upstream() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let body = json!({
        "model": "gpt-fake",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "enc"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "get_weather", "arguments": "{\"city\":\"Rome\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "rainy"}]}
        ],
        "tools": [weather_tool()],
    });
    let (status, resp) = respond(&gw.url, &body).await;
    assert_eq!(status, 200, "{resp}");
    let (_, sent) = mock.last_request();
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 5, "{sent}");
    assert_eq!(
        messages[0],
        json!({"role": "developer", "content": "rules"})
    );
    assert_eq!(messages[2]["role"], "assistant");
    let calls = messages[2]["tool_calls"].as_array().unwrap();
    assert_eq!(
        calls.len(),
        2,
        "parallel calls fold into one assistant turn"
    );
    assert_eq!(calls[0]["id"], "call_1");
    assert_eq!(calls[1]["function"]["arguments"], "{\"city\":\"Rome\"}");
    assert_eq!(
        messages[3],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "sunny"})
    );
    assert_eq!(messages[4]["tool_call_id"], "call_2");
    assert_eq!(messages[4]["content"], "rainy");
}

#[tokio::test]
async fn errors_come_in_openai_shape() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, resp) = respond(&gw.url, &json!({"model": "gpt-400", "input": "x"})).await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["message"], "Invalid value for 'temperature'");
    assert_eq!(resp["error"]["type"], "invalid_request_error");

    let (status, resp) = respond(
        &gw.url,
        &json!({"model": "gpt-500", "input": "x", "stream": true}),
    )
    .await;
    assert_eq!(
        status, 500,
        "a stream that fails before any byte gets a plain error"
    );
    assert_eq!(resp["error"]["message"], "upstream exploded");

    let (status, resp) = respond(
        &gw.url,
        &json!({"model": "gpt-fake", "input": "x", "previous_response_id": "resp_1"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["param"], "previous_response_id");
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not store")
    );

    let (status, resp) = respond(
        &gw.url,
        &json!({"model": "gpt-fake", "input": [{"type": "item_reference", "id": "msg_1"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["param"], "input[0]");

    let resp = client()
        .post(format!("{}/v1/responses", gw.url))
        .header("content-type", "application/json")
        .body("{\"model\": \"gpt-fake\", \"input\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");

    let (status, resp) = respond(
        &gw.url,
        &json!({"model": "gpt-fake", "input": "x", "temperature": "hot"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["param"], "temperature");
}

#[tokio::test]
async fn unknown_model_is_a_404() {
    let gw =
        start("[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n").await;
    let (status, resp) = respond(&gw.url, &json!({"model": "gpt-nope", "input": "x"})).await;
    assert_eq!(status, 404);
    assert_eq!(resp["error"]["code"], "model_not_found");
    assert_eq!(resp["error"]["type"], "not_found_error");

    let (status, resp) = respond(&gw.url, &json!({"model": "echo", "input": "ping"})).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["output"][0]["content"][0]["text"], "echo: ping");
}

#[tokio::test]
async fn a_cut_stream_ends_with_response_failed() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, _, events) = respond_sse(
        &gw.url,
        &json!({"model": "gpt-cut", "input": "x", "stream": true}),
    )
    .await;
    assert_eq!(status, 200);
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.failed", "{events:?}");
    assert_eq!(last["response"]["status"], "failed");
    assert!(last["response"]["error"]["message"].is_string());
    assert_eq!(last["response"]["id"], events[0]["response"]["id"]);
    assert!(events.iter().any(|e| e["delta"] == "partial"));
}
