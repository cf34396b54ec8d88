//! Canonical request to a Messages API HTTP request.

use serde_json::{Map, Value, json};
use wasmgate_wire::splice::{self, Raw, Spliced, WriteJson};
use wasmgate_wire::{extra, headers, json};

use crate::config::Config;
use crate::messages::{self, Conversation};
use crate::types::{Error, HttpRequest, Reasoning, Request, Target, ToolChoice, ToolDefinition};
use crate::{WIRE, error};

/// Where the Messages API lives when the config names no base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The `anthropic-version` sent unless the client's `$headers` name one.
pub const API_VERSION: &str = "2023-06-01";

wasmgate_wire::body_size_hint!(crate::types);

/// The upstream HTTP request for `req`, sent to `target`.
pub fn build_http_request(
    req: &Request,
    target: &Target,
    config: &Config,
) -> Result<HttpRequest, Error> {
    let mut wire = extra::wire_object(req.extra.as_deref(), WIRE);
    let passed = headers::passthrough(&extra::take_reserved(&mut wire));
    let body = build_body(req, target, config, wire)?;

    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if !passed.iter().any(|(name, _)| name == "anthropic-version") {
        headers.push(("anthropic-version".to_string(), API_VERSION.to_string()));
    }
    if let Some(credential) = target.credential.as_deref().filter(|c| !c.is_empty()) {
        headers.push(("x-api-key".to_string(), credential.to_string()));
    }
    headers.extend(passed);

    Ok(HttpRequest {
        method: "POST".into(),
        url: messages_url(&target.base_url),
        headers,
        body: splice::to_vec_sized(&body, body_size_hint(req)).map_err(|e| {
            error::invalid_request(format!("anthropic: cannot write the request body: {e}"))
        })?,
    })
}

/// `{base}/v1/messages`; a base URL that already ends in `/v1` is not
/// given a second one.
fn messages_url(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let base = if base.is_empty() {
        DEFAULT_BASE_URL
    } else {
        base
    };
    match base.strip_suffix("/v1") {
        Some(root) => format!("{root}/v1/messages"),
        None => format!("{base}/v1/messages"),
    }
}

/// The JSON body of a Messages request: a tree, with the conversation and
/// the tools spliced in, so that texts are written from the canonical ones
/// and schemas as the text they came in.
pub struct Body<'a> {
    map: Map<String, Value>,
    conversation: Conversation<'a>,
    tools: Vec<Tool<'a>>,
}

impl WriteJson for Body<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        splice::write_object(
            out,
            &self.map,
            &[
                ("messages", &self.conversation.messages),
                ("system", &splice::non_empty(&self.conversation.system)),
                ("tools", &splice::non_empty(&self.tools)),
            ],
        )
    }
}

/// One `tools` entry, its schema spliced in as `input_schema`.
pub type Tool<'a> = Spliced<Raw<'a>>;

