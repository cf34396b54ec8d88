//! Streaming: chunk by chunk, tools, usage, cuts, stalls, disconnects.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;

use crate::common::*;
use crate::mock;

/// The same stream whether the upstream streams (`gpt-fake`) or ignores
/// `stream` and answers with one JSON body (`gpt-nostream`).
#[tokio::test]
async fn text_stream_matches_the_wire_contract() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    for model in ["gpt-fake", "gpt-nostream"] {
        let (status, events) = post_sse(&gw.url, &chat_body(model, true)).await;
        assert_eq!(status, 200, "{model}");
        assert_eq!(
            streamed_text(&events),
            "Hello from fake openai-chat upstream.",
            "{model}: {events:?}"
        );
        assert_eq!(events.last().unwrap(), "[DONE]");
        let chunks: Vec<_> = events.iter().filter(|e| e.is_object()).collect();
        for chunk in &chunks {
            assert_eq!(chunk["object"], "chat.completion.chunk");
            assert!(
                chunk["id"].is_string() && chunk["created"].is_u64() && chunk["model"].is_string()
            );
        }
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let finish = chunks[chunks.len() - 2];
        assert_eq!(finish["choices"][0]["finish_reason"], "stop", "{model}");
        let usage = chunks.last().unwrap();
        assert_eq!(usage["choices"], json!([]));
        assert_eq!(usage["usage"]["total_tokens"], 15);
        let (_, sent) = mock.last_request();
        assert_eq!(sent["model"], model);
        assert_eq!(sent["stream"], true);
        assert_eq!(sent["stream_options"]["include_usage"], true);
    }
}

#[tokio::test]
async fn usage_chunk_only_when_asked() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let mut body = chat_body("gpt-fake", true);
    body.as_object_mut().unwrap().remove("stream_options");
    let (_, events) = post_sse(&gw.url, &body).await;
    assert!(
        events.iter().all(|e| e.get("usage").is_none()),
        "{events:?}"
    );
}

#[tokio::test]
async fn chunks_flow_before_the_upstream_finishes() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    // The upstream holds its second chunk until we have seen the first.
    let (mut stream, seen) = tokio::time::timeout(Duration::from_secs(5), held_stream(&gw.url))
        .await
        .expect("the first chunk must arrive while the upstream is still open");
    assert!(!seen.contains("second"));
    mock.state.gate.notify_one();
    let mut rest = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        rest.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_eq!(streamed_text(&parse_sse(&rest)), " second");
    assert!(rest.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn streamed_tool_calls_keep_argument_order() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (_, events) = post_sse(&gw.url, &chat_body("gpt-tool", true)).await;
    let deltas: Vec<_> = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["tool_calls"][0].as_object())
        .collect();
    assert_eq!(deltas[0]["id"], "call_fake1");
    assert_eq!(deltas[0]["function"]["name"], "get_weather");
    let args: String = deltas
        .iter()
        .filter_map(|d| d["function"]["arguments"].as_str())
        .collect();
    assert_eq!(args, "{\"city\": \"Paris\"}");
    assert!(
        events
            .iter()
            .any(|e| e["choices"][0]["finish_reason"] == "tool_calls")
    );

    let (_, events) = post_sse(&gw.url, &chat_body("gpt-parallel", true)).await;
    let mut args = [String::new(), String::new()];
    for e in &events {
        if let Some(calls) = e["choices"][0]["delta"]["tool_calls"].as_array() {
            for call in calls {
                let i = call["index"].as_u64().unwrap() as usize;
                args[i].push_str(call["function"]["arguments"].as_str().unwrap_or_default());
            }
        }
    }
    assert_eq!(
        args,
        [
            "{\"city\":\"Paris\"}".to_string(),
            "{\"tz\":\"CET\"}".to_string()
        ]
    );
}

#[tokio::test]
async fn a_cut_stream_ends_with_an_error_event() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let (status, events) = post_sse(&gw.url, &chat_body("gpt-cut", true)).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&events), "partial");
    let last = events.last().unwrap();
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("broke off"),
        "{last}"
    );
    assert!(!events.iter().any(|e| e == "[DONE]"));
}

#[tokio::test]
async fn hanging_and_stalling_upstreams_time_out() {
    let mock = mock::start().await;
    let gw = start(&format!(
        "[http]\nfirst_byte_timeout_ms = 300\nidle_timeout_ms = 300\n{}",
        openai_upstream(&mock.url)
    ))
    .await;
    let started = std::time::Instant::now();
    let (status, resp) = post(&gw.url, &chat_body("gpt-hang", false)).await;
    assert_eq!(status, 504, "{resp}");
    assert_eq!(resp["error"]["code"], "upstream_timeout");
    assert!(started.elapsed() < Duration::from_secs(5));

    let (status, events) = post_sse(&gw.url, &chat_body("gpt-stall", true)).await;
    assert_eq!(status, 200);
    assert!(
        events.last().unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sent nothing")
    );
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat_body("gpt-endless", true))
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    assert!(!mock.state.endless_dropped.load(Ordering::SeqCst));
    drop(stream);
    let cancelled = tokio::time::timeout(Duration::from_secs(5), async {
        while !mock.state.endless_dropped.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        cancelled.is_ok(),
        "the upstream stream must be dropped when the client goes away"
    );
}

/// A stream refused before it says anything is answered as an error with
/// the refusal's status, in each client's format; an error after the
/// answer began stays an error event of a 200 stream.
#[tokio::test]
async fn a_stream_that_fails_before_it_begins_is_an_http_error() {
    let mock = mock::start().await;
    let gw = start(&openai_upstream(&mock.url)).await;
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat_body("gpt-streamerror", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Rate limit exceeded", "{body}");
    assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .json(
            &serde_json::json!({"model": "gpt-streamerror", "max_tokens": 10, "stream": true,
            "messages": [{"role": "user", "content": "x"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");

    let (status, events) = post_sse(&gw.url, &chat_body("gpt-cut", true)).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&events), "partial");
    assert!(
        events.iter().any(|e| e.get("error").is_some()),
        "{events:?}"
    );
}
