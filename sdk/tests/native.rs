//! The SDK on the host target: builders, helpers, the in-memory host and the
//! harnesses, with a filter and a provider exported through the macros.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde::{Deserialize, Serialize};
use serde_json::json;
use wasmgate_sdk::prelude::*;
use wasmgate_sdk::testing::{self, FilterHarness, ProviderHarness};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Args {
    path: String,
    lines: Option<u32>,
}

#[test]
fn builders_and_constructors() {
    let req = Request::builder()
        .model("m")
        .system("s")
        .user("hello")
        .assistant("hi")
        .user("again")
        .tool("read", "read a file", json!({"type": "object"}))
        .stream(true)
        .max_tokens(5)
        .temperature(0.5)
        .extra(json!({"x": 1}))
        .build();
    assert_eq!(req.model, "m");
    assert_eq!(req.messages.len(), 4);
    assert_eq!(req.last_user_text().as_deref(), Some("again"));
    assert!(req.stream);
    assert_eq!(req.sampling.max_tokens, Some(5));
    assert_eq!(req.tools[0].name, "read");
    assert_eq!(req.extra.as_deref(), Some(r#"{"x":1}"#));

    let mut resp = Response::text("hi")
        .with_model("m")
        .with_id("r1")
        .with_usage(1, 2);
    resp.append_text("!");
    assert_eq!(resp.text_content(), "hi!");
    assert_eq!(resp.usage, Some(Usage::new(1, 2)));
    resp.map_text(|t| t.to_uppercase());
    assert_eq!(resp.content, vec![ContentPart::text("HI!")]);

    let e = Error::invalid_request("no");
    assert_eq!(
        (e.kind, e.status, e.retryable),
        (ErrorKind::InvalidRequest, 400, false)
    );
    let e = Error::rate_limit("slow").with_status(503);
    assert_eq!(
        (e.kind, e.status, e.retryable),
        (ErrorKind::RateLimit, 503, true)
    );
    assert_eq!(Error::upstream("x").status, 502);

    assert_eq!(StreamEvent::text("a").as_text(), Some("a"));
    assert!(StreamEvent::stop().is_finish());
    assert_eq!(Message::user("u").text(), "u");
}

#[test]
fn tool_arguments() {
    let args = Args {
        path: "a.txt".into(),
        lines: Some(3),
    };
    let call = ToolCall::new("c1", "read", &args);
    assert_eq!(call.arguments, r#"{"path":"a.txt","lines":3}"#);
    assert_eq!(tool_args::<Args>(&call), Ok(args));
    assert_eq!(to_args(&json!({"a": 1})), r#"{"a":1}"#);
    let bad = ToolCall {
        id: "c2".into(),
        name: "read".into(),
        arguments: "{\"lines\": 1}".into(),
    };
    let e = bad.args::<Args>().unwrap_err();
    assert_eq!(e.status, 400);
    assert!(
        e.message.contains("read") && e.message.contains("path"),
        "{}",
        e.message
    );
}

#[test]
fn the_in_memory_host() {
    testing::reset();
    assert_eq!(config::raw(), "{}");
    testing::set_config(json!({"path": "x"}));
    let args: Args = config::get().unwrap();
    assert_eq!(args.path, "x");
    testing::set_config_text("{oops");
    assert_eq!(config::get::<Args>().unwrap_err().status, 400);

    log::info("one");
    log::warn(String::from("two"));
    assert_eq!(
        testing::take_logs(),
        vec![
            (log::Level::Info, "one".into()),
            (log::Level::Warn, "two".into())
        ]
    );
    assert!(testing::logs().is_empty());

    testing::set_now_ms(1_000);
    assert_eq!(clock::now_ms(), 1_000);
    kv::set("k", b"v", Some(500)).unwrap();
    kv::set_json("n", &7u32, None).unwrap();
    assert_eq!(kv::get_string("k").as_deref(), Some("v"));
    assert_eq!(kv::get_json::<u32>("n"), Some(7));
    testing::advance_ms(500);
    assert_eq!(kv::get("k"), None, "expired");
    kv::delete("n");
    assert_eq!(kv::get("n"), None);
    assert_eq!(
        kv::set("big", &vec![0; 2 * 1024 * 1024], None),
        Err(kv::KvError::TooLarge)
    );
}

/// Holds back text until `finish`, then sends it as one delta.
struct Gather;

struct Gathering(String);

impl StreamFilter for Gathering {
    fn on_event(&mut self, event: StreamEvent) -> Result<Vec<StreamEvent>, Error> {
        match event {
            StreamEvent::TextDelta(t) => {
                self.0.push_str(&t);
                Ok(vec![])
            }
            StreamEvent::Finish(_) => {
                Ok(vec![StreamEvent::text(std::mem::take(&mut self.0)), event])
            }
            other => Ok(vec![other]),
        }
    }
}

impl Filter for Gather {
    fn init() -> Result<(), Error> {
        config::get::<serde_json::Map<String, serde_json::Value>>().map(|_| ())
    }

    /// With `{"edit": [i, …]}`, replaces those messages with `edited i`.
    fn on_request(_ctx: &RequestContext, _req: Request) -> RequestAction {
        let settings = config::get::<serde_json::Map<String, serde_json::Value>>();
        match settings.ok().and_then(|s| s.get("edit").cloned()) {
            Some(serde_json::Value::Array(indexes)) => RequestAction::Edit(
                indexes
                    .iter()
                    .filter_map(serde_json::Value::as_u64)
                    .map(|i| MessageEdit {
                        index: i as u32,
                        message: Message::user(format!("edited {i}")),
                    })
                    .collect(),
            ),
            _ => RequestAction::Pass,
        }
    }

    fn on_stream(_ctx: &RequestContext) -> Box<dyn StreamFilter> {
        Box::new(Gathering(String::new()))
    }
}

wasmgate_sdk::export_filter!(Gather);

#[test]
fn the_filter_harness() {
    assert!(FilterHarness::<Gather>::with_config(json!([1])).is_err());
    let h = FilterHarness::<Gather>::with_config(json!({})).unwrap();
    let req = Request::builder().user("hi").build();
    assert_eq!(h.expect_continue(req.clone()), Ok(req));

    // An edit replaces just the messages it names, as the gateway does.
    let conversation = Request::builder().system("s").user("a").user("b").build();
    let h = FilterHarness::<Gather>::with_config(json!({ "edit": [0, 2] })).unwrap();
    let edited = h.expect_continue(conversation.clone()).unwrap();
    let texts: Vec<String> = edited.messages.iter().map(Message::text).collect();
    assert_eq!(texts, ["edited 0", "a", "edited 2"]);
    assert_eq!(edited.messages[2].role, Role::User);
    // Edits the gateway would refuse come back as the action.
    for bad in [json!([3]), json!([1, 1]), json!([2, 0])] {
        let h = FilterHarness::<Gather>::with_config(json!({ "edit": bad })).unwrap();
        assert!(
            matches!(h.expect_continue(conversation.clone()), Err(a) if matches!(*a, RequestAction::Edit(_))),
            "{bad}"
        );
    }
    let h = FilterHarness::<Gather>::with_config(json!({})).unwrap();
    assert_eq!(
        h.on_response(Response::text("a")).unwrap(),
        Response::text("a")
    );
    let events = h
        .stream_events(testing::text_stream(&["a", "b", "c"]))
        .unwrap();
    assert_eq!(
        events.iter().filter(|e| e.as_text().is_some()).count(),
        1,
        "{events:?}"
    );
    assert_eq!(testing::streamed_text(&events), "abc");
}

/// Answers locally with the last user message.
struct Parrot;

struct Bytes(Vec<u8>);

impl StreamDecoder for Bytes {
    fn feed(&mut self, chunk: Vec<u8>) -> Result<Vec<StreamEvent>, Error> {
        self.0.extend(chunk);
        Ok(vec![])
    }

    fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        let text = String::from_utf8(std::mem::take(&mut self.0))
            .map_err(|e| Error::upstream(e.to_string()))?;
        Ok(vec![
            StreamEvent::start("p", "parrot"),
            StreamEvent::text(text),
            StreamEvent::stop(),
        ])
    }
}

impl Provider for Parrot {
    fn info() -> ProviderInfo {
        ProviderInfo {
            id: "parrot".into(),
            display_name: "Parrot".into(),
            default_base_url: String::new(),
            models: vec![],
        }
    }

    fn build_request(req: Request, _target: Target) -> Result<Outbound, Error> {
        Ok(Outbound::Local(HttpResponse::json(
            200,
            &json!({"text": req.last_user_text()}),
        )))
    }

    fn parse_response(resp: HttpResponse) -> Result<Response, Error> {
        let body: serde_json::Value = resp.body_json()?;
        Ok(Response::text(body["text"].as_str().unwrap_or_default()))
    }

    fn stream_decoder() -> Box<dyn StreamDecoder> {
        Box::new(Bytes(Vec::new()))
    }
}

wasmgate_sdk::export_provider!(Parrot);

#[test]
fn the_provider_harness() {
    let h = ProviderHarness::<Parrot>::with_config(json!({})).unwrap();
    let target = Target {
        base_url: String::new(),
        model: "parrot".into(),
        credential: None,
        extra: None,
    };
    let Ok(Outbound::Local(http)) =
        Parrot::build_request(Request::builder().user("héllo").build(), target)
    else {
        panic!("expected a local answer");
    };
    assert!(http.is_success());
    assert_eq!(h.parse_response(http).unwrap().text_content(), "héllo");
    let events = h.decode_bytewise("héllo".as_bytes()).unwrap();
    assert_eq!(testing::streamed_text(&events), "héllo");
}