/// The JSON body of a Messages request. `wire` holds the request's
/// `extra.anthropic` fields (reserved keys removed); they fill in what the
/// canonical fields leave out, except `thinking`, which the client's own
/// wire form always decides.
pub fn build_body<'a>(
    req: &'a Request,
    target: &Target,
    config: &Config,
    mut wire: Map<String, Value>,
) -> Result<Body<'a>, Error> {
    let conversation = messages::map_messages(&req.messages)?;
    let mut body = Map::new();
    body.insert("model".into(), Value::from(target.model.as_str()));

    let sampling = &req.sampling;
    let mut max_tokens = match (sampling.max_tokens, wire.get("max_tokens")) {
        (Some(max), _) => u64::from(max),
        (None, Some(from_client)) => from_client
            .as_u64()
            .unwrap_or(u64::from(config.default_max_tokens)),
        (None, None) => u64::from(config.default_max_tokens),
    };

    let tools = req
        .tools
        .iter()
        .map(map_tool)
        .collect::<Result<Vec<_>, _>>()?;
    if !tools.is_empty()
        && let Some(choice) = map_tool_choice(req.tool_choice.as_ref(), req.parallel_tool_calls)
    {
        body.insert("tool_choice".into(), choice);
    }

    if let Some(t) = sampling.temperature.and_then(json::f32_number) {
        body.insert("temperature".into(), t);
    }
    if let Some(p) = sampling.top_p.and_then(json::f32_number) {
        body.insert("top_p".into(), p);
    }
    if !sampling.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(sampling.stop));
    }
    // `seed` has no Messages API counterpart: dropped.

    // Same-format pass-through (Claude Code's adaptive thinking, say) wins
    // over the canonical settings, which may have lost detail. A client
    // that sent `output_config.effort` without `thinking` asked for effort
    // alone: its reasoning settings must not switch thinking on.
    let effort_only = wire
        .get("output_config")
        .and_then(|c| c.get("effort"))
        .is_some();
    let thinking = match wire.remove("thinking") {
        Some(thinking) => Some(thinking),
        None if effort_only => None,
        None => {
            let thinking = req.reasoning.as_ref().and_then(map_thinking);
            if let (Some(t), Some(effort)) = (&thinking, req.reasoning.as_ref().and_then(effort))
                && t["type"] == "adaptive"
            {
                set_effort(&mut wire, effort);
            }
            thinking
        }
    };
    if let Some(thinking) = thinking {
        // The API wants room for an answer beyond the thinking budget.
        if let Some(budget) = thinking.get("budget_tokens").and_then(Value::as_u64)
            && max_tokens <= budget
        {
            max_tokens = budget.saturating_add(max_tokens);
        }
        body.insert("thinking".into(), thinking);
    }
    body.insert("max_tokens".into(), Value::from(max_tokens));

    if req.stream {
        body.insert("stream".into(), Value::Bool(true));
    } else {
        // Whether the answer streams is the canonical `stream` flag's call.
        wire.remove("stream");
    }

    extra::merge_missing(&mut body, wire);
    Ok(Body {
        map: body,
        conversation,
        tools,
    })
}

/// One `tools` entry: `{name, description, input_schema}` plus the tool's
/// own wire fields (`cache_control`, …). A server tool (a `type` other
/// than `custom`, such as `web_search_20250305`) takes no schema. The
/// schema is written as the text it came in (one JSON value: the host
/// checked it); it must be an object.
fn map_tool(tool: &ToolDefinition) -> Result<Tool<'_>, Error> {
    let mut wire = extra::wire_object(tool.extra.as_deref(), WIRE);
    extra::take_reserved(&mut wire);
    let server_tool = wire
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "custom");

    let mut obj = Map::new();
    obj.insert("name".into(), Value::from(tool.name.as_str()));
    let mut schema = None;
    if !server_tool {
        if let Some(description) = &tool.description {
            obj.insert("description".into(), Value::from(description.as_str()));
        }
        if tool.parameters.trim().is_empty() {
            obj.insert(
                "input_schema".into(),
                json!({"type": "object", "properties": {}}),
            );
        } else {
            let text = tool.parameters.trim();
            if !text.starts_with('{') {
                return Err(error::invalid_request(format!(
                    "anthropic: parameters of tool `{}` must be a JSON Schema object",
                    tool.name
                )));
            }
            schema = Some(Raw(text));
        }
    }
    extra::merge_missing(&mut obj, wire);
    Ok(Spliced {
        map: obj,
        key: "input_schema",
        value: schema,
    })
}

/// The `tool_choice` object. `parallel_tool_calls: false` becomes
/// `disable_parallel_tool_use: true` (on `auto` when no choice was given).
fn map_tool_choice(choice: Option<&ToolChoice>, parallel: Option<bool>) -> Option<Value> {
    let serial = parallel == Some(false);
    let mut obj = match choice {
        Some(ToolChoice::None) => return Some(json!({"type": "none"})),
        Some(ToolChoice::Auto) => json!({"type": "auto"}),
        Some(ToolChoice::Required) => json!({"type": "any"}),
        Some(ToolChoice::Named(name)) => json!({"type": "tool", "name": name}),
        None if serial => json!({"type": "auto"}),
        None => return None,
    };
    if serial && let Value::Object(map) = &mut obj {
        map.insert("disable_parallel_tool_use".into(), Value::Bool(true));
    }
    Some(obj)
}

