//! Non-streamed chat through the `openai` provider plugin.

use serde_json::json;

use crate::common::*;
use crate::mock;

#[tokio::test]
async fn text_round_trip_carries_fields_and_credentials() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = chat_body("gpt-fake", false);
    body["temperature"] = json!(0.5);
    body["user"] = json!("u-1");
    let (status, resp) = post(&gw.url, &body).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["object"], "chat.completion");
    assert_eq!(
        resp["choices"][0]["message"]["content"],
        "Hello from fake openai-chat upstream."
    );
    assert_eq!(resp["choices"][0]["finish_reason"], "stop");
    assert_eq!(resp["usage"]["total_tokens"], 15);
    assert_eq!(resp["system_fingerprint"], "fp_fake");

    let (headers, sent) = mock.last_request();
    assert_eq!(headers["authorization"], "Bearer sk-upstream-secret");
    assert_eq!(sent["model"], "gpt-fake");
    assert_eq!(sent["temperature"], 0.5);
    assert_eq!(sent["user"], "u-1", "unknown fields survive via extra");
    assert_eq!(sent["messages"][0]["content"], "Hello");
}

/// The answer's choice and message fields with no canonical home (token
/// log probabilities, a server's own `stop_reason`, a refusal) reach the
/// client as sent.
#[tokio::test]
async fn logprobs_refusals_and_other_choice_fields_survive() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = chat_body("gpt-logprobs", false);
    body["logprobs"] = json!(true);
    body["top_logprobs"] = json!(1);
    let (status, resp) = post(&gw.url, &body).await;
    assert_eq!(status, 200, "{resp}");
    let choice = &resp["choices"][0];
    assert_eq!(choice["logprobs"]["content"][0]["token"], "Hello");
    assert_eq!(choice["logprobs"]["content"][0]["logprob"], -0.31);
    assert_eq!(
        choice["logprobs"]["content"][0]["top_logprobs"][0]["bytes"],
        serde_json::Value::Null
    );
    assert_eq!(choice["stop_reason"], 128009);
    assert_eq!(choice["index"], 0);
    assert!(resp.get("$choice").is_none(), "{resp}");
    let (_, sent) = mock.last_request();
    assert_eq!(sent["logprobs"], true);
    assert_eq!(sent["top_logprobs"], 1);

    let (status, resp) = post(&gw.url, &chat_body("gpt-refusal", false)).await;
    assert_eq!(status, 200, "{resp}");
    let message = &resp["choices"][0]["message"];
    assert_eq!(message["refusal"], "I can't help with that.");
    assert_eq!(message["content"], serde_json::Value::Null);
    assert_eq!(message["annotations"], json!([]));
}

#[tokio::test]
async fn tool_calls_single_and_parallel() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = chat_body("gpt-tool", false);
    body["tools"] = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    body["tool_choice"] = json!("auto");
    let (status, resp) = post(&gw.url, &body).await;
    assert_eq!(status, 200, "{resp}");
    let calls = &resp["choices"][0]["message"]["tool_calls"];
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    assert_eq!(resp["choices"][0]["finish_reason"], "tool_calls");
    let (_, sent) = mock.last_request();
    assert_eq!(
        sent["tools"][0]["function"]["parameters"]["properties"]["city"]["type"],
        "string"
    );
    assert_eq!(sent["tool_choice"], "auto");

    let (status, resp) = post(&gw.url, &chat_body("gpt-parallel", false)).await;
    assert_eq!(status, 200, "{resp}");
    let calls = resp["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["function"]["arguments"], "{\"tz\":\"CET\"}");
}

#[tokio::test]
async fn tool_result_turn_is_sent_upstream() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let body = json!({
        "model": "gpt-fake",
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
        ]
    });
    let (status, _) = post(&gw.url, &body).await;
    assert_eq!(status, 200);
    let (_, sent) = mock.last_request();
    assert_eq!(sent["messages"][1]["tool_calls"][0]["id"], "call_1");
    assert_eq!(
        sent["messages"][2],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "sunny"})
    );
}

