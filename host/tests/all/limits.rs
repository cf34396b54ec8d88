//! Request body limit.

use crate::common::*;

#[tokio::test]
async fn oversized_body_gets_413_in_openai_shape() {
    let gw = start("[server]\nmax_body_bytes = 1024\n[[upstreams]]\nname = \"demo\"\nprovider = \"echo\"\nmodels = [\"echo\"]\n").await;
    let mut body = chat_body("echo", false);
    body["messages"][0]["content"] = serde_json::Value::String("x".repeat(4096));
    let (status, resp) = post(&gw.url, &body).await;
    assert_eq!(status, 413);
    assert_eq!(resp["error"]["code"], "request_too_large");
    let (status, _) = post(&gw.url, &chat_body("echo", false)).await;
    assert_eq!(status, 200);
}
