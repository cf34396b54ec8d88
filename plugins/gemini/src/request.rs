//! Canonical request to a Gemini `generateContent` /
//! `streamGenerateContent?alt=sse` HTTP request.

use serde_json::{Map, Value, json};
use wasmgate_wire::splice::{self, Raw, Spliced, WriteJson};
use wasmgate_wire::{extra, headers, json};

use crate::types::{
    Error, HttpRequest, Reasoning, Request, Sampling, Target, ToolChoice, ToolDefinition,
};
use crate::{WIRE, contents, error};

/// Pass-through keys the plugin writes itself at a nested level; the
/// canonical value replaces a pass-through one whole instead of merging
/// (mixing `thinkingBudget` with `thinkingLevel`, or `allowedFunctionNames`
/// with mode `AUTO`, is a Gemini 400).
const ATOMIC_KEYS: &[&str] = &["thinkingConfig", "functionCallingConfig"];

wasmgate_wire::body_size_hint!(crate::types);

/// The upstream HTTP request for `req`, sent to `target`.
pub fn build_http_request(req: &Request, target: &Target) -> Result<HttpRequest, Error> {
    let mut fields = extra::wire_object(req.extra.as_deref(), WIRE);
    let reserved = extra::take_reserved(&mut fields);
    let model = if target.model.is_empty() {
        &req.model
    } else {
        &target.model
    };
    let url = endpoint(&target.base_url, model, req.stream)?;
    let body = build_body(req, model, fields)?;

    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if let Some(credential) = target.credential.as_deref().filter(|c| !c.is_empty()) {
        headers.push(("x-goog-api-key".to_string(), credential.to_string()));
    }
    headers.extend(headers::passthrough(&reserved));
    // Written by the wire's writer: `Value`'s own `to_string` goes through
    // `fmt` and escapes a byte at a time (a third of a coding agent's turn).
    let body = splice::to_vec_sized(&body, body_size_hint(req))
        .map_err(|e| error::invalid_request(format!("cannot write the request body: {e}")))?;
    Ok(HttpRequest {
        method: "POST".into(),
        url,
        headers,
        body,
    })
}

/// The request URL: `{base}/v1beta/models/{model}:generateContent`, or
/// `:streamGenerateContent?alt=sse`. A base URL that already ends in an API
/// version keeps it; a model already written as a resource name
/// (`models/…`, `tunedModels/…`) keeps its collection.
pub fn endpoint(base_url: &str, model: &str, stream: bool) -> Result<String, Error> {
    let base = base_url.trim().trim_end_matches('/');
    if base.is_empty() {
        return Err(error::invalid_request("gemini target has no base URL"));
    }
    let versioned = ["/v1beta", "/v1", "/v1alpha"]
        .iter()
        .any(|v| base.ends_with(v));
    let root = if versioned {
        base.to_string()
    } else {
        format!("{base}/v1beta")
    };
    let model = model.trim();
    let (collection, name) = match model.split_once('/') {
        Some((c @ ("models" | "tunedModels"), name)) => (c, name),
        _ => ("models", model),
    };
    if name.is_empty() {
        return Err(error::invalid_request("gemini request has no model name"));
    }
    let method = if stream {
        "streamGenerateContent?alt=sse"
    } else {
        "generateContent"
    };
    Ok(format!(
        "{root}/{collection}/{}:{method}",
        percent_encode(name)
    ))
}

/// `text` with every byte outside RFC 3986 unreserved characters
/// percent-encoded, so a model name cannot change the URL's shape.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The JSON body of a `generateContent` request: every field but the
/// function declarations, and those spliced in as `tools`.
pub type Body<'a> = Spliced<Tools<'a>>;

/// `tools`: one entry with every function declaration, then the built-in
/// tools (googleSearch, codeExecution, …) a Gemini client sent.
pub struct Tools<'a> {
    declarations: Vec<Spliced<Schema<'a>>>,
    built_in: Vec<Value>,
}

impl WriteJson for Tools<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#"[{"functionDeclarations":"#);
        self.declarations.write_json(out)?;
        out.push(b'}');
        for tool in &self.built_in {
            out.push(b',');
            splice::write_value(out, tool)?;
        }
        out.push(b']');
        Ok(())
    }
}

