//! The Gemini front-end (`models/{model}:{action}`) through the `openai`
//! provider plugin and the mock OpenAI upstream.

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::*;
use crate::mock;

fn contents(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

/// POST `body` to `path`; the status, the content type and the body text.
async fn send(url: &str, path: &str, body: &Value) -> (u16, String, String) {
    let resp = client()
        .post(format!("{url}{path}"))
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
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Err(_) => break,
        }
    }
    (status, content_type, text)
}

async fn post_json(url: &str, path: &str, body: &Value) -> (u16, Value) {
    let (status, _, text) = send(url, path, body).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The `data:` payloads of an SSE body.
fn sse_chunks(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap_or(Value::String(d.to_string())))
        .collect()
}

fn joined_text(chunks: &[Value]) -> String {
    chunks
        .iter()
        .flat_map(|c| {
            c["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|p| p.get("thought").is_none())
        .filter_map(|p| p["text"].as_str().map(str::to_string))
        .collect()
}

const WEATHER_TOOL: &str = r#"[{"functionDeclarations": [{"name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}}]}]"#;

#[tokio::test]
async fn generate_content_maps_fields_both_ways() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = contents("Hello");
    body["systemInstruction"] = json!({"parts": [{"text": "be brief"}]});
    body["generationConfig"] =
        json!({"temperature": 0.5, "maxOutputTokens": 64, "stopSequences": ["END"], "topK": 3});
    body["safetySettings"] =
        json!([{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]);
    for path in [
        "/v1beta/models/gpt-fake:generateContent",
        "/v1/models/models/gpt-fake:generateContent",
    ] {
        let (status, resp) = post_json(&gw.url, path, &body).await;
        assert_eq!(status, 200, "{resp}");
        let candidate = &resp["candidates"][0];
        assert_eq!(
            candidate["content"],
            json!({"role": "model", "parts": [{"text": "Hello from fake openai-chat upstream."}]})
        );
        assert_eq!(candidate["finishReason"], "STOP");
        assert_eq!(candidate["index"], 0);
        assert_eq!(
            resp["usageMetadata"],
            json!({"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15})
        );
        assert_eq!(resp["modelVersion"], "gpt-fake");
        assert_eq!(resp["responseId"], "chatcmpl-fake1");
        assert!(
            resp.get("system_fingerprint").is_none(),
            "OpenAI extras stay out"
        );

        let (_, sent) = mock.last_request();
        assert_eq!(sent["model"], "gpt-fake");
        assert_eq!(
            sent["messages"],
            json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hello"}])
        );
        assert_eq!(sent["temperature"], 0.5);
        assert_eq!(
            sent["max_tokens"]
                .as_u64()
                .or(sent["max_completion_tokens"].as_u64()),
            Some(64)
        );
        assert_eq!(sent["stop"], json!(["END"]));
        assert!(sent.get("stream").is_none_or(|s| s == false));
        assert!(
            sent.get("safetySettings").is_none() && sent.get("generationConfig").is_none(),
            "Gemini-only fields never reach an OpenAI upstream: {sent}"
        );
    }
}

#[tokio::test]
async fn sse_stream_ends_with_finish_reason_and_usage() {
    let mock = mock::start().await;
    let gw = start(&format!(
        "[server]\napi_keys = [\"local-key\"]\n{}",
        openai_upstream(&mock.url)
    ))
    .await;
    let (status, content_type, text) = send(
        &gw.url,
        "/v1beta/models/gpt-fake:streamGenerateContent?alt=sse&key=local-key",
        &contents("Hello"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/event-stream");
    let chunks = sse_chunks(&text);
    assert!(chunks.len() >= 3, "{text}");
    assert_eq!(
        joined_text(&chunks),
        "Hello from fake openai-chat upstream."
    );
    for chunk in &chunks {
        assert_eq!(chunk["modelVersion"], "gpt-fake");
        assert_eq!(chunk["responseId"], "chatcmpl-fake1");
        assert_eq!(chunk["candidates"][0]["content"]["role"], "model");
    }
    let last = chunks.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["usageMetadata"]["totalTokenCount"], 15);
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["candidates"][0].get("finishReason").is_none())
    );
    let (headers, sent) = mock.last_request();
    assert_eq!(sent["stream"], true, "the action, not the body, streams");
    assert_eq!(headers["authorization"], "Bearer sk-upstream-secret");
}

#[tokio::test]
async fn stream_without_alt_is_one_json_array() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, content_type, text) = send(
        &gw.url,
        "/v1/models/gpt-fake:streamGenerateContent",
        &contents("Hello"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "application/json");
    assert!(text.starts_with('[') && text.ends_with(']'), "{text}");
    assert!(text.contains("},\r\n{"), "{text}");
    let chunks: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(
        joined_text(&chunks),
        "Hello from fake openai-chat upstream."
    );
    assert_eq!(
        chunks.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );
}

#[tokio::test]
async fn tool_round_trip() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = contents("Weather in Paris?");
    body["tools"] = serde_json::from_str(WEATHER_TOOL).unwrap();
    body["toolConfig"] = json!({"functionCallingConfig": {"mode": "ANY"}});
    let (status, resp) = post_json(&gw.url, "/v1beta/models/gpt-tool:generateContent", &body).await;
    assert_eq!(status, 200, "{resp}");
    let part = &resp["candidates"][0]["content"]["parts"][0];
    assert_eq!(
        part["functionCall"],
        json!({"id": "call_fake1", "name": "get_weather", "args": {"city": "Paris"}})
    );
    assert_eq!(resp["candidates"][0]["finishReason"], "STOP");
    let (_, sent) = mock.last_request();
    assert_eq!(
        sent["tools"][0]["function"]["parameters"],
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    );
    assert_eq!(sent["tool_choice"], "required");

    // Streamed, the call arrives whole in one part.
    let (status, _, text) = send(
        &gw.url,
        "/v1beta/models/gpt-tool:streamGenerateContent?alt=sse",
        &body,
    )
    .await;
    assert_eq!(status, 200);
    let chunks = sse_chunks(&text);
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["candidates"][0]["content"]["parts"][0].get("functionCall"))
        .collect();
    assert_eq!(
        calls,
        vec![&json!({"id": "call_fake1", "name": "get_weather", "args": {"city": "Paris"}})]
    );
    assert_eq!(
        chunks.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );

    // The client replays the call without an id and answers it by name.
    let body = json!({"contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}}]}
    ]});
    let (status, resp) = post_json(&gw.url, "/v1beta/models/gpt-fake:generateContent", &body).await;
    assert_eq!(status, 200, "{resp}");
    let (_, sent) = mock.last_request();
    let call = &sent["messages"][1]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], "{\"city\":\"Paris\"}");
    assert_eq!(
        sent["messages"][2],
        json!({"role": "tool", "tool_call_id": call["id"], "content": "{\"output\":\"sunny\"}"})
    );
}

