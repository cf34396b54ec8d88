//! Canonical request to an Ollama `POST /api/chat` request.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::error;
use crate::types::{
    ContentPart, Error, HttpRequest, Image, ImageSource, Message, Reasoning, Request, Role, Target,
    ToolChoice, ToolDefinition, ToolResult, ToolResultPart,
};

/// The upstream HTTP request for `req`, sent to `target`.
pub fn build_http_request(
    req: &Request,
    target: &Target,
    config: &Config,
) -> Result<HttpRequest, Error> {
    let body = build_body(req, target, config)?;
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "accept".to_string(),
            if req.stream {
                "application/x-ndjson"
            } else {
                "application/json"
            }
            .to_string(),
        ),
    ];
    // Ollama itself takes no key; one set for the upstream is passed on for
    // an authenticating reverse proxy in front of it.
    if let Some(credential) = target.credential.as_deref().filter(|c| !c.is_empty()) {
        headers.push(("authorization".to_string(), format!("Bearer {credential}")));
    }
    Ok(HttpRequest {
        method: "POST".into(),
        url: chat_url(&target.base_url),
        headers,
        body: Value::Object(body).to_string().into_bytes(),
    })
}

/// `{base}/api/chat`; a base that already ends in `/api` works too.
fn chat_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = base.strip_suffix("/api").unwrap_or(base);
    format!("{base}/api/chat")
}

/// The number of tool calls already in the conversation: the answer's own
/// calls are numbered from here (`call_<n>`), so the ids this plugin makes
/// up are stable for a conversation and never repeat within it.
pub fn call_offset(req: &Request) -> u32 {
    let calls = req
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .filter(|part| matches!(part, ContentPart::ToolCall(_)))
        .count();
    u32::try_from(calls).unwrap_or(u32::MAX)
}

/// The JSON body of an `/api/chat` request.
pub fn build_body(
    req: &Request,
    target: &Target,
    config: &Config,
) -> Result<Map<String, Value>, Error> {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(target.model.as_str()));
    body.insert(
        "messages".into(),
        Value::Array(map_messages(&req.messages)?),
    );

    let tools = selected_tools(&req.tools, req.tool_choice.as_ref());
    if !tools.is_empty() {
        let tools = tools
            .into_iter()
            .map(map_tool)
            .collect::<Result<Vec<_>, _>>()?;
        body.insert("tools".into(), Value::Array(tools));
    }
    // Ollama streams unless told not to: always say which.
    body.insert("stream".into(), Value::Bool(req.stream));

    let options = options(req, config);
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    if let Some(think) = req.reasoning.as_ref().map(|r| think(r, config)) {
        body.insert("think".into(), think);
    }
    if let Some(keep_alive) = &config.keep_alive {
        body.insert("keep_alive".into(), keep_alive.clone());
    }
    Ok(body)
}

/// The tools to offer. Ollama has no `tool_choice`: `none` offers no tools,
/// a named tool offers only that one, `auto` and `required` offer them all.
fn selected_tools<'a>(
    tools: &'a [ToolDefinition],
    choice: Option<&ToolChoice>,
) -> Vec<&'a ToolDefinition> {
    match choice {
        Some(ToolChoice::None) => Vec::new(),
        Some(ToolChoice::Named(name)) => tools.iter().filter(|t| &t.name == name).collect(),
        _ => tools.iter().collect(),
    }
}

/// One `tools` entry.
fn map_tool(tool: &ToolDefinition) -> Result<Value, Error> {
    let parameters: Value = serde_json::from_str(&tool.parameters).map_err(|e| {
        error::invalid_request(format!(
            "tool `{}` has parameters that are not valid JSON: {e}",
            tool.name
        ))
    })?;
    let mut function = Map::new();
    function.insert("name".into(), Value::from(tool.name.as_str()));
    if let Some(description) = &tool.description {
        function.insert("description".into(), Value::from(description.as_str()));
    }
    function.insert("parameters".into(), parameters);
    Ok(json!({"type": "function", "function": function}))
}

/// `options`: the plugin config's, then the client's sampling settings
/// (which win).
fn options(req: &Request, config: &Config) -> Map<String, Value> {
    let mut options = config.options.clone();
    let s = &req.sampling;
    if let Some(t) = s.temperature.and_then(f32_number) {
        options.insert("temperature".into(), t);
    }
    if let Some(p) = s.top_p.and_then(f32_number) {
        options.insert("top_p".into(), p);
    }
    if let Some(max) = s.max_tokens {
        options.insert("num_predict".into(), Value::from(max));
    }
    if !s.stop.is_empty() {
        options.insert("stop".into(), json!(s.stop));
    }
    if let Some(seed) = s.seed {
        options.insert("seed".into(), Value::from(seed));
    }
    options
}

