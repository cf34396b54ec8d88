//! `responses.create` request JSON → canonical request.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::input::decode_input;
use crate::api_error::ApiError;
use crate::canonical::{
    ContentPart, Message, Reasoning, Request, Role, Sampling, ToolChoice, ToolDefinition,
};
use crate::frontend::kept_text::{self, Step};
use crate::frontend::{Format, extra};

/// The `tools` array, kept as text (see [`kept_text`]): the Response
/// object echoes it as it came, and a coding agent sends tens of kilobytes
/// of tools with every turn.
const TOOLS: &[Step] = &[Step::Key("tools")];

/// Where the JSON Schemas are in that text, kept as text in turn: the
/// gateway passes them on and never reads them.
const SCHEMAS: &[Step] = &[Step::Each, Step::Key("parameters")];

/// What the Response object echoes from the request: `tools`,
/// `tool_choice`, `instructions`, sampling settings, … as the client sent
/// them, with the API's defaults for what it left out.
#[derive(Debug, Clone)]
pub struct Echo {
    /// The echoed fields, `tools` among them unless it is in [`Echo::tools`].
    pub fields: Map<String, Value>,
    /// The client's `tools` array as the JSON text it sent (line breaks
    /// taken out, so it fits on an SSE `data:` line): written back as it
    /// is, never read into a tree. Shared by every event that echoes it.
    pub tools: Option<Arc<String>>,
}

impl Default for Echo {
    fn default() -> Self {
        Echo {
            fields: default_fields(),
            tools: None,
        }
    }
}

/// The echoed fields' values when the client did not send them.
fn default_fields() -> Map<String, Value> {
    let Value::Object(fields) = json!({
        "instructions": null,
        "max_output_tokens": null,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "store": false,
        "temperature": null,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": null,
        "truncation": "disabled",
        "user": null,
        "metadata": {},
    }) else {
        return Map::new();
    };
    fields
}

/// `tools` text as the echo keeps it: JSON text holds a line break only
/// between tokens (inside a string it is escaped), so taking them out
/// leaves the same JSON on one line.
fn echoed_tools(text: String) -> Arc<String> {
    if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_none() {
        return Arc::new(text);
    }
    Arc::new(text.replace(['\n', '\r'], ""))
}

/// Request fields the Response object echoes when the client sent them.
const ECHOED: &[&str] = &[
    "instructions",
    "max_output_tokens",
    "parallel_tool_calls",
    "reasoning",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_p",
    "truncation",
    "user",
    "metadata",
    "prompt_cache_key",
    "prompt_cache_retention",
    "safety_identifier",
    "top_logprobs",
    "max_tool_calls",
];

/// Top-level keys with a canonical home; every other key goes to `extra`.
/// `tools`, `tool_choice` and `reasoning` are handled apart: what of them
/// has no canonical home goes to `extra` too.
const KNOWN: &[&str] = &[
    "model",
    "input",
    "instructions",
    "parallel_tool_calls",
    "max_output_tokens",
    "temperature",
    "top_p",
    "stream",
    "previous_response_id",
    "conversation",
];

