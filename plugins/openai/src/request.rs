//! Canonical request to a Chat Completions HTTP request.

use serde_json::{Map, Value, json};
use wasmgate_wire::splice::{self, Raw, Spliced, WriteJson};
use wasmgate_wire::{extra, json};

use crate::types::{Error, HttpRequest, Request, Target, ToolChoice, ToolDefinition};
use crate::{WIRE, error, messages};

wasmgate_wire::body_size_hint!(crate::types);

/// The upstream HTTP request for `req`, sent to `target`.
pub fn build_http_request(req: &Request, target: &Target) -> Result<HttpRequest, Error> {
    let body = build_body(req, target);
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "accept".to_string(),
            if req.stream {
                "text/event-stream"
            } else {
                "application/json"
            }
            .to_string(),
        ),
    ];
    if let Some(credential) = target.credential.as_deref().filter(|c| !c.is_empty()) {
        headers.push((
            "authorization".to_string(),
            ["Bearer ", credential].concat(),
        ));
    }
    Ok(HttpRequest {
        method: "POST".into(),
        url: [target.base_url.trim_end_matches('/'), "/chat/completions"].concat(),
        headers,
        body: splice::to_vec_sized(&body, body_size_hint(req))
            .map_err(|e| error::invalid_request(format!("cannot write the request body: {e}")))?,
    })
}

/// The JSON body of a Chat Completions request: a tree of the small
/// fields, with the messages and tools spliced in, written straight from
/// the request (the tools' schemas as the text they came in).
#[derive(Debug)]
pub struct Body<'a> {
    /// Every other field.
    map: Map<String, Value>,
    /// `messages`.
    messages: messages::Messages<'a>,
    /// `tools`, when there are any.
    tools: Vec<Tool<'a>>,
}

impl WriteJson for Body<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        splice::write_object(
            out,
            &self.map,
            &[
                ("messages", &self.messages),
                ("tools", &splice::non_empty(&self.tools)),
            ],
        )
    }
}

/// One `tools` entry: `{"function": …, "type": "function"}`.
#[derive(Debug)]
pub struct Tool<'a> {
    /// The function: name, description, the tool's `extra`, and the schema
    /// spliced in as `parameters`.
    function: Spliced<Raw<'a>>,
}

impl WriteJson for Tool<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#"{"function":"#);
        self.function.write_json(out)?;
        out.extend_from_slice(br#","type":"function"}"#);
        Ok(())
    }
}

/// The JSON body of a Chat Completions request.
pub fn build_body<'a>(req: &'a Request, target: &Target) -> Body<'a> {
    let mut extra = extra::wire_object(req.extra.as_deref(), WIRE);
    let mut body = Map::new();
    body.insert("model".into(), Value::from(target.model.as_str()));

    let tools: Vec<Tool<'_>> = req.tools.iter().map(map_tool).collect();
    if let Some(choice) = &req.tool_choice {
        body.insert("tool_choice".into(), map_tool_choice(choice));
    }
    if let Some(parallel) = req.parallel_tool_calls {
        body.insert("parallel_tool_calls".into(), Value::Bool(parallel));
    }

    let sampling = &req.sampling;
    if let Some(max) = sampling.max_tokens {
        // Newer (reasoning) models only take `max_completion_tokens`; a
        // client that used it says so through `extra`.
        let key = if extra.contains_key("max_completion_tokens") {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(key.into(), Value::from(max));
    }
    if let Some(t) = sampling.temperature.and_then(json::f32_number) {
        body.insert("temperature".into(), t);
    }
    if let Some(p) = sampling.top_p.and_then(json::f32_number) {
        body.insert("top_p".into(), p);
    }
    if !sampling.stop.is_empty() {
        body.insert("stop".into(), json!(sampling.stop));
    }
    if let Some(seed) = sampling.seed {
        body.insert("seed".into(), Value::from(seed));
    }
    if let Some(effort) = req.reasoning.as_ref().and_then(reasoning_effort) {
        body.insert("reasoning_effort".into(), Value::from(effort));
    }

    if req.stream {
        let mut options = match extra.remove("stream_options") {
            Some(Value::Object(options)) => options,
            _ => Map::new(),
        };
        options.insert("include_usage".into(), Value::Bool(true));
        body.insert("stream".into(), Value::Bool(true));
        body.insert("stream_options".into(), Value::Object(options));
    } else {
        // Whether the answer streams is the canonical `stream` flag's call.
        extra.remove("stream");
        extra.remove("stream_options");
    }

    extra::merge_missing(&mut body, extra);
    Body {
        map: body,
        messages: messages::Messages(&req.messages),
        tools,
    }
}