#[tokio::test]
async fn upstream_errors_pass_through_in_openai_shape() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, resp) = post(&gw.url, &chat_body("gpt-400", false)).await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["message"], "Invalid value for 'temperature'");
    assert_eq!(resp["error"]["type"], "invalid_request_error");

    let (status, resp) = post(&gw.url, &chat_body("gpt-500", true)).await;
    assert_eq!(
        status, 500,
        "a streamed request that fails before any byte gets a plain error"
    );
    assert_eq!(resp["error"]["message"], "upstream exploded");
}

/// A rate-limited client learns when to retry, in its own format, streamed
/// or not; an error without that advice carries none.
#[tokio::test]
async fn rate_limits_pass_on_when_to_retry() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let messages = json!([{"role": "user", "content": "Hello"}]);
    for stream in [false, true] {
        for (path, body) in [
            ("/v1/chat/completions", chat_body("gpt-429", stream)),
            (
                "/v1/messages",
                json!({"model": "gpt-429", "max_tokens": 10, "stream": stream, "messages": messages}),
            ),
        ] {
            let resp = client()
                .post(format!("{}{path}", gw.url))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 429, "{path}");
            assert_eq!(resp.headers()["retry-after"], "7", "{path}");
            assert_eq!(resp.headers()["retry-after-ms"], "7000", "{path}");
            let error: serde_json::Value = resp.json().await.unwrap();
            // OpenAI's and Anthropic's error bodies both name the kind here.
            assert_eq!(
                error["error"]["type"], "rate_limit_error",
                "{path}: {error}"
            );
        }
    }
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat_body("gpt-500", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert!(resp.headers().get("retry-after").is_none());
}