/// The `thinking` object: a budget gives `enabled`, no budget `adaptive`,
/// and reasoning turned off explicitly `disabled`.
fn map_thinking(reasoning: &Reasoning) -> Option<Value> {
    Some(if !reasoning.enabled {
        json!({"type": "disabled"})
    } else {
        match reasoning.budget_tokens.filter(|b| *b > 0) {
            Some(budget) => json!({"type": "enabled", "budget_tokens": budget}),
            None => json!({"type": "adaptive"}),
        }
    })
}

/// The `output_config.effort` for a reasoning effort hint (`minimal` is
/// `low` on this wire; other values pass through).
fn effort(reasoning: &Reasoning) -> Option<&str> {
    match reasoning.effort.as_deref()? {
        "" | "none" => None,
        "minimal" => Some("low"),
        other => Some(other),
    }
}

/// Put `effort` into the pass-through `output_config`, unless the client
/// already set one there.
fn set_effort(wire: &mut Map<String, Value>, effort: &str) {
    let config = wire
        .entry("output_config")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(config) = config {
        config
            .entry("effort")
            .or_insert_with(|| Value::from(effort));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ContentPart, ErrorKind, Message, Role, Sampling};

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
            model: "claude-sonnet-4-5".into(),
            credential: credential.map(Into::into),
            extra: None,
        }
    }

    fn http(req: &Request, target: &Target) -> HttpRequest {
        build_http_request(req, target, &Config::default()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn body_of(req: &Request) -> Value {
        let http = http(req, &target(DEFAULT_BASE_URL, None));
        serde_json::from_slice(&http.body).unwrap_or_else(|e| panic!("{e}"))
    }

    fn weather_tool() -> ToolDefinition {
        ToolDefinition {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into(),
            extra: Some(r#"{"anthropic":{"cache_control":{"type":"ephemeral"}},"openai-chat":{"strict":true}}"#.into()),
        }
    }

    fn reasoning(enabled: bool, budget: Option<u32>, effort: Option<&str>) -> Option<Reasoning> {
        Some(Reasoning {
            effort: effort.map(Into::into),
            budget_tokens: budget,
            summary: None,
            enabled,
        })
    }

    #[test]
    fn minimal_request() {
        assert_eq!(
            body_of(&request()),
            json!({
                "model": "claude-sonnet-4-5",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                "max_tokens": 8192,
            })
        );
    }

    #[test]
    fn http_request_shape() {
        let mut req = request();
        req.stream = true;
        req.extra = Some(
            r#"{"anthropic":{"$headers":{"anthropic-beta":"context-1m-2025-08-07","x-api-key":"leak"}}}"#
                .into(),
        );
        let http = http(&req, &target("http://localhost:9/", Some("sk-ant-1")));
        assert_eq!(http.method, "POST");
        assert_eq!(http.url, "http://localhost:9/v1/messages");
        assert_eq!(
            http.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("anthropic-version".to_string(), "2023-06-01".to_string()),
                ("x-api-key".to_string(), "sk-ant-1".to_string()),
                (
                    "anthropic-beta".to_string(),
                    "context-1m-2025-08-07".to_string()
                ),
            ]
        );
        let body: Value = serde_json::from_slice(&http.body).unwrap_or_default();
        assert_eq!(body["stream"], json!(true));
        assert!(body.get("$headers").is_none());
    }

    #[test]
    fn version_header_from_client_and_no_credential() {
        let mut req = request();
        req.extra = Some(r#"{"anthropic":{"$headers":{"anthropic-version":"2026-10-21"}}}"#.into());
        let http = http(&req, &target("https://proxy.example/v1/", None));
        assert_eq!(http.url, "https://proxy.example/v1/messages");
        assert_eq!(
            http.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("anthropic-version".to_string(), "2026-10-21".to_string()),
            ]
        );
        assert_eq!(
            messages_url(""),
            "https://api.anthropic.com/v1/messages".to_string()
        );
    }

    #[test]
    fn everything_mapped() {
        let mut req = request();
        req.messages.insert(
            0,
            Message {
                role: Role::System,
                content: vec![ContentPart::Text("be brief".into())],
                name: None,
                extra: None,
            },
        );
        req.tools = vec![weather_tool()];
        req.tool_choice = Some(ToolChoice::Named("get_weather".into()));
        req.parallel_tool_calls = Some(false);
        req.sampling = Sampling {
            max_tokens: Some(100),
            temperature: Some(0.7),
            top_p: Some(0.9),
            stop: vec!["END".into()],
            seed: Some(-5),
        };
        req.stream = true;
        req.extra = Some(
            r#"{"anthropic":{"metadata":{"user_id":"u1"},"model":"not-this","top_k":5,"$parts":[]},"gemini":{"safetySettings":[]}}"#
                .into(),
        );
        assert_eq!(
            body_of(&req),
            json!({
                "model": "claude-sonnet-4-5",
                "system": [{"type": "text", "text": "be brief"}],
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                "tools": [{
                    "name": "get_weather",
                    "description": "Weather by city",
                    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "cache_control": {"type": "ephemeral"},
                }],
                "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true},
                "max_tokens": 100,
                "temperature": 0.7,
                "top_p": 0.9,
                "stop_sequences": ["END"],
                "stream": true,
                "metadata": {"user_id": "u1"},
                "top_k": 5,
            })
        );
    }

    #[test]
    fn tool_choices() {
        let cases = [
            (Some(ToolChoice::Auto), None, Some(json!({"type": "auto"}))),
            (
                Some(ToolChoice::None),
                Some(false),
                Some(json!({"type": "none"})),
            ),
            (
                Some(ToolChoice::Required),
                Some(true),
                Some(json!({"type": "any"})),
            ),
            (
                None,
                Some(false),
                Some(json!({"type": "auto", "disable_parallel_tool_use": true})),
            ),
            (None, Some(true), None),
            (None, None, None),
        ];
        for (choice, parallel, wire) in cases {
            let mut req = request();
            req.tools = vec![weather_tool()];
            req.tool_choice = choice.clone();
            req.parallel_tool_calls = parallel;
            assert_eq!(
                body_of(&req).get("tool_choice").cloned(),
                wire,
                "{choice:?} {parallel:?}"
            );
        }
        // No tools, no tool_choice.
        let mut req = request();
        req.tool_choice = Some(ToolChoice::Required);
        assert!(body_of(&req).get("tool_choice").is_none());
    }

    #[test]
    fn server_tools_and_empty_schemas() {
        let mut req = request();
        req.tools = vec![
            ToolDefinition {
                name: "web_search".into(),
                description: Some("ignored".into()),
                parameters: "{}".into(),
                extra: Some(r#"{"anthropic":{"type":"web_search_20250305","max_uses":5}}"#.into()),
            },
            ToolDefinition {
                name: "noop".into(),
                description: None,
                parameters: "".into(),
                extra: None,
            },
        ];
        assert_eq!(
            body_of(&req)["tools"],
            json!([
                {"name": "web_search", "type": "web_search_20250305", "max_uses": 5},
                {"name": "noop", "input_schema": {"type": "object", "properties": {}}},
            ])
        );
    }

    #[test]
    fn thinking_settings() {
        let mut req = request();
        req.reasoning = reasoning(true, Some(4000), Some("high"));
        let body = body_of(&req);
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": 4000})
        );
        assert_eq!(body["max_tokens"], json!(8192));
        assert!(body.get("output_config").is_none());

        // max_tokens must exceed the budget.
        req.reasoning = reasoning(true, Some(10000), None);
        assert_eq!(body_of(&req)["max_tokens"], json!(18192));
        req.sampling.max_tokens = Some(2000);
        assert_eq!(body_of(&req)["max_tokens"], json!(12000));

        req.reasoning = reasoning(true, None, Some("minimal"));
        let body = body_of(&req);
        assert_eq!(body["thinking"], json!({"type": "adaptive"}));
        assert_eq!(body["output_config"], json!({"effort": "low"}));

        req.reasoning = reasoning(false, Some(5000), Some("high"));
        let body = body_of(&req);
        assert_eq!(body["thinking"], json!({"type": "disabled"}));
        assert!(body.get("output_config").is_none());

        req.reasoning = None;
        assert!(body_of(&req).get("thinking").is_none());
    }

    #[test]
    fn client_thinking_wins_and_output_config_is_kept() {
        let mut req = request();
        req.reasoning = reasoning(true, None, Some("medium"));
        req.extra = Some(
            r#"{"anthropic":{"thinking":{"type":"enabled","budget_tokens":9000},"output_config":{"effort":"low"}}}"#
                .into(),
        );
        let body = body_of(&req);
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": 9000})
        );
        assert_eq!(body["output_config"], json!({"effort": "low"}));
        assert_eq!(body["max_tokens"], json!(17192));

        // Effort without thinking from an Anthropic client stays that way.
        req.extra = Some(r#"{"anthropic":{"output_config":{"effort":"low"}}}"#.into());
        let body = body_of(&req);
        assert!(body.get("thinking").is_none());
        assert_eq!(body["output_config"], json!({"effort": "low"}));

        // Adaptive from the canonical side fills in a missing effort only.
        req.extra =
            Some(r#"{"anthropic":{"output_config":{"format":{"type":"json_schema"}}}}"#.into());
        assert_eq!(
            body_of(&req)["output_config"],
            json!({"format": {"type": "json_schema"}, "effort": "medium"})
        );
    }

    #[test]
    fn max_tokens_sources() {
        let mut req = request();
        req.extra = Some(r#"{"anthropic":{"max_tokens":333,"stream":true}}"#.into());
        let body = body_of(&req);
        assert_eq!(body["max_tokens"], json!(333));
        assert!(body.get("stream").is_none());
        req.sampling.max_tokens = Some(10);
        assert_eq!(body_of(&req)["max_tokens"], json!(10));

        let config = Config {
            default_max_tokens: 1024,
        };
        let http = build_http_request(&request(), &target("http://h", None), &config)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let body: Value = serde_json::from_slice(&http.body).unwrap_or_default();
        assert_eq!(body["max_tokens"], json!(1024));
    }

    #[test]
    fn bad_input_is_an_invalid_request() {
        // (A schema that is not JSON never gets here: the host checks.)
        let mut array_schema = request();
        array_schema.tools = vec![ToolDefinition {
            name: "broken".into(),
            description: None,
            parameters: "[]".into(),
            extra: None,
        }];
        let mut bad_call = request();
        bad_call.messages.push(Message {
            role: Role::Assistant,
            content: vec![ContentPart::ToolCall(crate::types::ToolCall {
                id: "t1".into(),
                name: "broken".into(),
                arguments: "{\"a\":".into(),
            })],
            name: None,
            extra: None,
        });
        for req in [array_schema, bad_call] {
            match build_http_request(&req, &target("http://h", None), &Config::default()) {
                Err(e) => assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, 400)),
                Ok(http) => panic!("expected an error, got {http:?}"),
            }
        }
    }

    #[test]
    fn schemas_are_written_as_they_came() {
        let schema = r#"{"type": "object", "properties": {"path": {}, "all": {}}}"#;
        let mut req = request();
        req.tools = vec![ToolDefinition {
            name: "t".into(),
            description: None,
            parameters: format!("  {schema}\n"),
            extra: Some(r#"{"anthropic":{"input_schema":"shadowed","zeta":1}}"#.into()),
        }];
        let body = http(&req, &target("http://h", None)).body;
        let text = String::from_utf8(body).unwrap_or_default();
        assert!(
            text.contains(&format!(
                r#"{{"input_schema":{schema},"name":"t","zeta":1}}"#
            )),
            "{text}"
        );
    }
}
