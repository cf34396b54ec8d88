//! Canonical request to a Responses API HTTP request (`POST {base}/responses`).

use serde_json::{Map, Value, json};
use wasmgate_wire::splice::{self, Raw, Spliced, WriteJson};
use wasmgate_wire::{extra, headers, json};

use crate::types::{Error, HttpRequest, Reasoning, Request, Target, ToolChoice, ToolDefinition};
use crate::{WIRE, error, input};

/// What `include` asks for when reasoning is on and the client did not say:
/// the encrypted reasoning, so it can be replayed statelessly (`store: false`).
const REASONING_INCLUDE: &str = "reasoning.encrypted_content";

/// `strict` for a function tool whose `extra` does not set it. The Responses
/// API makes an omitted `strict` mean strict mode (it rewrites the schema,
/// making optional fields required); every other wire is non-strict by
/// default, so a tool that does not ask for strict mode says `false`.
const DEFAULT_STRICT: bool = false;

wasmgate_wire::body_size_hint!(crate::types);

/// The upstream HTTP request for `req`, sent to `target`.
pub fn build_http_request(req: &Request, target: &Target) -> Result<HttpRequest, Error> {
    let mut wire = extra::wire_object(req.extra.as_deref(), WIRE);
    let reserved = extra::take_reserved(&mut wire);
    let body = build_body(req, target, wire)?;
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
        headers.push(("authorization".to_string(), format!("Bearer {credential}")));
    }
    headers.extend(headers::passthrough(&reserved));
    Ok(HttpRequest {
        method: "POST".into(),
        url: format!("{}/responses", target.base_url.trim_end_matches('/')),
        headers,
        body: splice::to_vec_sized(&body, body_size_hint(req))
            .map_err(|e| error::invalid_request(format!("cannot write the request body: {e}")))?,
    })
}

/// The JSON body of a Responses request: a tree, with the input items and
/// the tools spliced in, so that texts are written from the canonical ones
/// and function schemas as the text they came in.
pub struct Body<'a> {
    map: Map<String, Value>,
    input: Vec<input::Item<'a>>,
    tools: Vec<Tool<'a>>,
}

impl WriteJson for Body<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        splice::write_object(
            out,
            &self.map,
            &[
                ("input", &self.input),
                ("tools", &splice::non_empty(&self.tools)),
            ],
        )
    }
}

/// One `tools` entry.
#[derive(Debug)]
pub enum Tool<'a> {
    /// A function tool, its schema spliced in as `parameters`.
    Function(Spliced<Raw<'a>>),
    /// A built-in tool (web search, …) the client sent, passed on as is.
    Passed(Value),
}

impl WriteJson for Tool<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Tool::Function(function) => function.write_json(out),
            Tool::Passed(value) => value.write_json(out),
        }
    }
}

/// The JSON body of a Responses request; `wire` holds the request's
/// `extra["openai-responses"]` fields (without the reserved `$` keys).
pub fn build_body<'a>(
    req: &'a Request,
    target: &Target,
    mut wire: Map<String, Value>,
) -> Result<Body<'a>, Error> {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(target.model.as_str()));
    let input = input::map_messages(&req.messages);

    let mut tools = req.tools.iter().map(map_tool).collect::<Vec<_>>();
    // Built-in tools (web search, file search, …) have no canonical home; a
    // front-end keeps them in `extra.tools`. Function tools come from the
    // canonical list only.
    if !tools.is_empty()
        && let Some(Value::Array(passed)) = wire.remove("tools")
    {
        tools.extend(
            passed
                .into_iter()
                .filter(|t| t.get("type").and_then(Value::as_str) != Some("function"))
                .map(Tool::Passed),
        );
    }
    if let Some(choice) = &req.tool_choice {
        body.insert("tool_choice".into(), map_tool_choice(choice));
    }
    if let Some(parallel) = req.parallel_tool_calls {
        body.insert("parallel_tool_calls".into(), Value::Bool(parallel));
    }

    // `stop` and `seed` have no Responses equivalent and are dropped.
    let sampling = &req.sampling;
    if let Some(max) = sampling.max_tokens {
        body.insert("max_output_tokens".into(), Value::from(max));
    }
    if let Some(t) = sampling.temperature.and_then(json::f32_number) {
        body.insert("temperature".into(), t);
    }
    if let Some(p) = sampling.top_p.and_then(json::f32_number) {
        body.insert("top_p".into(), p);
    }

    if let Some(reasoning) = req.reasoning.as_ref().and_then(|r| {
        let passed = match wire.remove("reasoning") {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        map_reasoning(r, passed)
    }) {
        body.insert("reasoning".into(), reasoning);
        if !wire.contains_key("include") {
            body.insert("include".into(), json!([REASONING_INCLUDE]));
        }
    }

    if req.stream {
        body.insert("stream".into(), Value::Bool(true));
    } else {
        // Whether the answer streams is the canonical `stream` flag's call.
        wire.remove("stream");
        wire.remove("stream_options");
    }
    if !wire.contains_key("store") {
        body.insert("store".into(), Value::Bool(false));
    }

    extra::merge_missing(&mut body, wire);
    Ok(Body {
        map: body,
        input,
        tools,
    })
}