/// A declaration's `parametersJsonSchema`: the canonical text as it stands,
/// or the schema read and rewritten (see [`schema`]).
pub enum Schema<'a> {
    Text(Raw<'a>),
    Tree(Value),
}

impl WriteJson for Schema<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Schema::Text(raw) => raw.write_json(out),
            Schema::Tree(value) => splice::write_value(out, value),
        }
    }
}

/// The JSON body of a `generateContent` request. `fields` are the
/// request's Gemini pass-through fields (reserved keys removed).
pub fn build_body<'a>(
    req: &'a Request,
    model: &str,
    mut fields: Map<String, Value>,
) -> Result<Body<'a>, Error> {
    let conversation = contents::map_messages(&req.messages)?;
    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(conversation.contents));
    if let Some(system) = conversation.system_instruction {
        body.insert("systemInstruction".into(), system);
    }

    let mut tools = None;
    if !req.tools.is_empty() {
        let declarations = req
            .tools
            .iter()
            .map(function_declaration)
            .collect::<Result<Vec<_>, _>>()?;
        // Built-in tools (googleSearch, codeExecution, …) a Gemini client
        // sent ride along; its function declarations are the canonical ones.
        let built_in = match fields.remove("tools") {
            Some(Value::Array(more)) => more
                .into_iter()
                .filter(|t| t.get("functionDeclarations").is_none())
                .collect(),
            _ => Vec::new(),
        };
        tools = Some(Tools {
            declarations,
            built_in,
        });
    }
    if let Some(choice) = &req.tool_choice {
        body.insert(
            "toolConfig".into(),
            json!({"functionCallingConfig": function_calling_config(choice)}),
        );
    }
    // Gemini has no switch for parallel tool calls: `parallel_tool_calls`
    // is dropped.

    let generation = generation_config(&req.sampling, req.reasoning.as_ref(), model);
    if !generation.is_empty() {
        body.insert("generationConfig".into(), Value::Object(generation));
    }

    // The model is in the URL; a body `model` would contradict it.
    fields.remove("model");
    extra::merge_deep(&mut body, fields, ATOMIC_KEYS);
    Ok(Spliced {
        map: body,
        key: "tools",
        value: tools,
    })
}

/// One `functionDeclarations` entry. `parametersJsonSchema` takes full JSON
/// Schema, so the canonical schema goes as-is (Gemini's upper-case OpenAPI
/// type names are lower-cased into JSON Schema ones).
fn function_declaration(tool: &ToolDefinition) -> Result<Spliced<Schema<'_>>, Error> {
    let schema = schema(tool)?;
    let mut declaration = Map::new();
    declaration.insert("name".into(), Value::from(tool.name.as_str()));
    if let Some(description) = &tool.description {
        declaration.insert("description".into(), Value::from(description.as_str()));
    }
    let mut fields = extra::wire_object(tool.extra.as_deref(), WIRE);
    extra::take_reserved(&mut fields);
    // The canonical schema is the schema; a second one would be a 400.
    fields.remove("parameters");
    fields.remove("parametersJsonSchema");
    extra::merge_missing(&mut declaration, fields);
    Ok(Spliced {
        map: declaration,
        key: "parametersJsonSchema",
        value: schema,
    })
}

/// A tool's `parametersJsonSchema`, none for an empty one (`{}`, `null`).
/// A schema with no upper-case type name in it (nearly every one) goes as
/// the canonical text: reading a coding agent's schemas into trees and
/// writing them back cost more than the rest of its turn. Any other (or
/// one with a `\u00` escape, which could spell a type name) is read and
/// its type names are lower-cased.
fn schema(tool: &ToolDefinition) -> Result<Option<Schema<'_>>, Error> {
    let text = tool.parameters.trim();
    if !text.is_empty() && !may_need_rewriting(text) {
        let empty = text == "null"
            || text
                .strip_prefix('{')
                .is_some_and(|rest| rest.trim_start().starts_with('}'));
        return Ok((!empty).then_some(Schema::Text(Raw(text))));
    }
    let mut parameters: Value = serde_json::from_str(text).map_err(|e| {
        error::invalid_request(format!(
            "tool `{}` has parameters that are not valid JSON: {e}",
            tool.name
        ))
    })?;
    lower_case_types(&mut parameters);
    let empty = match &parameters {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(Schema::Tree(parameters)))
}

