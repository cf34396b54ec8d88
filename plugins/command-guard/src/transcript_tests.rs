//! Runs the cases of `host/tests/filters/command-guard.json` through both
//! paths of the filter (without the gateway): the streamed one with the
//! mock upstream's chunking and the whole-response one. The gateway runner
//! adds the front-ends; this catches filter mistakes without it.

use serde_json::Value;

use crate::response::tests::response;
use crate::stream::StreamGuard;
use crate::types::{
    ContentPart, FinishReason, StreamEvent, StreamStart, ToolCall, ToolCallDelta, ToolCallStart,
};
use crate::verdict::Judge;

fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../host/tests/filters/command-guard.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Text, calls (name, parsed arguments), error message.
type Seen = (String, Vec<(String, Value)>, Option<String>);

fn parse(args: &str) -> Value {
    serde_json::from_str(args).unwrap_or_else(|_| Value::String(args.into()))
}

fn streamed(judge: Judge, text: &str, calls: &[(String, String, String)]) -> Seen {
    let mut events = vec![StreamEvent::Start(StreamStart {
        id: "r".into(),
        model: "m".into(),
        created: None,
        extra: None,
    })];
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(4) {
        events.push(StreamEvent::TextDelta(piece.iter().collect()));
    }
    for (i, (id, name, args)) in calls.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(0);
        events.push(StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: id.clone(),
            name: name.clone(),
        }));
        let chars: Vec<char> = args.chars().collect();
        for piece in chars.chunks(5) {
            events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                index,
                arguments: piece.iter().collect(),
            }));
        }
    }
    for i in 0..calls.len() {
        events.push(StreamEvent::ToolCallEnd(u32::try_from(i).unwrap_or(0)));
    }
    events.push(StreamEvent::Finish(FinishReason::ToolCalls));
    let mut s = StreamGuard::new(judge);
    let mut out = Vec::new();
    for e in events {
        out.extend(s.on_events(vec![e]));
    }
    out.extend(s.finish());
    let mut seen: Seen = (String::new(), Vec::new(), None);
    let mut args: Vec<String> = Vec::new();
    for e in out {
        match e {
            StreamEvent::TextDelta(t) => seen.0.push_str(&t),
            StreamEvent::ToolCallStart(st) => {
                seen.1.push((st.name, Value::Null));
                args.push(String::new());
            }
            StreamEvent::ToolCallDelta(d) => {
                if let Some(a) = args.get_mut(d.index as usize) {
                    a.push_str(&d.arguments);
                }
            }
            StreamEvent::Error(e) => seen.2 = Some(e.message),
            _ => {}
        }
    }
    for (c, a) in seen.1.iter_mut().zip(args) {
        c.1 = parse(&a);
    }
    seen
}

fn whole(mut judge: Judge, text: &str, calls: &[(String, String, String)]) -> Seen {
    let mut content = Vec::new();
    if !text.is_empty() {
        content.push(ContentPart::Text(text.into()));
    }
    for (id, name, args) in calls {
        content.push(ContentPart::ToolCall(ToolCall {
            id: id.clone(),
            name: name.clone(),
            arguments: args.clone(),
        }));
    }
    match crate::response::guard(&mut judge, response(content, FinishReason::ToolCalls)) {
        Err(e) => (String::new(), Vec::new(), Some(e.message)),
        Ok(resp) => {
            let mut seen: Seen = (String::new(), Vec::new(), None);
            for part in resp.content {
                match part {
                    ContentPart::Text(t) => seen.0.push_str(&t),
                    ContentPart::ToolCall(c) => seen.1.push((c.name, parse(&c.arguments))),
                    _ => {}
                }
            }
            seen
        }
    }
}

#[test]
fn transcript_cases_hold_on_both_paths() {
    let doc = load();
    assert_eq!(doc["filter"], "command-guard");
    let cases = doc["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 7);
    for case in &cases {
        let name = case["name"].as_str().unwrap_or_default();
        let config_json = case.get("config").unwrap_or(&doc["config"]);
        let judge = || {
            Judge::new(std::rc::Rc::new(
                crate::verdict::Rules::parse(&config_json.to_string())
                    .unwrap_or_else(|e| panic!("{name}: {e}")),
            ))
        };
        let up = &case["upstream"];
        let text = up["text"].as_str().unwrap_or_default();
        let calls: Vec<(String, String, String)> = up["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                (s("id"), s("name"), s("arguments"))
            })
            .collect();
        let expect = &case["expect"];
        for (path, seen) in [
            ("stream", streamed(judge(), text, &calls)),
            ("whole", whole(judge(), text, &calls)),
        ] {
            let (got_text, got_calls, error) = &seen;
            for needle in expect["text_contains"].as_array().into_iter().flatten() {
                let needle = needle.as_str().unwrap_or_default();
                if error.is_none() {
                    assert!(
                        got_text.contains(needle),
                        "{name} / {path}: {got_text:?} lacks {needle:?}"
                    );
                }
            }
            for needle in expect["text_not_contains"].as_array().into_iter().flatten() {
                let needle = needle.as_str().unwrap_or_default();
                assert!(
                    !got_text.contains(needle),
                    "{name} / {path}: {got_text:?} has {needle:?}"
                );
            }
            if let Some(want) = expect["tool_calls"].as_array() {
                let want: Vec<(String, Value)> = want
                    .iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or_default().to_string(),
                            c["arguments"].clone(),
                        )
                    })
                    .collect();
                assert_eq!(got_calls, &want, "{name} / {path}");
            }
            if let Some(needle) = expect["error_contains"].as_str() {
                assert!(
                    error.as_deref().is_some_and(|e| e.contains(needle)),
                    "{name} / {path}: error {error:?} lacks {needle:?}"
                );
            } else {
                assert_eq!(error, &None, "{name} / {path}");
            }
        }
    }
}