/// The `reasoning` object, or `None` when reasoning is off and no effort
/// was named (the budget has no Responses equivalent). `passed` holds
/// reasoning fields from `extra`; canonical ones win.
fn map_reasoning(reasoning: &Reasoning, passed: Map<String, Value>) -> Option<Value> {
    if !reasoning.enabled && reasoning.effort.is_none() {
        return None;
    }
    let mut obj = Map::new();
    if let Some(effort) = &reasoning.effort {
        obj.insert("effort".into(), Value::from(effort.as_str()));
    }
    if let Some(summary) = &reasoning.summary {
        obj.insert("summary".into(), Value::from(summary.as_str()));
    }
    extra::merge_missing(&mut obj, passed);
    Some(Value::Object(obj))
}

/// One function tool: `{type, name, description, parameters, strict}` plus
/// the tool's `extra["openai-responses"]` fields. The schema is written as
/// the text it came in (one JSON value: the host checked it).
fn map_tool(tool: &ToolDefinition) -> Tool<'_> {
    let parameters = match tool.parameters.trim() {
        "" => None,
        text => Some(Raw(text)),
    };
    let mut wire = extra::wire_object(tool.extra.as_deref(), WIRE);
    extra::take_reserved(&mut wire);
    let mut obj = Map::new();
    obj.insert("type".into(), Value::from("function"));
    obj.insert("name".into(), Value::from(tool.name.as_str()));
    if let Some(description) = &tool.description {
        obj.insert("description".into(), Value::from(description.as_str()));
    }
    if parameters.is_none() {
        obj.insert(
            "parameters".into(),
            json!({"type": "object", "properties": {}}),
        );
    }
    if !wire.contains_key("strict") {
        obj.insert("strict".into(), Value::Bool(DEFAULT_STRICT));
    }
    extra::merge_missing(&mut obj, wire);
    Tool::Function(Spliced {
        map: obj,
        key: "parameters",
        value: parameters,
    })
}

