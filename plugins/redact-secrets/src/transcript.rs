//! Replays `host/tests/filters/redact-secrets.json` through the filter's
//! pure functions, the way the gateway's transcript runner drives the
//! component: the request is redacted and its JSON checked like the body the
//! upstream receives; the scripted answer is restored whole and streamed
//! (text in 4-character chunks, arguments in 5-character deltas, one event
//! per call) and checked like what the client sees. Tool results are tried
//! both as plain text and wrapped as Gemini's `{"output": …}`.

use serde_json::{Value, json};

use crate::config::parse;
use crate::redact::redact_request;
use crate::restore::{Restorer, StreamRestorer, restore_response};
use crate::types::{
    ContentPart, FinishReason, Message, Request, Response, Role, Sampling, StreamEvent,
    StreamStart, ToolCall, ToolCallDelta, ToolCallStart, ToolResult, ToolResultPart,
};

/// The transcript file, relative to this crate.
const PATH: &str = "../../host/tests/filters/redact-secrets.json";

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn message(role: Role, content: Vec<ContentPart>) -> Message {
    Message {
        role,
        content,
        name: None,
        extra: None,
    }
}

/// The canonical request a front-end makes of the case's messages.
fn request(case: &Value, gemini: bool) -> Request {
    let mut messages = Vec::new();
    for m in case["messages"].as_array().into_iter().flatten() {
        let text = m["text"].as_str().unwrap_or_default().to_string();
        let msg = match m["role"].as_str().unwrap_or_default() {
            "system" => message(Role::System, vec![ContentPart::Text(text)]),
            "assistant" => {
                let mut content = Vec::new();
                if !text.is_empty() {
                    content.push(ContentPart::Text(text));
                }
                for c in m["tool_calls"].as_array().into_iter().flatten() {
                    content.push(ContentPart::ToolCall(ToolCall {
                        id: c["id"].as_str().unwrap_or_default().into(),
                        name: c["name"].as_str().unwrap_or_default().into(),
                        arguments: c["arguments"].to_string(),
                    }));
                }
                message(Role::Assistant, content)
            }
            "tool" => {
                let text = if gemini {
                    json!({"output": text}).to_string()
                } else {
                    text
                };
                message(
                    Role::Tool,
                    vec![ContentPart::ToolResult(ToolResult {
                        call_id: m["tool_call_id"].as_str().unwrap_or_default().into(),
                        content: vec![ToolResultPart::Text(text)],
                        is_error: false,
                    })],
                )
            }
            _ => message(Role::User, vec![ContentPart::Text(text)]),
        };
        messages.push(msg);
    }
    conversation(messages)
}

/// A request of `messages` with nothing else set.
pub fn conversation(messages: Vec<Message>) -> Request {
    Request {
        model: "m".into(),
        messages,
        tools: vec![],
        tool_choice: None,
        parallel_tool_calls: None,
        sampling: Sampling {
            max_tokens: None,
            temperature: None,
            top_p: None,
            stop: vec![],
            seed: None,
        },
        stream: false,
        reasoning: None,
        extra: None,
    }
}

/// The request as JSON text, like the upstream body.
fn body(req: &Request) -> String {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let parts: Vec<Value> = m
                .content
                .iter()
                .map(|p| match p {
                    ContentPart::Text(t) => json!(t),
                    ContentPart::ToolCall(c) => json!({"id": c.id, "arguments": c.arguments}),
                    ContentPart::ToolResult(r) => json!(
                        r.content
                            .iter()
                            .map(|p| match p {
                                ToolResultPart::Text(t) => t.clone(),
                                ToolResultPart::Image(_) => String::new(),
                            })
                            .collect::<Vec<_>>()
                    ),
                    _ => Value::Null,
                })
                .collect();
            json!(parts)
        })
        .collect();
    json!({"messages": messages}).to_string()
}

/// What the client sees: text and (name, parsed arguments) of each call.
type Seen = (String, Vec<(String, Value)>);

fn parse_args(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::String(text.to_string()))
}