/// An `f32` as the JSON number a person would write (`0.7`, not
/// `0.699999988079071`); `None` for NaN and infinities.
fn f32_number(x: f32) -> Option<Value> {
    let shortest: f64 = x.to_string().parse().ok()?;
    serde_json::Number::from_f64(shortest).map(Value::Number)
}

/// `think`: `false` when reasoning is off, else `true`, or the effort level
/// when the config says the model takes levels.
fn think(reasoning: &Reasoning, config: &Config) -> Value {
    if !reasoning.enabled {
        return Value::Bool(false);
    }
    match reasoning.effort.as_deref() {
        Some(effort @ ("low" | "medium" | "high")) if config.think_levels => Value::from(effort),
        _ => Value::Bool(true),
    }
}

/// Map the conversation. Each tool result becomes its own `role: "tool"`
/// message naming its tool (`tool_name`, looked up from the call it answers:
/// Ollama has no call ids).
pub fn map_messages(messages: &[Message]) -> Result<Vec<Value>, Error> {
    let mut out = Vec::with_capacity(messages.len());
    let mut names: HashMap<&str, &str> = HashMap::new();
    for message in messages {
        map_message(message, &mut names, &mut out)?;
    }
    Ok(out)
}

/// Append the wire messages for one canonical message to `out`, and record
/// its tool calls' names in `names`.
fn map_message<'a>(
    message: &'a Message,
    names: &mut HashMap<&'a str, &'a str>,
    out: &mut Vec<Value>,
) -> Result<(), Error> {
    let mut text = String::new();
    let mut thinking = String::new();
    let mut images: Vec<Value> = Vec::new();
    let mut tool_calls: Vec<Value> = Vec::new();
    let mut own = false;

    for part in &message.content {
        match part {
            ContentPart::Text(t) => {
                text.push_str(t);
                own = true;
            }
            ContentPart::Image(image) => {
                images.push(Value::from(image_data(image)?));
                own = true;
            }
            ContentPart::Thinking(t) => {
                // Only readable reasoning can be replayed.
                if !t.redacted && message.role == Role::Assistant {
                    thinking.push_str(&t.text);
                }
            }
            ContentPart::ToolCall(call) => {
                names.insert(&call.id, &call.name);
                tool_calls.push(json!({
                    "function": {"name": call.name, "arguments": arguments(&call.name, &call.arguments)?},
                }));
                own = true;
            }
            ContentPart::ToolResult(result) => out.push(tool_result_message(result, names)?),
        }
    }
    // A message whose every part went elsewhere (tool results) or nowhere
    // (redacted thinking) is not sent on its own.
    if !own && !message.content.is_empty() && thinking.is_empty() {
        return Ok(());
    }

    let mut obj = Map::new();
    obj.insert("role".into(), Value::from(role_name(message.role)));
    obj.insert("content".into(), Value::from(text));
    if !images.is_empty() {
        obj.insert("images".into(), Value::Array(images));
    }
    if !thinking.is_empty() {
        obj.insert("thinking".into(), Value::from(thinking));
    }
    if !tool_calls.is_empty() {
        obj.insert("tool_calls".into(), Value::Array(tool_calls));
    }
    out.push(Value::Object(obj));
    Ok(())
}

/// The wire role: Ollama has no developer role, which is a system prompt.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::System | Role::Developer => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

/// Tool-call arguments as the JSON object Ollama wants (`{}` when empty).
fn arguments(name: &str, text: &str) -> Result<Value, Error> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(error::invalid_request(format!(
            "tool call `{name}` has arguments that are not a JSON object; Ollama takes objects only"
        ))),
    }
}

/// A `role: "tool"` message for one result: its text (prefixed when the
/// tool failed, as Ollama has no error flag), its images, and the name of
/// the tool whose call it answers.
fn tool_result_message(result: &ToolResult, names: &HashMap<&str, &str>) -> Result<Value, Error> {
    let mut text = String::new();
    let mut images = Vec::new();
    for part in &result.content {
        match part {
            ToolResultPart::Text(t) => text.push_str(t),
            ToolResultPart::Image(image) => images.push(Value::from(image_data(image)?)),
        }
    }
    if result.is_error {
        text.insert_str(0, "Error: ");
    }
    let mut obj = Map::new();
    obj.insert("role".into(), Value::from("tool"));
    obj.insert("content".into(), Value::from(text));
    if !images.is_empty() {
        obj.insert("images".into(), Value::Array(images));
    }
    if let Some(name) = names.get(result.call_id.as_str()) {
        obj.insert("tool_name".into(), Value::from(*name));
    }
    Ok(Value::Object(obj))
}