/// Whether a schema's text has a string that is a Gemini upper-case type
/// name, or a `\u00` escape (which could spell one): one pass over its
/// quotes and backslashes (a search per name cost more than the rest of
/// the request).
fn may_need_rewriting(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b'"', b'\\', bytes).any(|at| {
        let rest = bytes.get(at + 1..).unwrap_or_default();
        match bytes.get(at) {
            Some(b'"') => UPPER_CASE_TYPES.iter().any(|name| {
                rest.strip_prefix(name.as_bytes())
                    .is_some_and(|after| after.first() == Some(&b'"'))
            }),
            _ => rest.starts_with(b"u00"),
        }
    })
}

/// Gemini's OpenAPI-style type names, which JSON Schema spells in lower case.
const UPPER_CASE_TYPES: &[&str] = &[
    "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL",
];

/// Rewrite Gemini OpenAPI-style `"type": "STRING"` (and friends) as JSON
/// Schema `"type": "string"`, everywhere in a schema.
fn lower_case_types(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(s) if key == "type" && UPPER_CASE_TYPES.contains(&s.as_str()) => {
                        *s = s.to_ascii_lowercase();
                    }
                    other => lower_case_types(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(lower_case_types),
        _ => {}
    }
}

/// `toolConfig.functionCallingConfig`.
fn function_calling_config(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!({"mode": "AUTO"}),
        ToolChoice::None => json!({"mode": "NONE"}),
        ToolChoice::Required => json!({"mode": "ANY"}),
        ToolChoice::Named(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
    }
}

/// `generationConfig`: sampling and thinking.
fn generation_config(
    sampling: &Sampling,
    reasoning: Option<&Reasoning>,
    model: &str,
) -> Map<String, Value> {
    let mut config = Map::new();
    if let Some(max) = sampling.max_tokens {
        config.insert(
            "maxOutputTokens".into(),
            Value::from(i32::try_from(max).unwrap_or(i32::MAX)),
        );
    }
    if let Some(t) = sampling.temperature.and_then(json::f32_number) {
        config.insert("temperature".into(), t);
    }
    if let Some(p) = sampling.top_p.and_then(json::f32_number) {
        config.insert("topP".into(), p);
    }
    if !sampling.stop.is_empty() {
        config.insert("stopSequences".into(), json!(sampling.stop));
    }
    if let Some(seed) = sampling.seed {
        // Gemini's seed is an int32; a wider seed keeps its low 32 bits so
        // the same seed still gives the same upstream seed.
        config.insert("seed".into(), Value::from(seed as i32));
    }
    if let Some(thinking) = reasoning.map(|r| thinking_config(r, model)) {
        config.insert("thinkingConfig".into(), Value::Object(thinking));
    }
    config
}

/// `thinkingConfig` for the canonical reasoning settings.
///
/// - `enabled: false` is `thinkingBudget: 0`.
/// - A token budget is `thinkingBudget`.
/// - Otherwise an effort is `thinkingLevel` on Gemini 3 and later
///   (`minimal`, `low`, `medium`, `high` pass through; `none` is `minimal`,
///   `xhigh`/`max` are `high`), and a `thinkingBudget` on Gemini 2.x, which
///   has no levels (`none` 0, `minimal` 512, `low` 1024, `medium` 8192,
///   `high` 24576).
/// - Enabled reasoning asks for thought summaries (`includeThoughts`).
fn thinking_config(reasoning: &Reasoning, model: &str) -> Map<String, Value> {
    let mut config = Map::new();
    if !reasoning.enabled {
        config.insert("thinkingBudget".into(), Value::from(0));
        return config;
    }
    if let Some(budget) = reasoning.budget_tokens {
        config.insert(
            "thinkingBudget".into(),
            Value::from(i32::try_from(budget).unwrap_or(i32::MAX)),
        );
    } else if let Some(effort) = reasoning.effort.as_deref().map(str::to_ascii_lowercase) {
        if uses_budgets(model) {
            let budget = match effort.as_str() {
                "none" => Some(0),
                "minimal" => Some(512),
                "low" => Some(1024),
                "medium" => Some(8192),
                "high" | "xhigh" | "max" => Some(24576),
                _ => None,
            };
            if let Some(budget) = budget {
                config.insert("thinkingBudget".into(), Value::from(budget));
            }
        } else {
            let level = match effort.as_str() {
                "none" | "minimal" => "minimal".to_string(),
                "xhigh" | "max" => "high".to_string(),
                other => other.to_string(),
            };
            config.insert("thinkingLevel".into(), Value::from(level));
        }
    }
    config.insert("includeThoughts".into(), Value::Bool(true));
    config
}