/// Decode a request body.
pub fn decode_request(body: &[u8]) -> Result<(Request, Echo), ApiError> {
    let value = kept_text::parse(body, &[TOOLS]).map_err(|e| {
        ApiError::bad_field("body", format!("request body is not valid JSON: {e}"))
            .with_code("invalid_json")
    })?;
    let Value::Object(mut obj) = value else {
        return Err(ApiError::bad_field(
            "body",
            "request body must be a JSON object",
        ));
    };
    for key in ["previous_response_id", "conversation"] {
        if obj.get(key).is_some_and(|v| !v.is_null()) {
            return Err(ApiError::bad_field(
                key,
                format!(
                    "`{key}` is not supported: wasmgate does not store responses or \
                     conversations. Resend the full conversation in `input` (with \
                     `store: false`, as stateless clients do)."
                ),
            )
            .with_code("unsupported_parameter"));
        }
    }
    if obj.get("background").and_then(Value::as_bool) == Some(true) {
        return Err(ApiError::bad_field(
            "background",
            "`background: true` is not supported: wasmgate does not store responses",
        )
        .with_code("unsupported_parameter"));
    }
    let model = match obj.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => {
            return Err(ApiError::bad_field(
                "model",
                "`model` is required and must be a non-empty string",
            ));
        }
    };
    let mut messages = Vec::new();
    match obj.get("instructions") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => messages.push(Message {
            role: Role::System,
            content: vec![ContentPart::Text(text.clone())],
            name: None,
            extra: None,
        }),
        Some(_) => {
            return Err(ApiError::bad_field(
                "instructions",
                "`instructions` must be a string",
            ));
        }
    }
    messages.extend(decode_input(obj.remove("input"))?);

    // The kept `tools` text (`null` stays a `null`), and its tree with
    // the schemas kept as text.
    let mut tools_text = match obj.remove("tools") {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    let tools_tree = match &tools_text {
        Some(text) => Some(kept_text::parse(text.as_bytes(), &[SCHEMAS]).map_err(|e| {
            ApiError::bad_field("tools", format!("`tools` is not valid JSON: {e}"))
        })?),
        None => None,
    };
    let (tools, other_tools) = decode_tools(tools_tree.as_ref())?;
    let (tool_choice, other_choice) = decode_tool_choice(obj.get("tool_choice"))?;
    let (reasoning, other_reasoning) = decode_reasoning(obj.get("reasoning"))?;
    let sampling = Sampling {
        max_tokens: opt_u32(&obj, "max_output_tokens")?,
        temperature: opt_f32(&obj, "temperature")?,
        top_p: opt_f32(&obj, "top_p")?,
        stop: Vec::new(),
        seed: None,
    };
    let stream = opt_bool(&obj, "stream")?.unwrap_or(false);
    let parallel_tool_calls = opt_bool(&obj, "parallel_tool_calls")?;

    let mut echo = Echo::default();
    for key in ECHOED {
        if *key == "tools" {
            // `decode_tools` took it: an array.
            if let Some(text) = tools_text.take() {
                echo.tools = Some(echoed_tools(text));
                echo.fields.remove("tools");
            }
        } else if let Some(value) = obj.get(*key).filter(|v| !v.is_null()) {
            echo.fields.insert((*key).to_string(), value.clone());
        }
    }

    let mut obj = extra::without(obj, KNOWN);
    obj.remove("tools");
    obj.remove("tool_choice");
    obj.remove("reasoning");
    if let Some(tools) = other_tools {
        obj.insert("tools".into(), tools);
    }
    if let Some(choice) = other_choice {
        obj.insert("tool_choice".into(), choice);
    }
    if let Some(reasoning) = other_reasoning {
        obj.insert("reasoning".into(), reasoning);
    }
    let request = Request {
        model,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling,
        stream,
        reasoning,
        extra: extra::wrap(Format::OpenAiResponses, obj),
    };
    Ok((request, echo))
}

/// Function tools become canonical tools; any other tools are returned as
/// they came, for `extra`.
fn decode_tools(value: Option<&Value>) -> Result<(Vec<ToolDefinition>, Option<Value>), ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok((Vec::new(), None)),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::bad_field("tools", "`tools` must be an array")),
    };
    let mut tools = Vec::new();
    let mut others = Vec::new();
    for (i, tool) in items.iter().enumerate() {
        let Value::Object(fields) = tool else {
            return Err(ApiError::bad_field(
                format!("tools[{i}]"),
                "each tool must be an object",
            ));
        };
        match fields.get("type").and_then(Value::as_str) {
            Some("function") => tools.push(decode_function_tool(i, fields)?),
            Some(_) => others.push(with_schema_trees(tool)),
            None => {
                return Err(ApiError::bad_field(
                    format!("tools[{i}].type"),
                    "tools need a `type`",
                ));
            }
        }
    }
    Ok((tools, (!others.is_empty()).then_some(Value::Array(others))))
}

fn decode_function_tool(i: usize, fields: &Map<String, Value>) -> Result<ToolDefinition, ApiError> {
    let name = fields
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_field(format!("tools[{i}].name"), "tools need a name"))?;
    let description = match fields.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d.clone()),
        Some(_) => {
            return Err(ApiError::bad_field(
                format!("tools[{i}].description"),
                "`description` must be a string",
            ));
        }
    };
    let parameters = match fields.get("parameters") {
        None | Some(Value::Null) => r#"{"type":"object","properties":{}}"#.to_string(),
        // The schema is its JSON text already: see `SCHEMAS`.
        Some(Value::String(text)) if text.starts_with('{') => text.clone(),
        Some(_) => {
            return Err(ApiError::bad_field(
                format!("tools[{i}].parameters"),
                "`parameters` must be a JSON Schema object",
            ));
        }
    };
    let rest = extra::leftovers(fields, &["type", "name", "description", "parameters"]);
    Ok(ToolDefinition {
        name: name.to_string(),
        description,
        parameters,
        extra: extra::wrap(Format::OpenAiResponses, rest),
    })
}