/// The base64 bytes of an image: Ollama takes images inline only, so a
/// `data:` URL is unwrapped and any other URL is refused (the plugin has no
/// network to fetch it).
fn image_data(image: &Image) -> Result<String, Error> {
    match &image.source {
        ImageSource::Base64(data) => Ok(data.clone()),
        ImageSource::Url(url) => url
            .strip_prefix("data:")
            .and_then(|rest| rest.split_once(";base64,"))
            .map(|(_, data)| data.to_string())
            .ok_or_else(|| {
                error::invalid_request(
                    "Ollama takes images inline only: send base64 data or a data: URL, not a link",
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, Sampling, Thinking, ToolCall};

    fn msg(role: Role, content: Vec<ContentPart>) -> Message {
        Message {
            role,
            content,
            name: None,
            extra: None,
        }
    }

    fn text(t: &str) -> ContentPart {
        ContentPart::Text(t.into())
    }

    fn request(messages: Vec<Message>) -> Request {
        Request {
            model: "client-model".into(),
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

    fn target(base_url: &str, credential: Option<&str>) -> Target {
        Target {
            base_url: base_url.into(),
            model: "llama3.2".into(),
            credential: credential.map(Into::into),
            extra: None,
        }
    }

    fn body_of(req: &Request, config: &Config) -> Value {
        match build_body(req, &target("http://127.0.0.1:11434", None), config) {
            Ok(body) => Value::Object(body),
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    fn weather_tool() -> ToolDefinition {
        ToolDefinition {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into(),
            extra: None,
        }
    }

    #[test]
    fn minimal_request() {
        let req = request(vec![msg(Role::User, vec![text("hi")])]);
        assert_eq!(
            body_of(&req, &Config::default()),
            json!({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": false})
        );
    }

    #[test]
    fn http_request_shape() {
        let mut req = request(vec![msg(Role::User, vec![text("hi")])]);
        req.stream = true;
        let http = build_http_request(
            &req,
            &target("http://localhost:9/", Some("k1")),
            &Config::default(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(http.method, "POST");
        assert_eq!(http.url, "http://localhost:9/api/chat");
        assert_eq!(
            http.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("accept".to_string(), "application/x-ndjson".to_string()),
                ("authorization".to_string(), "Bearer k1".to_string()),
            ]
        );
        let body: Value = serde_json::from_slice(&http.body).unwrap_or_default();
        assert_eq!(body["stream"], json!(true));
        let http = build_http_request(&req, &target("http://h/api", None), &Config::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(http.url, "http://h/api/chat");
        assert!(http.headers.iter().all(|(k, _)| k != "authorization"));
    }

    #[test]
    fn sampling_reasoning_tools_and_config() {
        let mut req = request(vec![
            msg(Role::System, vec![text("be "), text("brief")]),
            msg(Role::Developer, vec![text("dev")]),
            msg(Role::User, vec![text("weather?")]),
        ]);
        req.tools = vec![weather_tool()];
        req.tool_choice = Some(ToolChoice::Auto);
        req.sampling = Sampling {
            max_tokens: Some(100),
            temperature: Some(0.7),
            top_p: Some(0.9),
            stop: vec!["END".into()],
            seed: Some(-5),
        };
        req.reasoning = Some(Reasoning {
            effort: Some("high".into()),
            budget_tokens: None,
            summary: None,
            enabled: true,
        });
        let config = Config {
            keep_alive: Some(json!("10m")),
            options: [
                ("num_ctx".to_string(), json!(8192)),
                ("temperature".to_string(), json!(0.1)),
            ]
            .into_iter()
            .collect(),
            think_levels: false,
        };
        assert_eq!(
            body_of(&req, &config),
            json!({
                "model": "llama3.2",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "system", "content": "dev"},
                    {"role": "user", "content": "weather?"},
                ],
                "tools": [{"type": "function", "function": {
                    "name": "get_weather",
                    "description": "Weather by city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                }}],
                "stream": false,
                "options": {"num_ctx": 8192, "temperature": 0.7, "top_p": 0.9,
                            "num_predict": 100, "stop": ["END"], "seed": -5},
                "think": true,
                "keep_alive": "10m",
            })
        );
        let levels = Config {
            think_levels: true,
            ..Config::default()
        };
        assert_eq!(body_of(&req, &levels)["think"], json!("high"));
        req.reasoning = Some(Reasoning {
            effort: Some("high".into()),
            budget_tokens: None,
            summary: None,
            enabled: false,
        });
        assert_eq!(body_of(&req, &levels)["think"], json!(false));
    }

    #[test]
    fn tool_choice_selects_tools() {
        let mut req = request(vec![msg(Role::User, vec![text("x")])]);
        let mut other = weather_tool();
        other.name = "other".into();
        other.description = None;
        req.tools = vec![weather_tool(), other];
        req.tool_choice = Some(ToolChoice::None);
        assert!(body_of(&req, &Config::default()).get("tools").is_none());
        req.tool_choice = Some(ToolChoice::Named("other".into()));
        assert_eq!(
            body_of(&req, &Config::default())["tools"],
            json!([{"type": "function", "function": {
                "name": "other",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            }}])
        );
        req.tool_choice = Some(ToolChoice::Required);
        assert_eq!(
            body_of(&req, &Config::default())["tools"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn tool_round_trip_names_the_tool() {
        let messages = vec![
            msg(Role::User, vec![text("weather in Paris and Rome?")]),
            msg(
                Role::Assistant,
                vec![
                    ContentPart::Thinking(Thinking {
                        text: "two cities".into(),
                        signature: None,
                        redacted: false,
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: "call_0".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Paris"}"#.into(),
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: "call_1".into(),
                        name: "get_time".into(),
                        arguments: String::new(),
                    }),
                ],
            ),
            // Anthropic groups results in a user turn, OpenAI sends tool
            // messages: both become one Ollama tool message per result.
            msg(
                Role::User,
                vec![
                    ContentPart::ToolResult(ToolResult {
                        call_id: "call_0".into(),
                        content: vec![ToolResultPart::Text("18C".into())],
                        is_error: false,
                    }),
                    ContentPart::ToolResult(ToolResult {
                        call_id: "call_1".into(),
                        content: vec![ToolResultPart::Text("no clock".into())],
                        is_error: true,
                    }),
                ],
            ),
            msg(
                Role::Tool,
                vec![ContentPart::ToolResult(ToolResult {
                    call_id: "unknown".into(),
                    content: vec![ToolResultPart::Image(Image {
                        source: ImageSource::Url("data:image/png;base64,iVBO".into()),
                        media_type: None,
                        detail: None,
                    })],
                    is_error: false,
                })],
            ),
        ];
        let req = request(messages);
        assert_eq!(call_offset(&req), 2);
        assert_eq!(
            body_of(&req, &Config::default())["messages"],
            json!([
                {"role": "user", "content": "weather in Paris and Rome?"},
                {"role": "assistant", "content": "", "thinking": "two cities", "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                    {"function": {"name": "get_time", "arguments": {}}},
                ]},
                {"role": "tool", "content": "18C", "tool_name": "get_weather"},
                {"role": "tool", "content": "Error: no clock", "tool_name": "get_time"},
                {"role": "tool", "content": "", "images": ["iVBO"]},
            ])
        );
    }

    #[test]
    fn images_inline_only() {
        let image = |source| {
            ContentPart::Image(Image {
                source,
                media_type: Some("image/png".into()),
                detail: None,
            })
        };
        let req = request(vec![msg(
            Role::User,
            vec![
                text("what is this?"),
                image(ImageSource::Base64("AAAA".into())),
                image(ImageSource::Url("data:image/jpeg;base64,BBBB".into())),
            ],
        )]);
        assert_eq!(
            body_of(&req, &Config::default())["messages"],
            json!([{"role": "user", "content": "what is this?", "images": ["AAAA", "BBBB"]}])
        );
        let req = request(vec![msg(
            Role::User,
            vec![image(ImageSource::Url(
                "https://example.com/cat.png".into(),
            ))],
        )]);
        match build_body(&req, &target("http://h", None), &Config::default()) {
            Err(e) => assert_eq!(e.kind, ErrorKind::InvalidRequest),
            Ok(body) => panic!("a link was accepted: {body:?}"),
        }
    }

    #[test]
    fn redacted_thinking_alone_is_dropped() {
        let req = request(vec![
            msg(
                Role::Assistant,
                vec![ContentPart::Thinking(Thinking {
                    text: "opaque".into(),
                    signature: Some("sig".into()),
                    redacted: true,
                })],
            ),
            msg(Role::User, vec![text("go on")]),
        ]);
        assert_eq!(
            body_of(&req, &Config::default())["messages"],
            json!([{"role": "user", "content": "go on"}])
        );
    }

    #[test]
    fn bad_json_is_an_invalid_request() {
        let mut req = request(vec![msg(Role::User, vec![text("x")])]);
        req.tools = vec![ToolDefinition {
            name: "broken".into(),
            description: None,
            parameters: "{not json".into(),
            extra: None,
        }];
        let e = build_body(&req, &target("http://h", None), &Config::default()).err();
        assert!(e.is_some_and(|e| e.message.contains("broken") && e.status == 400));

        let req = request(vec![msg(
            Role::Assistant,
            vec![ContentPart::ToolCall(ToolCall {
                id: "c".into(),
                name: "f".into(),
                arguments: "[1]".into(),
            })],
        )]);
        let e = build_body(&req, &target("http://h", None), &Config::default()).err();
        assert!(e.is_some_and(|e| e.message.contains("`f`")));
    }
}