fn whole(restorer: &Restorer, upstream: &Value) -> Seen {
    let mut content = Vec::new();
    if let Some(text) = upstream["text"].as_str() {
        content.push(ContentPart::Text(text.into()));
    }
    for c in upstream["tool_calls"].as_array().into_iter().flatten() {
        content.push(ContentPart::ToolCall(ToolCall {
            id: c["id"].as_str().unwrap_or_default().into(),
            name: c["name"].as_str().unwrap_or_default().into(),
            arguments: c["arguments"].as_str().unwrap_or_default().into(),
        }));
    }
    let resp = Response {
        id: "r".into(),
        model: "m".into(),
        created: None,
        content,
        finish_reason: Some(FinishReason::Stop),
        usage: None,
        extra: None,
    };
    let mut seen = Seen::default();
    for part in restore_response(restorer, resp).content {
        match part {
            ContentPart::Text(t) => seen.0.push_str(&t),
            ContentPart::ToolCall(c) => seen.1.push((c.name, parse_args(&c.arguments))),
            _ => {}
        }
    }
    seen
}

fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

fn streamed(restorer: Restorer, upstream: &Value) -> Seen {
    let mut events = vec![StreamEvent::Start(StreamStart {
        id: "s".into(),
        model: "m".into(),
        created: None,
        extra: None,
    })];
    for piece in pieces(upstream["text"].as_str().unwrap_or_default(), 4) {
        events.push(StreamEvent::TextDelta(piece));
    }
    let calls = upstream["tool_calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut names = Vec::new();
    for (i, c) in calls.iter().enumerate() {
        let index = u32::try_from(i).unwrap();
        names.push(c["name"].as_str().unwrap_or_default().to_string());
        events.push(StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: c["id"].as_str().unwrap_or_default().into(),
            name: names[i].clone(),
        }));
        for piece in pieces(c["arguments"].as_str().unwrap_or_default(), 5) {
            events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                index,
                arguments: piece,
            }));
        }
        events.push(StreamEvent::ToolCallEnd(index));
    }
    events.push(StreamEvent::Finish(FinishReason::Stop));
    let mut s = StreamRestorer::new(restorer);
    let mut out = Vec::new();
    for e in events {
        out.extend(s.on_events(vec![e]));
    }
    out.extend(s.finish());
    let mut text = String::new();
    let mut args = vec![String::new(); names.len()];
    for e in out {
        match e {
            StreamEvent::TextDelta(t) => text.push_str(&t),
            StreamEvent::ToolCallDelta(d) => args[d.index as usize].push_str(&d.arguments),
            _ => {}
        }
    }
    let calls = names
        .into_iter()
        .zip(args)
        .map(|(n, a)| (n, parse_args(&a)))
        .collect();
    (text, calls)
}

fn check(name: &str, how: &str, expect: &Value, seen: &Seen, problems: &mut Vec<String>) {
    for needle in strings(expect, "text_contains") {
        if !seen.0.contains(&needle) {
            problems.push(format!(
                "{name} / {how}: text {:?} lacks {needle:?}",
                seen.0
            ));
        }
    }
    for needle in strings(expect, "text_not_contains") {
        if seen.0.contains(&needle) {
            problems.push(format!("{name} / {how}: text has {needle:?}"));
        }
    }
    if let Some(want) = expect["tool_calls"].as_array() {
        let want: Vec<(String, Value)> = want
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default().into(),
                    c["arguments"].clone(),
                )
            })
            .collect();
        if seen.1 != want {
            problems.push(format!(
                "{name} / {how}: calls {:?} (want {want:?})",
                seen.1
            ));
        }
    }
}

#[test]
fn transcript_cases_hold() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(doc["filter"], "redact-secrets");
    let cases = doc["cases"].as_array().unwrap();
    assert!((5..=15).contains(&cases.len()));
    let mut problems = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let config_json = if case["config"].is_object() {
            &case["config"]
        } else {
            &doc["config"]
        };
        let config = parse(&config_json.to_string()).unwrap();
        let expect = &case["expect"];
        for gemini in [false, true] {
            let mut req = request(case, gemini);
            let redaction = redact_request(&config, &mut req, &mut crate::memo::Memo::default());
            let sent = body(&req);
            for needle in strings(expect, "upstream_contains") {
                if !sent.contains(&needle) {
                    problems.push(format!("{name}: upstream lacks {needle:?}: {sent}"));
                }
            }
            for needle in strings(expect, "upstream_not_contains") {
                if sent.contains(&needle) {
                    problems.push(format!("{name}: upstream has {needle:?}"));
                }
            }
            let restorer = if config.restore {
                Restorer::new(redaction.mapping)
            } else {
                Restorer::default()
            };
            let upstream = &case["upstream"];
            check(
                name,
                "whole",
                expect,
                &whole(&restorer, upstream),
                &mut problems,
            );
            check(
                name,
                "stream",
                expect,
                &streamed(restorer, upstream),
                &mut problems,
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