/// `tool` as the client sent it: a `parameters` kept as text (see
/// [`SCHEMAS`]) read back into a tree.
fn with_schema_trees(tool: &Value) -> Value {
    let mut tool = tool.clone();
    if let Some(parameters) = tool.get_mut("parameters")
        && let Value::String(text) = parameters
        && let Ok(tree) = serde_json::from_str::<Value>(text)
    {
        *parameters = tree;
    }
    tool
}

/// The canonical choice; a choice of a non-function tool is returned as
/// it came, for `extra`.
fn decode_tool_choice(
    value: Option<&Value>,
) -> Result<(Option<ToolChoice>, Option<Value>), ApiError> {
    match value {
        None | Some(Value::Null) => Ok((None, None)),
        Some(Value::String(s)) => match s.as_str() {
            "auto" => Ok((Some(ToolChoice::Auto), None)),
            "none" => Ok((Some(ToolChoice::None), None)),
            "required" => Ok((Some(ToolChoice::Required), None)),
            other => Err(ApiError::bad_field(
                "tool_choice",
                format!("unknown tool_choice `{other}`; use auto, none, required or an object"),
            )),
        },
        Some(choice @ Value::Object(fields)) => match fields.get("type").and_then(Value::as_str) {
            Some("function") => match fields.get("name").and_then(Value::as_str) {
                Some(name) if !name.is_empty() => {
                    Ok((Some(ToolChoice::Named(name.to_string())), None))
                }
                _ => Err(ApiError::bad_field(
                    "tool_choice.name",
                    "a function tool_choice needs a `name`",
                )),
            },
            Some(_) => Ok((None, Some(choice.clone()))),
            None => Err(ApiError::bad_field(
                "tool_choice.type",
                "a tool_choice object needs a `type`",
            )),
        },
        Some(_) => Err(ApiError::bad_field(
            "tool_choice",
            "`tool_choice` must be a string or an object",
        )),
    }
}

/// `reasoning {effort, summary}` → canonical reasoning. Other keys of the
/// object (e.g. `generate_summary`) are returned, with effort and summary,
/// for `extra`.
fn decode_reasoning(value: Option<&Value>) -> Result<(Option<Reasoning>, Option<Value>), ApiError> {
    let fields = match value {
        None | Some(Value::Null) => return Ok((None, None)),
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            return Err(ApiError::bad_field(
                "reasoning",
                "`reasoning` must be an object",
            ));
        }
    };
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::bad_field(
                format!("reasoning.{key}"),
                format!("`reasoning.{key}` must be a string"),
            )),
        }
    };
    let effort = text("effort")?;
    let summary = text("summary")?;
    let reasoning = Reasoning {
        enabled: effort.as_deref() != Some("none"),
        effort,
        budget_tokens: None,
        summary,
    };
    let others = fields
        .keys()
        .any(|k| k != "effort" && k != "summary")
        .then(|| Value::Object(fields.clone()));
    Ok((Some(reasoning), others))
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad_field(
            key,
            format!("`{key}` must be a boolean"),
        )),
    }
}

fn opt_u32(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_field(key, format!("`{key}` must be a non-negative integer"))
            }),
    }
}

