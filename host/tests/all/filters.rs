//! The filter chain: config order on requests, reverse order on answers.

use crate::common::*;
use crate::mock;

fn filters(mock_url: &str) -> String {
    format!(
        "{}[[filters]]\nplugin = \"example-filter\"\nconfig = {{ system_prefix = \"Be brief.\", reply_suffix = \"[A]\" }}\n\
         [[filters]]\nplugin = \"example-filter\"\nconfig = {{ reply_suffix = \"[B]\", block_word = \"forbidden\" }}\n",
        openai_upstream(mock_url)
    )
}

#[tokio::test]
async fn filters_change_requests_and_answers_in_order() {
    let mock = mock::start().await;
    let gw = start(&filters(&mock.url)).await;
    let (status, resp) = post(&gw.url, &chat_body("gpt-fake", false)).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(
        resp["choices"][0]["message"]["content"], "Hello from fake openai-chat upstream.[B][A]",
        "answers pass the last filter first"
    );
    // The second filter changes nothing and answers `pass`: what goes on
    // is the first filter's changed request, whole.
    let (_, sent) = mock.last_request();
    assert_eq!(
        sent["messages"],
        serde_json::json!([
            {"role": "system", "content": "Be brief."},
            chat_body("gpt-fake", false)["messages"][0],
        ])
    );

    let (status, events) = post_sse(&gw.url, &chat_body("gpt-fake", true)).await;
    assert_eq!(status, 200);
    assert_eq!(
        streamed_text(&events),
        "Hello from fake openai-chat upstream.[B][A]"
    );
    assert_eq!(events.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn a_filter_can_reject() {
    let mock = mock::start().await;
    let gw = start(&filters(&mock.url)).await;
    let mut body = chat_body("gpt-fake", false);
    body["messages"][0]["content"] = "say the forbidden word".into();
    let (status, resp) = post(&gw.url, &body).await;
    assert_eq!(status, 400);
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("blocked by example-filter")
    );
    assert_eq!(
        mock.state.calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing went upstream"
    );
}

#[tokio::test]
async fn a_filter_that_refuses_its_config_stops_startup() {
    let config = wasmgate::config::Config::parse(&config_text(
        "[[filters]]\nplugin = \"example-filter\"\nconfig = { reply_suffix = 5 }\n",
    ))
    .unwrap();
    let err = wasmgate::gateway::Gateway::new(config)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("example-filter") && err.contains("config"),
        "{err}"
    );
}

/// The TOML blocks of `README.md` that configure filters.
fn readme_filter_examples() -> Vec<String> {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .expect("README.md");
    readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.contains("[[filters]]") && !block.contains("${"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn every_readme_filter_example_is_accepted() {
    let examples = readme_filter_examples();
    assert!(
        examples.len() >= 5,
        "README has {} filter examples",
        examples.len()
    );
    for example in examples {
        // Only the filters: the plugins must accept each config in `init`.
        let filters = &example[example.find("[[filters]]").unwrap_or(0)..];
        let config = wasmgate::config::Config::parse(&config_text(filters))
            .unwrap_or_else(|e| panic!("README example does not parse: {e}\n{filters}"));
        if let Err(e) = wasmgate::gateway::Gateway::new(config).await {
            panic!("README example refused: {e}\n{filters}");
        }
    }
}
