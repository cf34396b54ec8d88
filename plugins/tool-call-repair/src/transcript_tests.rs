//! Runs the cases of `host/tests/filters/tool-call-repair.json` through both
//! paths of the filter (without the gateway): the streamed one with the
//! mock upstream's chunking and the whole-response one. The gateway runner
//! adds the front-ends; this catches filter mistakes without it.

use serde_json::{Value, json};

use crate::calls::{Env, Tool};
use crate::config;
use crate::stream::StreamState;
use crate::stream::tests::{upstream, view, view_response, whole};
use crate::types::FinishReason;

fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../host/tests/filters/tool-call-repair.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn transcript_cases_hold_on_both_paths() {
    let doc = load();
    assert_eq!(doc["filter"], "tool-call-repair");
    let cases = doc["cases"].as_array().cloned().unwrap_or_default();
    assert!((5..=15).contains(&cases.len()));
    for case in &cases {
        let name = case["name"].as_str().unwrap_or_default();
        let config_json = case.get("config").unwrap_or(&doc["config"]);
        let config =
            config::parse(&config_json.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tools: Vec<Tool> = case["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                Tool::new(
                    t["name"].as_str().unwrap_or_default(),
                    t.get("parameters")
                        .cloned()
                        .unwrap_or(json!({"type": "object", "properties": {}}))
                        .to_string(),
                )
            })
            .collect();
        let env = Env::new(config, tools, true, "call_x".into());
        let up = &case["upstream"];
        let text = up["text"].as_str().unwrap_or_default();
        let calls: Vec<(&str, &str)> = up["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default(),
                    c["arguments"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        let finish = if calls.is_empty() {
            FinishReason::Stop
        } else {
            FinishReason::ToolCalls
        };

        let mut s = StreamState::new(env.clone());
        let mut out = Vec::new();
        // One upstream chunk per event, as the mock sends them.
        for e in upstream(text, &calls, finish.clone()) {
            out.extend(
                s.on_events(vec![e])
                    .unwrap_or_else(|e| panic!("{name}: {e:?}")),
            );
        }
        out.extend(s.finish().unwrap_or_else(|e| panic!("{name}: {e:?}")));
        let streamed = view(&out);
        let (resp, _) = crate::response::repair(env, whole(text, &calls, finish));
        let whole_view = view_response(&resp.unwrap_or_else(|e| panic!("{name}: {e:?}")));
        assert_eq!(streamed, whole_view, "{name}: paths differ");

        let expect = &case["expect"];
        for needle in expect["text_contains"].as_array().into_iter().flatten() {
            let needle = needle.as_str().unwrap_or_default();
            assert!(
                streamed.0.contains(needle),
                "{name}: text {:?} lacks {needle:?}",
                streamed.0
            );
        }
        for needle in expect["text_not_contains"].as_array().into_iter().flatten() {
            let needle = needle.as_str().unwrap_or_default();
            assert!(
                !streamed.0.contains(needle),
                "{name}: text {:?} has {needle:?}",
                streamed.0
            );
        }
        if let Some(want) = expect.get("tool_calls").and_then(Value::as_array) {
            let want: Vec<(String, Value)> = want
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or_default().to_string(),
                        c["arguments"].clone(),
                    )
                })
                .collect();
            assert_eq!(streamed.1, want, "{name}: tool calls");
        }
    }
}