/// One `tools` entry, its schema written as the text it came in.
fn map_tool(tool: &ToolDefinition) -> Tool<'_> {
    let mut function = Map::new();
    function.insert("name".into(), Value::from(tool.name.as_str()));
    if let Some(description) = &tool.description {
        function.insert("description".into(), Value::from(description.as_str()));
    }
    extra::merge_missing(
        &mut function,
        extra::wire_object(tool.extra.as_deref(), WIRE),
    );
    Tool {
        function: Spliced {
            map: function,
            key: "parameters",
            value: Some(Raw(schema(tool))),
        },
    }
}

/// A tool's schema text (one JSON value: the host checked it), or an
/// empty object schema when it has none.
fn schema(tool: &ToolDefinition) -> &str {
    match tool.parameters.trim() {
        "" => r#"{"type":"object","properties":{}}"#,
        text => text,
    }
}

/// The `tool_choice` value.
fn map_tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => Value::from("auto"),
        ToolChoice::None => Value::from("none"),
        ToolChoice::Required => Value::from("required"),
        ToolChoice::Named(name) => json!({"type": "function", "function": {"name": name}}),
    }
}

/// The `reasoning_effort` for canonical reasoning: the effort when given,
/// else one derived from a thinking budget (Chat Completions takes no
/// budget); nothing when reasoning is off.
fn reasoning_effort(reasoning: &crate::types::Reasoning) -> Option<&str> {
    if !reasoning.enabled {
        return None;
    }
    match (reasoning.effort.as_deref(), reasoning.budget_tokens) {
        (Some(effort), _) => Some(effort),
        (None, Some(budget)) if budget <= 2_048 => Some("low"),
        (None, Some(budget)) if budget <= 16_384 => Some("medium"),
        (None, Some(_)) => Some("high"),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ContentPart, Message, Reasoning, Role, Sampling};

    fn request() -> Request {
        Request {
            model: "client-model".into(),
            messages: vec![Message {
                role: Role::User,
                content: vec![ContentPart::Text("hi".into())],
                name: None,
                extra: None,
            }],
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

    fn target(base_url: &str, credential: Option<&str>) -> Target {
        Target {
            base_url: base_url.into(),
            model: "gpt-4o-mini".into(),
            credential: credential.map(Into::into),
            extra: None,
        }
    }

    fn body_text(req: &Request) -> String {
        let body = build_body(req, &target("https://api.openai.com/v1", None));
        String::from_utf8(splice::to_vec(&body).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn body_of(req: &Request) -> Value {
        serde_json::from_str(&body_text(req)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn minimal_request() {
        assert_eq!(
            body_of(&request()),
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
        );
    }

    #[test]
    fn http_request_shape() {
        let mut req = request();
        req.stream = true;
        let http = build_http_request(&req, &target("http://localhost:9/v1/", Some("sk-1")))
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(http.method, "POST");
        assert_eq!(http.url, "http://localhost:9/v1/chat/completions");
        assert_eq!(
            http.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("accept".to_string(), "text/event-stream".to_string()),
                ("authorization".to_string(), "Bearer sk-1".to_string()),
            ]
        );
        let body: Value = serde_json::from_slice(&http.body).unwrap_or_default();
        assert_eq!(body["stream"], json!(true));
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn no_credential_no_authorization() {
        let http = build_http_request(&request(), &target("http://h", None))
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(http.headers.iter().all(|(k, _)| k != "authorization"));
        assert!(
            http.headers
                .contains(&("accept".into(), "application/json".into()))
        );
    }

    #[test]
    fn everything_mapped() {
        let mut req = request();
        req.tools = vec![ToolDefinition {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into(),
            extra: Some(r#"{"openai-chat":{"strict":true}}"#.into()),
        }];
        req.tool_choice = Some(ToolChoice::Named("get_weather".into()));
        req.parallel_tool_calls = Some(false);
        req.sampling = Sampling {
            max_tokens: Some(100),
            temperature: Some(0.7),
            top_p: Some(0.9),
            stop: vec!["END".into()],
            seed: Some(-5),
        };
        req.reasoning = Some(Reasoning {
            effort: Some("low".into()),
            budget_tokens: None,
            summary: None,
            enabled: true,
        });
        req.stream = true;
        req.extra = Some(
            r#"{"openai-chat":{"user":"u1","model":"not-this","stream_options":{"other":1},"logprobs":true},"anthropic":{"metadata":{}}}"#
                .into(),
        );
        assert_eq!(
            body_of(&req),
            json!({
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "function", "function": {
                    "name": "get_weather",
                    "description": "Weather by city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "strict": true,
                }}],
                "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
                "parallel_tool_calls": false,
                "max_tokens": 100,
                "temperature": 0.7,
                "top_p": 0.9,
                "stop": ["END"],
                "seed": -5,
                "reasoning_effort": "low",
                "stream": true,
                "stream_options": {"other": 1, "include_usage": true},
                "user": "u1",
                "logprobs": true,
            })
        );
    }

    #[test]
    fn simple_tool_choices() {
        for (choice, wire) in [
            (ToolChoice::Auto, "auto"),
            (ToolChoice::None, "none"),
            (ToolChoice::Required, "required"),
        ] {
            let mut req = request();
            req.tool_choice = Some(choice);
            assert_eq!(body_of(&req)["tool_choice"], json!(wire));
        }
    }

    #[test]
    fn max_completion_tokens_when_client_used_it() {
        let mut req = request();
        req.sampling.max_tokens = Some(64);
        req.extra = Some(r#"{"openai-chat":{"max_completion_tokens":1}}"#.into());
        let body = body_of(&req);
        assert_eq!(body["max_completion_tokens"], json!(64));
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn budget_becomes_an_effort() {
        let mut req = request();
        req.reasoning = Some(Reasoning {
            effort: None,
            budget_tokens: Some(1024),
            summary: None,
            enabled: true,
        });
        assert_eq!(body_of(&req)["reasoning_effort"], "low");
        req.reasoning = Some(Reasoning {
            effort: Some("high".into()),
            budget_tokens: None,
            summary: None,
            enabled: false,
        });
        assert!(body_of(&req).get("reasoning_effort").is_none());
    }

    #[test]
    fn non_streaming_drops_stream_extras() {
        let mut req = request();
        req.extra = Some(
            r#"{"openai-chat":{"stream":true,"stream_options":{"include_usage":true}}}"#.into(),
        );
        let body = body_of(&req);
        assert!(body.get("stream").is_none());
        assert!(body.get("stream_options").is_none());
    }

    #[test]
    fn a_tool_without_parameters_gets_an_empty_object_schema() {
        let mut req = request();
        req.tools = vec![ToolDefinition {
            name: "none".into(),
            description: None,
            parameters: " ".into(),
            extra: None,
        }];
        assert_eq!(
            body_of(&req)["tools"][0]["function"]["parameters"],
            json!({"type": "object", "properties": {}})
        );
    }

    #[test]
    fn schemas_are_written_as_they_came() {
        let schema = r#"{"type": "object", "properties": {"path": {}, "all": {}}}"#;
        let mut req = request();
        req.tools = vec![ToolDefinition {
            name: "t".into(),
            description: None,
            parameters: schema.into(),
            extra: None,
        }];
        let http =
            build_http_request(&req, &target("http://h", None)).unwrap_or_else(|e| panic!("{e:?}"));
        let text = String::from_utf8(http.body).unwrap_or_default();
        assert!(
            text.contains(&format!(r#""parameters":{schema}"#)),
            "{text}"
        );
    }

    #[test]
    fn the_body_is_written_compactly_with_spliced_fields_once() {
        // The request of `everything_mapped`, with a compact schema whose
        // keys are in order, and extra fields shadowing the spliced ones.
        let mut req = request();
        req.tools = vec![ToolDefinition {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: r#"{"properties":{"city":{"type":"string"}},"type":"object"}"#.into(),
            extra: Some(r#"{"openai-chat":{"strict":true,"parameters":"shadowed"}}"#.into()),
        }];
        req.tool_choice = Some(ToolChoice::Auto);
        req.stream = true;
        req.extra = Some(
            r#"{"openai-chat":{"user":"u1","tools":"shadowed","messages":"shadowed","zeta":1}}"#
                .into(),
        );
        assert_eq!(
            body_text(&req),
            concat!(
                r#"{"messages":[{"role":"user","content":"hi"}],"model":"gpt-4o-mini","#,
                r#""stream":true,"stream_options":{"include_usage":true},"tool_choice":"auto","#,
                r#""tools":[{"function":{"description":"Weather by city","name":"get_weather","#,
                r#""parameters":{"properties":{"city":{"type":"string"}},"type":"object"},"#,
                r#""strict":true},"type":"function"}],"user":"u1","zeta":1}"#
            )
        );
    }
}