fn opt_f32(obj: &Map<String, Value>, key: &str) -> Result<Option<f32>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(|n| Some(n as f32))
            .ok_or_else(|| ApiError::bad_field(key, format!("`{key}` must be a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: Value) -> Result<(Request, Echo), ApiError> {
        decode_request(body.to_string().as_bytes())
    }

    fn extra_of(text: Option<&str>) -> Map<String, Value> {
        extra::unwrap(Format::OpenAiResponses, text)
    }

    fn param(result: Result<(Request, Echo), ApiError>) -> Option<String> {
        result.err().and_then(|e| e.param)
    }

    #[test]
    fn string_input_and_every_top_level_field() -> Result<(), ApiError> {
        let (req, echo) = decode(json!({
            "model": "gpt-x",
            "input": "Hi",
            "instructions": "Be brief.",
            "tools": [
                {"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}, "strict": true},
                {"type": "web_search"}
            ],
            "tool_choice": {"type": "function", "name": "f"},
            "parallel_tool_calls": false,
            "max_output_tokens": 100,
            "temperature": 0.5,
            "top_p": 0.9,
            "stream": true,
            "reasoning": {"effort": "low", "summary": "auto"},
            "text": {"format": {"type": "text"}},
            "store": false,
            "include": ["reasoning.encrypted_content"],
            "prompt_cache_key": "k",
            "metadata": {"a": "b"},
            "user": "u1",
            "service_tier": "auto",
            "previous_response_id": null
        }))?;
        assert_eq!(req.model, "gpt-x");
        assert!(req.stream);
        assert_eq!(req.messages.len(), 2);
        assert_eq!(req.messages[0].role, Role::System);
        assert!(matches!(&req.messages[0].content[0], ContentPart::Text(t) if t == "Be brief."));
        assert_eq!(req.messages[1].role, Role::User);
        assert!(matches!(&req.messages[1].content[0], ContentPart::Text(t) if t == "Hi"));
        assert_eq!(req.tools.len(), 1);
        assert_eq!(req.tools[0].name, "f");
        assert_eq!(req.tools[0].description.as_deref(), Some("d"));
        assert_eq!(req.tools[0].parameters, r#"{"type":"object"}"#);
        assert_eq!(
            req.tools[0].extra.as_deref(),
            Some(r#"{"openai-responses":{"strict":true}}"#)
        );
        assert!(matches!(req.tool_choice, Some(ToolChoice::Named(ref n)) if n == "f"));
        assert_eq!(req.parallel_tool_calls, Some(false));
        assert_eq!(req.sampling.max_tokens, Some(100));
        assert_eq!(req.sampling.temperature, Some(0.5));
        assert_eq!(req.sampling.top_p, Some(0.9));
        let reasoning = req.reasoning.as_ref();
        assert_eq!(reasoning.and_then(|r| r.effort.as_deref()), Some("low"));
        assert_eq!(reasoning.and_then(|r| r.summary.as_deref()), Some("auto"));
        assert!(reasoning.is_some_and(|r| r.enabled));

        let extra = extra_of(req.extra.as_deref());
        assert_eq!(extra["tools"], json!([{"type": "web_search"}]));
        assert_eq!(extra["text"], json!({"format": {"type": "text"}}));
        assert_eq!(extra["store"], false);
        assert_eq!(extra["include"], json!(["reasoning.encrypted_content"]));
        assert_eq!(extra["prompt_cache_key"], "k");
        assert_eq!(extra["metadata"], json!({"a": "b"}));
        assert_eq!(extra["user"], "u1");
        assert_eq!(extra["service_tier"], "auto");
        for key in [
            "model",
            "input",
            "instructions",
            "tool_choice",
            "reasoning",
            "stream",
            "previous_response_id",
        ] {
            assert!(!extra.contains_key(key), "{key} has a canonical home");
        }

        assert_eq!(echo.fields["instructions"], "Be brief.");
        assert_eq!(echoed(&echo).as_array().map(Vec::len), Some(2));
        assert_eq!(
            echo.fields["tool_choice"],
            json!({"type": "function", "name": "f"})
        );
        assert_eq!(echo.fields["parallel_tool_calls"], false);
        assert_eq!(echo.fields["max_output_tokens"], 100);
        assert_eq!(echo.fields["store"], false);
        assert_eq!(echo.fields["previous_response_id"], Value::Null);
        assert_eq!(echo.fields["metadata"], json!({"a": "b"}));
        Ok(())
    }

    #[test]
    fn defaults_echo_like_the_api() -> Result<(), ApiError> {
        let (req, echo) = decode(json!({"model": "m", "input": "x"}))?;
        assert!(!req.stream && req.extra.is_none() && req.tool_choice.is_none());
        assert_eq!(echo.fields["tool_choice"], "auto");
        assert_eq!(echo.fields["tools"], json!([]));
        assert_eq!(echo.fields["parallel_tool_calls"], true);
        assert_eq!(echo.fields["text"], json!({"format": {"type": "text"}}));
        Ok(())
    }

    #[test]
    fn tool_choice_forms() -> Result<(), ApiError> {
        for (choice, expected) in [
            (json!("auto"), Some(ToolChoice::Auto)),
            (json!("none"), Some(ToolChoice::None)),
            (json!("required"), Some(ToolChoice::Required)),
        ] {
            let (req, _) = decode(json!({"model": "m", "input": "x", "tool_choice": choice}))?;
            assert_eq!(format!("{:?}", req.tool_choice), format!("{expected:?}"));
        }
        let hosted = json!({"type": "web_search_preview"});
        let (req, echo) = decode(json!({"model": "m", "input": "x", "tool_choice": hosted}))?;
        assert!(req.tool_choice.is_none());
        assert_eq!(extra_of(req.extra.as_deref())["tool_choice"], hosted);
        assert_eq!(echo.fields["tool_choice"], hosted);
        Ok(())
    }

    #[test]
    fn reasoning_none_and_extra_keys() -> Result<(), ApiError> {
        let (req, _) = decode(json!({"model": "m", "input": "x",
            "reasoning": {"effort": "none", "generate_summary": "auto"}}))?;
        assert!(req.reasoning.as_ref().is_some_and(|r| !r.enabled));
        assert_eq!(
            extra_of(req.extra.as_deref())["reasoning"]["generate_summary"],
            "auto"
        );
        Ok(())
    }

    #[test]
    fn stored_state_is_refused_naming_the_field() {
        let err =
            decode(json!({"model": "m", "input": "x", "previous_response_id": "resp_1"})).err();
        assert_eq!(
            err.as_ref().and_then(|e| e.param.as_deref()),
            Some("previous_response_id")
        );
        assert_eq!(err.as_ref().map(|e| e.status.as_u16()), Some(400));
        assert!(err.is_some_and(|e| e.message.contains("does not store")));
        assert_eq!(
            param(decode(
                json!({"model": "m", "input": "x", "conversation": "conv_1"})
            )),
            Some("conversation".into())
        );
        assert_eq!(
            param(decode(
                json!({"model": "m", "input": "x", "background": true})
            )),
            Some("background".into())
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let err = decode_request(b"{not json").err();
        assert_eq!(err.and_then(|e| e.code), Some("invalid_json"));
        assert_eq!(param(decode(json!([1]))), Some("body".into()));
        assert_eq!(param(decode(json!({"input": "x"}))), Some("model".into()));
        for (key, value, expected) in [
            ("temperature", json!("hot"), "temperature"),
            ("top_p", json!("x"), "top_p"),
            ("max_output_tokens", json!(-1), "max_output_tokens"),
            ("stream", json!("yes"), "stream"),
            ("parallel_tool_calls", json!(1), "parallel_tool_calls"),
            ("instructions", json!(["x"]), "instructions"),
            ("tools", json!({}), "tools"),
            ("tools", json!([{"type": "function"}]), "tools[0].name"),
            ("tools", json!([{"name": "f"}]), "tools[0].type"),
            (
                "tools",
                json!([{"type": "function", "name": "f", "parameters": "x"}]),
                "tools[0].parameters",
            ),
            ("tool_choice", json!("sometimes"), "tool_choice"),
            (
                "tool_choice",
                json!({"type": "function"}),
                "tool_choice.name",
            ),
            ("reasoning", json!("high"), "reasoning"),
            ("reasoning", json!({"effort": 3}), "reasoning.effort"),
        ] {
            let mut body = json!({"model": "m", "input": "x"});
            body[key] = value;
            assert_eq!(param(decode(body)), Some(expected.to_string()), "{key}");
        }
    }

    /// The echoed `tools` read back into a tree.
    fn echoed(echo: &Echo) -> Value {
        echo.tools
            .as_ref()
            .and_then(|tools| serde_json::from_str(tools).ok())
            .unwrap_or_default()
    }

    #[test]
    fn tool_schemas_are_passed_on_and_echoed_as_sent() -> Result<(), ApiError> {
        let schema = r#"{"type": "object", "properties": {"path": {"type": "string"}, "all": {}}}"#;
        let body = format!(
            r#"{{"model":"m","input":"x","tools":[
                {{"type":"function","name":"a","parameters":{schema}}},
                {{"type":"custom_thing","parameters":{{"z":1,"a":2}}}}]}}"#
        );
        let (req, echo) = decode_request(body.as_bytes())?;
        assert_eq!(req.tools[0].parameters, schema);
        let tree: Value =
            serde_json::from_str(schema).map_err(|e| ApiError::bad_field("test", e.to_string()))?;
        assert_eq!(
            echoed(&echo),
            json!([
                {"type": "function", "name": "a", "parameters": tree},
                {"type": "custom_thing", "parameters": {"z": 1, "a": 2}}
            ])
        );
        // As sent, on one line (it goes out on SSE `data:` lines), and only
        // there: not in the tree of echoed fields too.
        let text = echo.tools.as_deref().map_or("", String::as_str);
        assert!(
            text.contains(r#"{"z":1,"a":2}"#) && !text.contains('\n'),
            "{text}"
        );
        assert!(echo.fields.get("tools").is_none());
        assert_eq!(
            extra_of(req.extra.as_deref())["tools"],
            json!([{"type": "custom_thing", "parameters": {"z": 1, "a": 2}}])
        );
        Ok(())
    }
}