/// A wrong method or an unknown path gets an error body in the format the
/// path belongs to, not an empty answer.
#[tokio::test]
async fn wrong_methods_and_paths_get_errors_in_the_paths_format() {
    let gw = start("").await;
    for (method, path, status, anthropic) in [
        (reqwest::Method::GET, "/v1/chat/completions", 405, false),
        (reqwest::Method::PUT, "/v1/messages", 405, true),
        (reqwest::Method::POST, "/health", 405, false),
        (reqwest::Method::POST, "/v2/nothing", 404, false),
        (reqwest::Method::POST, "/v1/messages/nothing", 404, true),
    ] {
        let resp = client()
            .request(method.clone(), format!("{}{path}", gw.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{method} {path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(path), "{method} {path}: {body}");
        assert_eq!(
            body["type"] == "error",
            anthropic,
            "{method} {path}: {body}"
        );
    }
}

/// A rate-limited key, a failing or unreachable upstream: the next key,
/// then the next upstream that serves the model, answers. A request error
/// or a named upstream is not retried elsewhere, and when every try fails
/// the client gets the last failure.
#[tokio::test]
async fn failures_move_on_to_the_next_key_and_upstream() {
    let mock = mock::start().await;
    let calls = || mock.state.calls.load(std::sync::atomic::Ordering::SeqCst);
    let upstream = |name: &str, base: &str, keys: &str| {
        format!(
            "[[upstreams]]\nname = \"{name}\"\nprovider = \"openai\"\nbase_url = \"{base}\"\napi_keys = [{keys}]\nmodels = [\"*\"]\n"
        )
    };
    let gw = start(&format!(
        "{}{}{}",
        upstream("down", "http://127.0.0.1:9/v1", "\"sk-x\""),
        upstream("limited", &mock.url, "\"sk-bad\""),
        upstream("keys", &mock.url, "\"sk-bad\", \"sk-good\""),
    ))
    .await;

    // Unreachable, then 429 with sk-bad, then sk-good (first or second).
    for _ in 0..4 {
        let (status, resp) = post(&gw.url, &chat_body("gpt-keyed", false)).await;
        assert_eq!(status, 200, "{resp}");
        let (_, events) = post_sse(&gw.url, &chat_body("gpt-keyed", true)).await;
        assert_eq!(
            streamed_text(&events),
            "Hello from fake openai-chat upstream."
        );
    }
    let (headers, _) = mock.last_request();
    assert_eq!(headers["authorization"], "Bearer sk-good");
    let before = calls();

    // A request error is the client's: one call, no failover.
    let (status, _) = post(&gw.url, &chat_body("gpt-400", false)).await;
    assert_eq!(status, 400);
    assert_eq!(calls(), before + 1);

    // A named upstream is the only one tried; its last failure is answered.
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat_body("limited/gpt-keyed", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(calls(), before + 2);
    let (status, resp) = post(&gw.url, &chat_body("down/gpt-keyed", false)).await;
    assert_eq!(status, 502, "{resp}");
}

/// An upstream that failed three tries in a row rests: the next requests
/// go to the other upstream first, and it is not called while that one
/// answers. Resting reorders; it refuses nothing.
#[tokio::test]
async fn an_upstream_that_keeps_failing_is_tried_last() {
    let mock = mock::start().await;
    let limited_calls = || {
        let requests = mock.state.requests.lock().unwrap();
        requests
            .iter()
            .filter(|(headers, _)| headers["authorization"] == "Bearer sk-bad")
            .count()
    };
    let upstream = |name: &str, key: &str| {
        format!(
            "[[upstreams]]\nname = \"{name}\"\nprovider = \"openai\"\nbase_url = \"{}\"\napi_keys = [\"{key}\"]\nmodels = [\"*\"]\n",
            mock.url
        )
    };
    let gw = start(&(upstream("limited", "sk-bad") + &upstream("good", "sk-good"))).await;
    // `limited` answers 429 each time; `good` then answers.
    for _ in 0..3 {
        let (status, resp) = post(&gw.url, &chat_body("gpt-keyed", false)).await;
        assert_eq!(status, 200, "{resp}");
    }
    assert_eq!(limited_calls(), 3);
    // Resting: `good` first, and it answers.
    for stream in [false, true, false] {
        let (status, _) = if stream {
            let (status, events) = post_sse(&gw.url, &chat_body("gpt-keyed", true)).await;
            (status, serde_json::Value::Array(events))
        } else {
            post(&gw.url, &chat_body("gpt-keyed", false)).await
        };
        assert_eq!(status, 200);
    }
    assert_eq!(limited_calls(), 3, "a resting upstream was tried first");
    // Named, it is still served (and still refuses).
    let (status, _) = post(&gw.url, &chat_body("limited/gpt-keyed", false)).await;
    assert_eq!(status, 429);
    assert_eq!(limited_calls(), 4);
}

/// A base URL that reaches a web page: the client is told so, whole or
/// streamed, with the page's title and status, not its markup.
#[tokio::test]
async fn a_web_page_upstream_is_named_not_quoted() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    for (model, status) in [("gpt-webpage", 502), ("gpt-webpage-404", 404)] {
        for stream in [false, true] {
            let (got, resp) = post(&gw.url, &chat_body(model, stream)).await;
            assert_eq!(got, status, "{model}: {resp}");
            let message = resp["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("web page (\"Welcome to nginx!\")")
                    && message.contains("base_url")
                    && !message.contains('<'),
                "{model}: {message}"
            );
        }
    }
}

/// An upstream that streams though asked not to still gives a whole
/// answer: the same one its JSON would have given.
#[tokio::test]
async fn an_upstream_that_always_streams_still_answers_whole() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    for (streaming, whole) in [
        ("gpt-alwaysstream", "gpt-fake"),
        ("gpt-alwaysstream-tool", "gpt-tool"),
    ] {
        let (status, got) = post(&gw.url, &chat_body(streaming, false)).await;
        assert_eq!(status, 200, "{got}");
        let (_, expected) = post(&gw.url, &chat_body(whole, false)).await;
        for field in ["message", "finish_reason"] {
            assert_eq!(
                got["choices"][0][field], expected["choices"][0][field],
                "{streaming}: {got}"
            );
        }
        assert_eq!(got["id"], expected["id"]);
    }
}

/// A key the upstream rate-limited rests: the next requests go straight to
/// the other key instead of each trying it first.
#[tokio::test]
async fn a_rate_limited_key_rests() {
    let mock = mock::start().await;
    let calls = || mock.state.calls.load(std::sync::atomic::Ordering::SeqCst);
    let gw = start(&format!(
        "[[upstreams]]\nname = \"keys\"\nprovider = \"openai\"\nbase_url = \"{}\"\napi_keys = [\"sk-bad\", \"sk-good\"]\nmodels = [\"*\"]\n",
        mock.url
    ))
    .await;
    let (status, _) = post(&gw.url, &chat_body("gpt-keyed", false)).await;
    assert_eq!(status, 200);
    let first = calls();
    assert!(first == 2 || first == 1, "{first}");
    for _ in 0..6 {
        let (status, _) = post(&gw.url, &chat_body("gpt-keyed", false)).await;
        assert_eq!(status, 200);
    }
    let tried_bad = first == 2;
    let after = calls() - first;
    assert_eq!(
        after,
        if tried_bad { 6 } else { 6 + 1 },
        "one request per call once sk-bad has been seen to rest"
    );
}

#[tokio::test]
async fn unknown_model_lists_what_is_available() {
    let gw = start(
        "[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\", \"llama-*\"]\n",
    )
    .await;
    let (status, resp) = post(&gw.url, &chat_body("gpt-nope", false)).await;
    assert_eq!(status, 404);
    assert_eq!(resp["error"]["code"], "model_not_found");
    let message = resp["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("gpt-nope") && message.contains("llama-*"),
        "{message}"
    );

    let models: serde_json::Value = client()
        .get(format!("{}/v1/models", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "echo");
}

#[tokio::test]
async fn malformed_requests_name_the_field() {
    let gw =
        start("[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n").await;
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .header("content-type", "application/json")
        .body("{\"model\": \"echo\", \"messages\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");

    let (status, resp) = post(&gw.url, &json!({"model": "echo", "messages": [{"role": "user", "content": "x"}], "max_tokens": "ten"})).await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["param"], "max_tokens");
}

#[tokio::test]
async fn a_compressed_body_is_refused_by_name_in_each_format() {
    let gw =
        start("[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n").await;
    // A gzip stream's first bytes; any body: the encoding is refused.
    let gzip = vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00];
    for (path, error_of) in [
        ("/v1/chat/completions", "/error/code"),
        ("/v1/responses", "/error/code"),
        ("/v1/messages", "/error/type"),
        ("/v1beta/models/echo:generateContent", "/error/status"),
        ("/v1/messages/count_tokens", "/error/type"),
        ("/v1beta/models/echo:countTokens", "/error/status"),
    ] {
        let resp = client()
            .post(format!("{}{path}", gw.url))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(gzip.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 415, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(
            body.pointer(error_of).is_some_and(|v| v.is_string()),
            "{path}: {body}"
        );
        let text = body.to_string();
        assert!(
            text.contains("content-encoding: gzip") && text.contains("uncompressed"),
            "{path}: {text}"
        );
    }
    // `identity` is no encoding.
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .header("content-encoding", "identity")
        .json(&chat_body("echo", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn echo_demo_answers_without_keys() {
    let gw = start_config(wasmgate::config::Config {
        plugins: wasmgate::config::Config::parse(&config_text(""))
            .unwrap()
            .plugins,
        ..wasmgate::config::Config::demo()
    })
    .await;
    let (status, resp) = post(&gw.url, &chat_body("echo", false)).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["choices"][0]["message"]["content"], "echo: Hello");
    let (status, events) = post_sse(&gw.url, &chat_body("echo", true)).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&events), "echo: Hello");
    assert_eq!(events.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn upstream_credentials_never_reach_the_client() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, resp) = post(&gw.url, &chat_body("gpt-401", false)).await;
    assert_eq!(status, 401);
    let message = resp["error"]["message"].as_str().unwrap();
    assert!(!message.contains("sk-upstream-secret"), "{message}");
    assert!(message.contains("[redacted]"), "{message}");
    // Nor an error event inside a stream.
    let (status, events) = post_sse(&gw.url, &chat_body("gpt-streamleak", true)).await;
    assert_eq!(status, 200);
    let text = serde_json::Value::Array(events).to_string();
    assert!(!text.contains("sk-upstream-secret"), "{text}");
    assert!(text.contains("[redacted] was revoked"), "{text}");
}