#[tokio::test]
async fn parallel_calls_stream_as_separate_parts() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, _, text) = send(
        &gw.url,
        "/v1beta/models/gpt-parallel:streamGenerateContent?alt=sse",
        &contents("both"),
    )
    .await;
    assert_eq!(status, 200);
    let chunks = sse_chunks(&text);
    let names: Vec<&str> = chunks
        .iter()
        .filter_map(|c| c["candidates"][0]["content"]["parts"][0]["functionCall"]["name"].as_str())
        .collect();
    assert_eq!(names, vec!["get_weather", "get_time"]);
    let last = chunks.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["usageMetadata"]["totalTokenCount"], 13);
}

#[tokio::test]
async fn errors_are_in_google_shape() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, resp) = post_json(
        &gw.url,
        "/v1beta/models/gpt-400:generateContent",
        &contents("x"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        resp,
        json!({"error": {"code": 400, "message": "Invalid value for 'temperature'", "status": "INVALID_ARGUMENT"}})
    );

    let (status, resp) = post_json(
        &gw.url,
        "/v1beta/models/gpt-500:streamGenerateContent?alt=sse",
        &contents("x"),
    )
    .await;
    assert_eq!(status, 500, "an error before any byte is a plain error");
    assert_eq!(resp["error"]["message"], "upstream exploded");

    // A stream cut mid-way ends with an error event.
    let (status, _, text) = send(
        &gw.url,
        "/v1beta/models/gpt-cut:streamGenerateContent?alt=sse",
        &contents("x"),
    )
    .await;
    assert_eq!(status, 200);
    let chunks = sse_chunks(&text);
    assert_eq!(joined_text(&chunks), "partial");
    let last = chunks.last().unwrap();
    assert_eq!(last["error"]["code"], 502, "{text}");
    assert_eq!(last["error"]["status"], "INTERNAL");

    let (status, _, text) = send(
        &gw.url,
        "/v1beta/models/gpt-cut:streamGenerateContent",
        &contents("x"),
    )
    .await;
    assert_eq!(status, 200);
    let chunks: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(chunks.last().unwrap()["error"]["code"], 502);
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let resp = client()
        .post(format!("{}/v1beta/models/gpt-fake:generateContent", gw.url))
        .header("content-type", "application/json")
        .body("{\"contents\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );

    let mut body = contents("x");
    body["generationConfig"] = json!({"temperature": "hot"});
    let (status, resp) = post_json(&gw.url, "/v1beta/models/gpt-fake:generateContent", &body).await;
    assert_eq!(status, 400);
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("generationConfig.temperature"),
        "{resp}"
    );

    let (status, resp) = post_json(
        &gw.url,
        "/v1beta/models/gpt-fake:embedContent",
        &contents("x"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(resp["error"]["status"], "NOT_FOUND");
}

#[tokio::test]
async fn unknown_model_and_upstream_addressing() {
    let mock = mock::start().await;
    let gw = start(&format!(
        "[[upstreams]]\nname = \"mock\"\nprovider = \"openai\"\nbase_url = \"{}\"\napi_keys = [\"k\"]\nmodels = [\"gpt-*\"]\n",
        mock.url
    ))
    .await;
    let (status, resp) = post_json(
        &gw.url,
        "/v1beta/models/claude-nope:generateContent",
        &contents("x"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(resp["error"]["status"], "NOT_FOUND");
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("claude-nope")
    );

    // `upstream/model`: the model name holds a `/`.
    let (status, resp) = post_json(
        &gw.url,
        "/v1beta/models/mock/custom-model:generateContent",
        &contents("x"),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(mock.last_request().1["model"], "custom-model");
}

#[tokio::test]
async fn count_tokens_is_a_local_estimate() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let text = "a".repeat(400);
    let (status, resp) = post_json(
        &gw.url,
        "/v1beta/models/gpt-fake:countTokens",
        &contents(&text),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    let total = resp["totalTokens"].as_u64().unwrap();
    assert!((100..=110).contains(&total), "{resp}");

    let wrapped = json!({"generateContentRequest": {"model": "models/gpt-fake", "contents": contents(&text)["contents"]}});
    let (status, resp) = post_json(&gw.url, "/v1/models/gpt-fake:countTokens", &wrapped).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["totalTokens"].as_u64(), Some(total));
    assert_eq!(
        mock.state.calls.load(std::sync::atomic::Ordering::SeqCst),
        0
    );

    let (status, resp) =
        post_json(&gw.url, "/v1beta/models/gpt-fake:countTokens", &json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["status"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn models_are_listed_in_gemini_shape() {
    let gw = start(
        "[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\", \"llama-*\"]\n",
    )
    .await;
    let get = |path: &str, gemini: bool| {
        let mut request = client().get(format!("{}{path}", gw.url));
        if gemini {
            request = request.header("x-goog-api-key", "any");
        }
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, list) = get("/v1beta/models?pageSize=50", false).await;
    assert_eq!(status, 200);
    let model = &list["models"][0];
    assert_eq!(model["name"], "models/echo");
    assert_eq!(model["displayName"], "echo");
    assert_eq!(
        model["supportedGenerationMethods"],
        json!(["generateContent", "streamGenerateContent", "countTokens"])
    );

    let (status, model) = get("/v1beta/models/echo", false).await;
    assert_eq!(status, 200);
    assert_eq!(model["name"], "models/echo");
    let (status, error) = get("/v1beta/models/nope", false).await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["status"], "NOT_FOUND");

    // `/v1/models` is shared with OpenAI: the Gemini key header picks the shape.
    let (_, list) = get("/v1/models", true).await;
    assert_eq!(list["models"][0]["name"], "models/echo");
    let (_, list) = get("/v1/models", false).await;
    assert_eq!(list["data"][0]["id"], "echo");
    let (status, model) = get("/v1/models/models/echo", true).await;
    assert_eq!(status, 200);
    assert_eq!(model["name"], "models/echo");
    // Without it, OpenAI's model object (the SDK's `models.retrieve`).
    let (status, model) = get("/v1/models/echo", false).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&model["id"], &model["object"]),
        (&json!("echo"), &json!("model"))
    );
    let (status, error) = get("/v1/models/nope", false).await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["code"], "model_not_found");
}