/// The `tool_choice` value.
fn map_tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => Value::from("auto"),
        ToolChoice::None => Value::from("none"),
        ToolChoice::Required => Value::from("required"),
        ToolChoice::Named(name) => json!({"type": "function", "name": name}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{
        ContentPart, Message, Role, Sampling, Thinking, ToolCall, ToolResult, ToolResultPart,
    };

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
            model: "gpt-5".into(),
            credential: credential.map(Into::into),
            extra: None,
        }
    }

    fn http(req: &Request, credential: Option<&str>) -> HttpRequest {
        build_http_request(req, &target("https://api.openai.com/v1/", credential))
            .unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    fn body_of(req: &Request) -> Value {
        serde_json::from_slice(&http(req, None).body).unwrap_or_default()
    }

    fn user_hi() -> Value {
        json!([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}])
    }

    #[test]
    fn minimal_request() {
        assert_eq!(
            body_of(&request()),
            json!({"model": "gpt-5", "input": user_hi(), "store": false})
        );
    }

    #[test]
    fn http_request_shape() {
        let mut req = request();
        req.stream = true;
        req.extra = Some(
            r#"{"openai-responses": {"$headers": {"OpenAI-Beta": "x", "authorization": "Bearer client"}}}"#
                .into(),
        );
        let http = http(&req, Some("sk-1"));
        assert_eq!(http.method, "POST");
        assert_eq!(http.url, "https://api.openai.com/v1/responses");
        assert_eq!(
            http.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("accept".to_string(), "text/event-stream".to_string()),
                ("authorization".to_string(), "Bearer sk-1".to_string()),
                ("openai-beta".to_string(), "x".to_string()),
            ]
        );
        let body: Value = serde_json::from_slice(&http.body).unwrap_or_default();
        assert_eq!(body["stream"], json!(true));
        assert!(body.get("$headers").is_none());
    }

    #[test]
    fn no_credential_no_authorization() {
        let http = http(&request(), Some(""));
        assert!(http.headers.iter().all(|(k, _)| k != "authorization"));
        assert!(
            http.headers
                .contains(&("accept".into(), "application/json".into()))
        );
    }

    #[test]
    fn everything_mapped() {
        let mut req = request();
        req.messages = vec![
            Message {
                role: Role::Developer,
                content: vec![ContentPart::Text("be brief".into())],
                name: None,
                extra: None,
            },
            req.messages[0].clone(),
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentPart::Thinking(Thinking {
                        text: "sum".into(),
                        signature: Some("enc".into()),
                        redacted: false,
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: "call_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Paris"}"#.into(),
                    }),
                ],
                name: None,
                extra: Some(r#"{"openai-responses": {"$parts": [{"id": "rs_1"}]}}"#.into()),
            },
            Message {
                role: Role::Tool,
                content: vec![ContentPart::ToolResult(ToolResult {
                    call_id: "call_1".into(),
                    content: vec![ToolResultPart::Text("Sunny".into())],
                    is_error: false,
                })],
                name: None,
                extra: None,
            },
        ];
        req.tools = vec![
            ToolDefinition {
                name: "get_weather".into(),
                description: Some("Weather by city".into()),
                parameters: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into(),
                extra: Some(
                    r#"{"openai-responses": {"strict": true}, "openai-chat": {"x": 1}}"#.into(),
                ),
            },
            ToolDefinition {
                name: "now".into(),
                description: None,
                parameters: String::new(),
                extra: None,
            },
        ];
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
            budget_tokens: Some(1000),
            summary: Some("auto".into()),
            enabled: true,
        });
        req.stream = true;
        req.extra = Some(
            r#"{"openai-responses": {"user": "u1", "model": "not-this", "prompt_cache_key": "k",
                "tools": [{"type": "web_search"}, {"type": "function", "name": "dup"}]},
                "anthropic": {"metadata": {"user_id": "x"}}}"#
                .into(),
        );
        assert_eq!(
            body_of(&req),
            json!({
                "model": "gpt-5",
                "input": [
                    {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
                    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                    {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "sum"}], "encrypted_content": "enc"},
                    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
                    {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"},
                ],
                "tools": [
                    {"type": "function", "name": "get_weather", "description": "Weather by city",
                     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": true},
                    {"type": "function", "name": "now", "parameters": {"type": "object", "properties": {}}, "strict": false},
                    {"type": "web_search"},
                ],
                "tool_choice": {"type": "function", "name": "get_weather"},
                "parallel_tool_calls": false,
                "max_output_tokens": 100,
                "temperature": 0.7,
                "top_p": 0.9,
                "reasoning": {"effort": "low", "summary": "auto"},
                "include": ["reasoning.encrypted_content"],
                "stream": true,
                "store": false,
                "user": "u1",
                "prompt_cache_key": "k",
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
    fn extra_overrides_store_include_and_instructions() {
        let mut req = request();
        req.reasoning = Some(Reasoning {
            effort: None,
            budget_tokens: None,
            summary: None,
            enabled: true,
        });
        req.extra = Some(
            r#"{"openai-responses": {"store": true, "include": [], "instructions": "sys",
                "reasoning": {"effort": "high", "generate_summary": "x"}}}"#
                .into(),
        );
        let body = body_of(&req);
        assert_eq!(body["store"], json!(true));
        assert_eq!(body["include"], json!([]));
        assert_eq!(body["instructions"], json!("sys"));
        assert_eq!(
            body["reasoning"],
            json!({"effort": "high", "generate_summary": "x"})
        );
    }

    #[test]
    fn reasoning_off_sends_no_reasoning() {
        let mut req = request();
        req.reasoning = Some(Reasoning {
            effort: None,
            budget_tokens: Some(0),
            summary: None,
            enabled: false,
        });
        let body = body_of(&req);
        assert!(body.get("reasoning").is_none());
        assert!(body.get("include").is_none());
        req.reasoning = Some(Reasoning {
            effort: Some("minimal".into()),
            budget_tokens: None,
            summary: None,
            enabled: false,
        });
        assert_eq!(body_of(&req)["reasoning"], json!({"effort": "minimal"}));
    }

    #[test]
    fn non_streaming_drops_stream_extras() {
        let mut req = request();
        req.extra = Some(
            r#"{"openai-responses": {"stream": true, "stream_options": {"include_obfuscation": false}}}"#
                .into(),
        );
        let body = body_of(&req);
        assert!(body.get("stream").is_none());
        assert!(body.get("stream_options").is_none());
        req.stream = true;
        assert_eq!(
            body_of(&req)["stream_options"],
            json!({"include_obfuscation": false})
        );
    }

    #[test]
    fn schemas_are_written_as_they_came() {
        let schema = r#"{"type": "object", "properties": {"path": {}, "all": {}}}"#;
        let mut req = request();
        req.tools = vec![
            ToolDefinition {
                name: "t".into(),
                description: None,
                parameters: schema.into(),
                extra: Some(r#"{"openai-responses":{"parameters":"shadowed"}}"#.into()),
            },
            ToolDefinition {
                name: "u".into(),
                description: None,
                parameters: " ".into(),
                extra: None,
            },
        ];
        let text = String::from_utf8(http(&req, None).body).unwrap_or_default();
        assert!(
            text.contains(&format!(
                r#"[{{"name":"t","parameters":{schema},"strict":false,"type":"function"}},{{"name":"u","parameters":{{"properties":{{}},"type":"object"}},"strict":false,"type":"function"}}]"#
            )),
            "{text}"
        );
    }
}
