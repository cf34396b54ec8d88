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

/// A web page the config does not name cannot use the gateway (no upstream
/// call, in any format, even with a simple `text/plain` POST that a browser
/// sends without asking); one it names gets CORS preflight answers and
/// headers, and its requests still need an access key.
#[tokio::test]
async fn web_pages_need_an_allowed_origin() {
    let mock = mock::start().await;
    let gw = start(&format!(
        "[server]\napi_keys = [\"local-key\"]\nallowed_origins = [\"http://localhost:3000/\"]\n{}",
        openai_upstream(&mock.url)
    ))
    .await;
    let url = format!("{}/v1/chat/completions", gw.url);
    let body = chat_body("gpt-fake", false).to_string();
    for (path, anthropic) in [("/v1/chat/completions", false), ("/v1/messages", true)] {
        let resp = client()
            .post(format!("{}{path}", gw.url))
            .header("origin", "http://evil.example")
            .header("content-type", "text/plain")
            .bearer_auth("local-key")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{path}");
        assert!(resp.headers().get("access-control-allow-origin").is_none());
        let err: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(err["type"] == "error", anthropic, "{err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("http://evil.example")),
            "{err}"
        );
    }
    assert_eq!(
        mock.state.calls.load(std::sync::atomic::Ordering::SeqCst),
        0
    );

    // The allowed page: a preflight without a key, then the call.
    let origin = "http://localhost:3000";
    let resp = client()
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let headers = resp.headers();
    assert_eq!(headers["access-control-allow-origin"], origin);
    assert_eq!(
        headers["access-control-allow-headers"],
        "authorization, content-type"
    );
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    for (key, status) in [(None, 401), (Some("local-key"), 200)] {
        let mut request = client()
            .post(&url)
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), status);
        assert_eq!(resp.headers()["access-control-allow-origin"], origin);
    }
    assert_eq!(
        mock.state.calls.load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    // Clients that are not web pages send no origin and are not affected.
    let resp = client()
        .post(&url)
        .bearer_auth("local-key")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

/// GET `path` addressed (`Host`) to `host`: status and JSON body.
async fn get_as(url: &str, path: &str, host: &str) -> (u16, serde_json::Value) {
    let resp = client()
        .get(format!("{url}{path}"))
        .header("host", host)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

/// DNS rebinding: with no access keys on a loopback address, a request
/// addressed to a name a web page could be served from is refused, in the
/// path's own format and before any upstream call; one addressed to this
/// machine, or to a name the config allows, is served; with access keys
/// the check is off.
#[tokio::test]
async fn a_keyless_gateway_answers_only_names_of_this_machine() {
    let mock = mock::start().await;
    let upstream = openai_upstream(&mock.url);
    let gw = start(&format!(
        "[server]\nallowed_hosts = [\"devbox\"]\n{upstream}"
    ))
    .await;
    for path in ["/v1/models", "/v1beta/models", "/health"] {
        let (status, err) = get_as(&gw.url, path, "evil.example:8788").await;
        assert_eq!(status, 403, "{path}: {err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("`evil.example`") && m.contains("allowed_hosts")),
            "{path}: {err}"
        );
    }
    let (_, err) = get_as(&gw.url, "/v1/models", "evil.example").await;
    assert_eq!(err["error"]["code"], "host_not_allowed", "{err}");
    let (_, err) = get_as(&gw.url, "/v1beta/models", "evil.example").await;
    assert_eq!(err["error"]["status"], "PERMISSION_DENIED", "{err}");
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .header("host", "evil.example")
        .json(&serde_json::json!({
            "model": "gpt-fake", "max_tokens": 16,
            "messages": [{"role": "user", "content": "Hi"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["type"], "error", "{err}");
    assert_eq!(
        mock.state.calls.load(std::sync::atomic::Ordering::SeqCst),
        0
    );

    for host in [
        "127.0.0.1:8788",
        "[::1]:8788",
        "localhost:8788",
        "LocalHost",
        "app.localhost:3000",
        "host.docker.internal:8788",
        "DEVBOX:8788",
    ] {
        let (status, body) = get_as(&gw.url, "/v1/models", host).await;
        assert_eq!(status, 200, "{host}: {body}");
        assert_eq!(body["object"], "list", "{host}: {body}");
    }

    // A gateway with access keys: the page has no key, so any name is served.
    let keyed = start(&format!("[server]\napi_keys = [\"local-key\"]\n{upstream}")).await;
    let resp = client()
        .get(format!("{}/v1/models", keyed.url))
        .header("host", "gateway.example")
        .bearer_auth("local-key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