/// True for Gemini 2.x models, which take thinking budgets, not levels.
fn uses_budgets(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    name.starts_with("gemini-2") || name.starts_with("gemini-1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ContentPart, ErrorKind, Message, Role};

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
            model: "gemini-3-flash-preview".into(),
            credential: credential.map(Into::into),
            extra: None,
        }
    }

    fn http(req: &Request, target: &Target) -> HttpRequest {
        build_http_request(req, target).unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    fn body_of(req: &Request) -> Value {
        let h = http(
            req,
            &target("https://generativelanguage.googleapis.com", None),
        );
        serde_json::from_slice(&h.body).unwrap_or_else(|e| panic!("{e}"))
    }

    fn reasoning(effort: Option<&str>, budget: Option<u32>, enabled: bool) -> Reasoning {
        Reasoning {
            effort: effort.map(Into::into),
            budget_tokens: budget,
            summary: None,
            enabled,
        }
    }

    #[test]
    fn minimal_request() {
        assert_eq!(
            body_of(&request()),
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
        );
    }

    #[test]
    fn http_request_shape() {
        let mut req = request();
        let h = http(
            &req,
            &target("https://generativelanguage.googleapis.com/", Some("k-1")),
        );
        assert_eq!(h.method, "POST");
        assert_eq!(
            h.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-3-flash-preview:generateContent"
        );
        assert_eq!(
            h.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("x-goog-api-key".to_string(), "k-1".to_string()),
            ]
        );
        req.stream = true;
        let h = http(&req, &target("http://localhost:9", None));
        assert_eq!(
            h.url,
            "http://localhost:9/v1beta/models/gemini-3-flash-preview:streamGenerateContent?alt=sse"
        );
        assert!(h.headers.iter().all(|(k, _)| k != "x-goog-api-key"));
        // The stream flag lives in the URL only.
        let body: Value = serde_json::from_slice(&h.body).unwrap_or_default();
        assert!(body.get("stream").is_none());
    }

    #[test]
    fn endpoints() {
        let url = |base: &str, model: &str| endpoint(base, model, false);
        assert_eq!(
            url("http://h/v1/", "gemini-2.5-pro"),
            Ok("http://h/v1/models/gemini-2.5-pro:generateContent".into())
        );
        assert_eq!(
            url("http://h/proxy/v1beta", "models/gemini-2.5-pro"),
            Ok("http://h/proxy/v1beta/models/gemini-2.5-pro:generateContent".into())
        );
        assert_eq!(
            url("http://h", "tunedModels/my-model-1"),
            Ok("http://h/v1beta/tunedModels/my-model-1:generateContent".into())
        );
        assert_eq!(
            url("http://h", "odd/name:x?y"),
            Ok("http://h/v1beta/models/odd%2Fname%3Ax%3Fy:generateContent".into())
        );
        assert_eq!(
            url("http://h", " ").map_err(|e| e.kind),
            Err(ErrorKind::InvalidRequest)
        );
        assert_eq!(
            url("", "m").map_err(|e| e.kind),
            Err(ErrorKind::InvalidRequest)
        );
        // No target model: the request's model is used.
        let mut t = target("http://h", None);
        t.model = String::new();
        assert_eq!(
            http(&request(), &t).url,
            "http://h/v1beta/models/client-model:generateContent"
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
        req.tools = vec![ToolDefinition {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#.into(),
            extra: Some(r#"{"gemini":{"behavior":"NON_BLOCKING","parameters":{}},"openai-chat":{"strict":true}}"#.into()),
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
        req.reasoning = Some(reasoning(Some("medium"), None, true));
        req.stream = true;
        req.extra = Some(
            r#"{"gemini": {
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
                "generationConfig": {"responseMimeType": "application/json", "temperature": 2,
                                     "thinkingConfig": {"thinkingBudget": 99}},
                "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}, "retrievalConfig": {"languageCode": "en"}},
                "tools": [{"googleSearch": {}}, {"functionDeclarations": [{"name": "dup"}]}],
                "contents": [], "model": "models/other",
                "$headers": {"x-goog-user-project": "p1"}
              },
              "anthropic": {"metadata": {"user_id": "u"}}}"#
                .into(),
        );
        let h = http(&req, &target("https://g", Some("key")));
        assert_eq!(
            h.headers.last(),
            Some(&("x-goog-user-project".to_string(), "p1".to_string()))
        );
        let body: Value = serde_json::from_slice(&h.body).unwrap_or_default();
        assert_eq!(
            body,
            json!({
                "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                "systemInstruction": {"parts": [{"text": "be brief"}]},
                "tools": [
                    {"functionDeclarations": [{
                        "name": "get_weather",
                        "description": "Weather by city",
                        "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                        "behavior": "NON_BLOCKING",
                    }]},
                    {"googleSearch": {}},
                ],
                "toolConfig": {
                    "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]},
                    "retrievalConfig": {"languageCode": "en"},
                },
                "generationConfig": {
                    "maxOutputTokens": 100,
                    "temperature": 0.7,
                    "topP": 0.9,
                    "stopSequences": ["END"],
                    "seed": -5,
                    "thinkingConfig": {"thinkingLevel": "medium", "includeThoughts": true},
                    "responseMimeType": "application/json",
                },
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            })
        );
    }

    #[test]
    fn tool_choices_and_schemas() {
        for (choice, wire) in [
            (ToolChoice::Auto, json!({"mode": "AUTO"})),
            (ToolChoice::None, json!({"mode": "NONE"})),
            (ToolChoice::Required, json!({"mode": "ANY"})),
        ] {
            let mut req = request();
            req.tool_choice = Some(choice);
            assert_eq!(body_of(&req)["toolConfig"]["functionCallingConfig"], wire);
        }
        let mut req = request();
        req.tools = vec![
            ToolDefinition {
                name: "now".into(),
                description: None,
                parameters: "{}".into(),
                extra: None,
            },
            ToolDefinition {
                name: "legacy".into(),
                description: None,
                parameters: r#"{"type":"OBJECT","properties":{"type":{"type":"STRING","enum":["STRING"]},"n":{"type":"array","items":{"type":"INTEGER"}}}}"#.into(),
                extra: None,
            },
        ];
        assert_eq!(
            body_of(&req)["tools"],
            json!([{"functionDeclarations": [
                {"name": "now"},
                {"name": "legacy", "parametersJsonSchema": {"type": "object", "properties": {
                    "type": {"type": "string", "enum": ["STRING"]},
                    "n": {"type": "array", "items": {"type": "integer"}},
                }}},
            ]}])
        );
    }

    #[test]
    fn schemas_with_nothing_to_rewrite_go_as_the_canonical_text() {
        let tool = |name: &str, parameters: &str| ToolDefinition {
            name: name.into(),
            description: Some("d".into()),
            parameters: parameters.into(),
            extra: None,
        };
        let as_sent = "{ \"type\":\"object\",\n  \"properties\": {\"p\": {\"type\": \"string\"}} }";
        let mut req = request();
        req.tools = vec![
            tool("kept", as_sent),
            tool("empty", " {\n } "),
            tool("null", "null"),
            tool("escaped", r#"{"type":"\u004fBJECT"}"#),
            tool("upper", r#"{"type":"OBJECT"}"#),
        ];
        let h = http(&req, &target("http://h", None));
        let text = String::from_utf8(h.body.clone()).unwrap_or_default();
        // Byte for byte, spacing and line breaks included.
        let kept =
            format!(r#"{{"description":"d","name":"kept","parametersJsonSchema":{as_sent}}}"#);
        assert!(text.contains(&kept), "{text}");
        let body: Value = serde_json::from_slice(&h.body).unwrap_or_default();
        assert_eq!(
            body["tools"][0]["functionDeclarations"],
            json!([
                {"name": "kept", "description": "d", "parametersJsonSchema": {"type": "object", "properties": {"p": {"type": "string"}}}},
                {"name": "empty", "description": "d"},
                {"name": "null", "description": "d"},
                {"name": "escaped", "description": "d", "parametersJsonSchema": {"type": "object"}},
                {"name": "upper", "description": "d", "parametersJsonSchema": {"type": "object"}},
            ])
        );
    }

    #[test]
    fn reasoning_settings() {
        let config = |r: Reasoning, model: &str| {
            let mut req = request();
            req.reasoning = Some(r);
            let mut t = target("http://h", None);
            t.model = model.into();
            let body: Value = serde_json::from_slice(&http(&req, &t).body).unwrap_or_default();
            body["generationConfig"]["thinkingConfig"].clone()
        };
        let g3 = "gemini-3-pro-preview";
        let g25 = "models/gemini-2.5-flash";
        assert_eq!(
            config(reasoning(Some("high"), Some(2048), true), g3),
            json!({"thinkingBudget": 2048, "includeThoughts": true})
        );
        assert_eq!(
            config(reasoning(Some("high"), None, false), g3),
            json!({"thinkingBudget": 0})
        );
        assert_eq!(
            config(reasoning(None, None, true), g3),
            json!({"includeThoughts": true})
        );
        for (effort, level) in [
            ("minimal", "minimal"),
            ("none", "minimal"),
            ("LOW", "low"),
            ("medium", "medium"),
            ("high", "high"),
            ("xhigh", "high"),
        ] {
            assert_eq!(
                config(reasoning(Some(effort), None, true), g3),
                json!({"thinkingLevel": level, "includeThoughts": true}),
                "{effort}"
            );
        }
        for (effort, budget) in [
            ("none", 0),
            ("minimal", 512),
            ("low", 1024),
            ("high", 24576),
        ] {
            assert_eq!(
                config(reasoning(Some(effort), None, true), g25),
                json!({"thinkingBudget": budget, "includeThoughts": true}),
                "{effort}"
            );
        }
        assert_eq!(
            config(reasoning(Some("weird"), None, true), g25),
            json!({"includeThoughts": true})
        );
    }

    #[test]
    fn big_numbers_are_clamped_or_wrapped() {
        let mut req = request();
        req.sampling.max_tokens = Some(u32::MAX);
        req.sampling.seed = Some((1_i64 << 32) + 7);
        let body = body_of(&req);
        assert_eq!(body["generationConfig"]["maxOutputTokens"], json!(i32::MAX));
        assert_eq!(body["generationConfig"]["seed"], json!(7));
    }

    #[test]
    fn headers_never_carry_credentials() {
        let mut req = request();
        req.extra = Some(
            r#"{"gemini": {"$headers": {"Authorization": "Bearer x", "x-goog-api-key": "k",
                "Cookie": "c", "X-Trace": "t", "bad header": "v", "x-num": 3, "x-nl": "a\r\nb"}}}"#
                .into(),
        );
        let h = http(&req, &target("http://h", Some("real")));
        assert_eq!(
            h.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("x-goog-api-key".to_string(), "real".to_string()),
                ("x-trace".to_string(), "t".to_string()),
            ]
        );
        let body: Value = serde_json::from_slice(&h.body).unwrap_or_default();
        assert!(body.get("$headers").is_none());
    }

    #[test]
    fn bad_input_is_an_invalid_request() {
        let mut req = request();
        req.tools = vec![ToolDefinition {
            name: "broken".into(),
            description: None,
            // One the plugin reads (it has a type name to lower-case);
            // others go as the host checked them.
            parameters: r#"{"type": "OBJECT", not json"#.into(),
            extra: None,
        }];
        match build_http_request(&req, &target("http://h", None)) {
            Err(e) => {
                assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, 400));
                assert!(e.message.contains("broken"), "{}", e.message);
            }
            Ok(h) => panic!("expected an error, got {h:?}"),
        }
    }
}
