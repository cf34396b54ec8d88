//! Local access keys, never forwarded upstream.

use crate::common::*;
use crate::mock;

#[tokio::test]
async fn keys_are_required_in_any_accepted_place_and_not_forwarded() {
    let mock = mock::start().await;
    let gw = start(&format!(
        "[server]\napi_keys = [\"local-key\"]\n{}",
        openai_upstream(&mock.url)
    ))
    .await;
    let url = format!("{}/v1/chat/completions", gw.url);
    let body = chat_body("gpt-fake", false);

    let resp = client().post(&url).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["type"], "authentication_error");

    let wrong = client()
        .post(&url)
        .bearer_auth("nope")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    for request in [
        client().post(&url).bearer_auth("local-key"),
        client().post(&url).header("x-api-key", "local-key"),
        client().post(&url).header("x-goog-api-key", "local-key"),
        client().post(format!("{url}?key=local-key")),
    ] {
        let resp = request.json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    for (headers, _) in mock.state.requests.lock().unwrap().iter() {
        assert_eq!(headers["authorization"], "Bearer sk-upstream-secret");
        assert!(headers.get("x-api-key").is_none() && headers.get("x-goog-api-key").is_none());
    }
    assert_eq!(health_status(&gw.url).await, 200);
}

#[test]
fn public_bind_without_keys_is_refused() {
    let config = wasmgate::config::Config::parse("[server]\nlisten = \"0.0.0.0:8788\"\n").unwrap();
    assert!(wasmgate::server::check_bind(&config).is_err());
    let config = wasmgate::config::Config::parse(
        "[server]\nlisten = \"0.0.0.0:8788\"\nallow_unauthenticated_remote = true\n",
    )
    .unwrap();
    assert!(wasmgate::server::check_bind(&config).is_ok());
    let config = wasmgate::config::Config::parse(
        "[server]\nlisten = \"0.0.0.0:8788\"\napi_keys = [\"k\"]\n",
    )
    .unwrap();
    assert!(wasmgate::server::check_bind(&config).is_ok());
}
