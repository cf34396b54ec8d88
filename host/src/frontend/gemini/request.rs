//! `GenerateContentRequest` JSON → canonical request.
//!
//! Fields with no canonical home go to `extra` under the `gemini` key, as
//! the client sent them:
//! - request: every unknown top-level field (`safetySettings`,
//!   `cachedContent`, …); `generationConfig` leftovers under
//!   `generationConfig` (`thinkingConfig` leftovers nested inside it);
//!   `toolConfig` leftovers under `toolConfig`; tools that are not function
//!   declarations (`googleSearch`, `codeExecution`, …) under `tools`, an
//!   array a Gemini provider appends to the declared functions.
//! - message: unknown `Content` fields, and `$parts`: a `Part`-shaped
//!   object of leftovers per canonical part (`videoMetadata`, unknown
//!   fields inside `functionCall` …). `executableCode` and
//!   `codeExecutionResult` parts have no canonical home: they become text
//!   (so any upstream sees them) and their `$parts` entry holds the wire
//!   part, which a Gemini provider sends instead of the text.
//! - tool definition: unknown `FunctionDeclaration` fields.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::fields::{self, join, take};
use super::schema::to_json_schema;
use crate::api_error::ApiError;
use crate::canonical::{
    ContentPart, Image, ImageSource, Message, Reasoning, Request, Role, Sampling, Thinking,
    ToolCall, ToolChoice, ToolDefinition, ToolResult, ToolResultPart,
};
use crate::frontend::Format;
use crate::frontend::kept_text::{self, Step};

/// Where the declarations' JSON Schemas (`parametersJsonSchema`) are, in
/// every spelling of the keys (see [`take`]): kept as text (see
/// [`kept_text`]), since the gateway passes them on and never reads them. A
/// `parameters` schema (Gemini's own dialect) is read, to be converted.
/// Built once: a request body's paths, then a `countTokens` body's (the
/// same under `generateContentRequest`).
static SCHEMA_PATHS: LazyLock<SchemaPaths> = LazyLock::new(|| {
    let top = schema_paths(&[]);
    let mut count_tokens = top.clone();
    count_tokens.extend(schema_paths(&[Step::Key("generateContentRequest")]));
    SchemaPaths { top, count_tokens }
});

/// The kept paths of each body shape (see [`SCHEMA_PATHS`]).
struct SchemaPaths {
    top: Vec<Vec<Step>>,
    count_tokens: Vec<Vec<Step>>,
}

/// The schema paths under `prefix` (see [`SCHEMA_PATHS`]).
fn schema_paths(prefix: &[Step]) -> Vec<Vec<Step>> {
    let mut paths = Vec::new();
    for declarations in ["functionDeclarations", "function_declarations"] {
        for schema in ["parametersJsonSchema", "parameters_json_schema"] {
            let mut path = prefix.to_vec();
            path.extend([
                Step::Key("tools"),
                Step::Each,
                Step::Key(declarations),
                Step::Each,
                Step::Key(schema),
            ]);
            paths.push(path);
        }
    }
    paths
}

/// The parameters of a tool that declares none.
const EMPTY_PARAMETERS: &str = r#"{"type":"object","properties":{}}"#;

/// Decode a `generateContent` / `streamGenerateContent` body. The model and
/// the stream flag come from the path.
pub fn decode_request(body: &[u8], model: &str, stream: bool) -> Result<Request, ApiError> {
    decode_object(parse_body(body, &SCHEMA_PATHS.top)?, "", model, stream)
}

/// Decode a `countTokens` body: `{contents, …}` or
/// `{generateContentRequest: {…}}`.
pub fn decode_count_tokens(body: &[u8], model: &str) -> Result<Request, ApiError> {
    let mut obj = parse_body(body, &SCHEMA_PATHS.count_tokens)?;
    match take(&mut obj, "generateContentRequest") {
        Some(inner) => {
            let param = "generateContentRequest";
            decode_object(fields::object(param, inner)?, param, model, false)
        }
        None => decode_object(obj, "", model, false),
    }
}

/// `body` as an object, with the values at `kept` as their JSON text.
fn parse_body(body: &[u8], kept: &[Vec<Step>]) -> Result<Map<String, Value>, ApiError> {
    let kept: Vec<&[Step]> = kept.iter().map(Vec::as_slice).collect();
    let value = kept_text::parse(body, &kept).map_err(|e| {
        ApiError::bad_field("body", format!("request body is not valid JSON: {e}"))
            .with_code("invalid_json")
    })?;
    match value {
        Value::Object(obj) => Ok(obj),
        _ => Err(ApiError::bad_field(
            "body",
            "request body must be a JSON object",
        )),
    }
}

fn decode_object(
    mut obj: Map<String, Value>,
    prefix: &str,
    model: &str,
    stream: bool,
) -> Result<Request, ApiError> {
    let param = |name: &str| join(prefix, name);
    // The path names the model; a body `model` (countTokens'
    // `generateContentRequest.model`) says the same thing.
    take(&mut obj, "model");
    let mut messages = Vec::new();
    if let Some(system) = take(&mut obj, "systemInstruction") {
        messages.push(decode_system(&param("systemInstruction"), system)?);
    }
    let contents = match take(&mut obj, "contents") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            return Err(ApiError::bad_field(
                param("contents"),
                "`contents` is required and must be a non-empty array",
            ));
        }
    };
    let mut calls = CallIds::default();
    for (i, content) in contents.into_iter().enumerate() {
        messages.push(decode_content(
            &format!("{}[{i}]", param("contents")),
            i,
            content,
            &mut calls,
        )?);
    }
    let mut extra = Map::new();
    let mut tools = Vec::new();
    if let Some(value) = take(&mut obj, "tools") {
        let other = decode_tools(&param("tools"), value, &mut tools)?;
        if !other.is_empty() {
            extra.insert("tools".into(), Value::Array(other));
        }
    }
    let mut tool_choice = None;
    if let Some(value) = take(&mut obj, "toolConfig") {
        let (choice, rest) = decode_tool_config(&param("toolConfig"), value)?;
        tool_choice = choice;
        if !rest.is_empty() {
            extra.insert("toolConfig".into(), Value::Object(rest));
        }
    }
    let mut sampling = Sampling {
        max_tokens: None,
        temperature: None,
        top_p: None,
        stop: Vec::new(),
        seed: None,
    };
    let mut reasoning = None;
    if let Some(value) = take(&mut obj, "generationConfig") {
        let p = param("generationConfig");
        let rest = decode_generation_config(&p, value, &mut sampling, &mut reasoning)?;
        if !rest.is_empty() {
            extra.insert("generationConfig".into(), Value::Object(rest));
        }
    }
    extra.extend(obj);
    Ok(Request {
        model: model.to_string(),
        messages,
        tools,
        tool_choice,
        parallel_tool_calls: None,
        sampling,
        stream,
        reasoning,
        extra: crate::frontend::extra::wrap(Format::Gemini, extra),
    })
}

/// Tool-call ids: Gemini ids are optional, so calls without one get a
/// stable id from their position, and responses without one answer the
/// oldest unanswered call of the same name.
#[derive(Debug, Default)]
struct CallIds {
    calls: Vec<(String, String, bool)>,
}

impl CallIds {
    fn call(&mut self, id: Option<String>, name: &str, turn: usize, n: usize) -> String {
        let id = id
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| format!("call_{turn}_{n}"));
        self.calls.push((id.clone(), name.to_string(), false));
        id
    }

    fn response(&mut self, id: Option<String>, name: &str, turn: usize, n: usize) -> String {
        match id.filter(|id| !id.is_empty()) {
            Some(id) => {
                if let Some(call) = self.calls.iter_mut().find(|c| c.0 == id) {
                    call.2 = true;
                }
                id
            }
            None => match self.calls.iter_mut().find(|c| !c.2 && c.1 == name) {
                Some(call) => {
                    call.2 = true;
                    call.0.clone()
                }
                None => format!("call_{turn}_{n}"),
            },
        }
    }
}

/// `systemInstruction`: a `Content` (its role is ignored) or, leniently, a
/// plain string.
fn decode_system(param: &str, value: Value) -> Result<Message, ApiError> {
    if let Value::String(text) = value {
        return Ok(Message {
            role: Role::System,
            content: vec![ContentPart::Text(text)],
            name: None,
            extra: None,
        });
    }
    let mut calls = CallIds::default();
    let mut message = decode_content(param, 0, value, &mut calls)?;
    message.role = Role::System;
    Ok(message)
}

fn decode_content(
    param: &str,
    turn: usize,
    value: Value,
    calls: &mut CallIds,
) -> Result<Message, ApiError> {
    let mut obj = fields::object(param, value)?;
    let role = match take(&mut obj, "role") {
        None => Role::User,
        Some(Value::String(role)) => match role.as_str() {
            "" | "user" => Role::User,
            "model" => Role::Assistant,
            "function" | "tool" => Role::Tool,
            "system" => Role::System,
            other => {
                return Err(ApiError::bad_field(
                    join(param, "role"),
                    format!("unsupported role `{other}`; use `user` or `model`"),
                ));
            }
        },
        Some(_) => {
            return Err(ApiError::bad_field(
                join(param, "role"),
                "`role` must be a string",
            ));
        }
    };
    let parts = match take(&mut obj, "parts") {
        None => Vec::new(),
        Some(value) => fields::array(&join(param, "parts"), value)?,
    };
    let mut content = Vec::with_capacity(parts.len());
    let mut leftovers: Vec<Value> = Vec::with_capacity(parts.len());
    let mut counter = PartCounter::default();
    for (j, part) in parts.into_iter().enumerate() {
        let part_param = format!("{param}.parts[{j}]");
        decode_part(
            &part_param,
            turn,
            part,
            calls,
            &mut counter,
            &mut content,
            &mut leftovers,
        )?;
    }
    if leftovers.iter().any(|l| !l.is_null()) {
        obj.insert("$parts".into(), Value::Array(leftovers));
    }
    Ok(Message {
        role,
        content,
        name: None,
        extra: crate::frontend::extra::wrap(Format::Gemini, obj),
    })
}

/// Function calls and responses seen so far in one turn.
#[derive(Debug, Default)]
struct PartCounter {
    calls: usize,
    responses: usize,
}

/// The data fields of a `Part`; exactly one is set.
const DATA_FIELDS: &[&str] = &[
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
];

fn decode_part(
    param: &str,
    turn: usize,
    value: Value,
    calls: &mut CallIds,
    counter: &mut PartCounter,
    content: &mut Vec<ContentPart>,
    leftovers: &mut Vec<Value>,
) -> Result<(), ApiError> {
    let mut obj = fields::object(param, value)?;
    let mut data = None;
    for field in DATA_FIELDS {
        if let Some(value) = take(&mut obj, field) {
            if let Some((first, _)) = &data {
                return Err(ApiError::bad_field(
                    param,
                    format!(
                        "a part holds one of {DATA_FIELDS:?}, not both `{first}` and `{field}`"
                    ),
                ));
            }
            data = Some((*field, value));
        }
    }
    let signature = match take(&mut obj, "thoughtSignature") {
        None => None,
        Some(value) => Some(super::signature::from_wire(&fields::string(
            &join(param, "thoughtSignature"),
            value,
        )?)),
    };
    let thought = match take(&mut obj, "thought") {
        None => false,
        Some(value) => fields::boolean(&join(param, "thought"), &value)?,
    };

    let Some((field, value)) = data else {
        // A bare signature (`{"thought": true, "thoughtSignature": …}`).
        let Some(signature) = signature else {
            return Err(ApiError::bad_field(
                param,
                format!("a part needs one of {DATA_FIELDS:?}"),
            ));
        };
        content.push(ContentPart::Thinking(Thinking {
            text: String::new(),
            signature: Some(signature),
            redacted: false,
        }));
        leftovers.push(leftover(obj));
        return Ok(());
    };
    let field_param = join(param, field);
    let (part, nested) = match field {
        "text" => {
            let text = fields::string(&field_param, value)?;
            if thought {
                content.push(ContentPart::Thinking(Thinking {
                    text,
                    signature,
                    redacted: false,
                }));
                leftovers.push(leftover(obj));
                return Ok(());
            }
            (ContentPart::Text(text), Map::new())
        }
        "inlineData" => decode_inline_data(&field_param, value)?,
        "fileData" => decode_file_data(&field_param, value)?,
        "functionCall" => {
            let n = counter.calls;
            counter.calls += 1;
            decode_function_call(&field_param, value, calls, turn, n)?
        }
        "functionResponse" => {
            let n = counter.responses;
            counter.responses += 1;
            decode_function_response(&field_param, value, calls, turn, n)?
        }
        _ => decode_code_part(field, value),
    };
    if thought {
        // `thought` only means something on text; keep it where it was.
        obj.insert("thought".into(), Value::Bool(true));
    }
    // A signature on a non-thought part: a thinking part placed before it.
    if let Some(signature) = signature {
        content.push(ContentPart::Thinking(Thinking {
            text: String::new(),
            signature: Some(signature),
            redacted: false,
        }));
        leftovers.push(Value::Null);
    }
    if !nested.is_empty() {
        obj.insert(field.to_string(), Value::Object(nested));
    }
    content.push(part);
    leftovers.push(leftover(obj));
    Ok(())
}

/// A `$parts` entry: `null` when nothing is left over.
fn leftover(obj: Map<String, Value>) -> Value {
    if obj.is_empty() {
        Value::Null
    } else {
        Value::Object(obj)
    }
}

/// `executableCode` / `codeExecutionResult`: text any upstream can read;
/// the `$parts` entry keeps the wire part itself.
fn decode_code_part(field: &str, value: Value) -> (ContentPart, Map<String, Value>) {
    let text = if field == "executableCode" {
        let language = value
            .get("language")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let code = value
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default();
        format!("```{language}\n{code}\n```")
    } else {
        value
            .get("output")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    // The whole wire object is the leftover; `decode_part` nests it under
    // the field name.
    let nested = match value {
        Value::Object(map) if !map.is_empty() => map,
        _ => Map::new(),
    };
    (ContentPart::Text(text), nested)
}

fn decode_inline_data(
    param: &str,
    value: Value,
) -> Result<(ContentPart, Map<String, Value>), ApiError> {
    let (image, rest) = inline_image(param, value)?;
    Ok((ContentPart::Image(image), rest))
}

fn inline_image(param: &str, value: Value) -> Result<(Image, Map<String, Value>), ApiError> {
    let mut obj = fields::object(param, value)?;
    let media_type = match take(&mut obj, "mimeType") {
        Some(value) => fields::string(&join(param, "mimeType"), value)?,
        None => {
            return Err(ApiError::bad_field(
                join(param, "mimeType"),
                "`inlineData` needs a `mimeType`",
            ));
        }
    };
    let data = match take(&mut obj, "data") {
        Some(value) => fields::string(&join(param, "data"), value)?,
        None => {
            return Err(ApiError::bad_field(
                join(param, "data"),
                "`inlineData` needs base64 `data`",
            ));
        }
    };
    let image = Image {
        source: ImageSource::Base64(data),
        media_type: Some(media_type),
        detail: None,
    };
    Ok((image, obj))
}

fn decode_file_data(
    param: &str,
    value: Value,
) -> Result<(ContentPart, Map<String, Value>), ApiError> {
    let (image, rest) = file_image(param, value)?;
    Ok((ContentPart::Image(image), rest))
}

fn file_image(param: &str, value: Value) -> Result<(Image, Map<String, Value>), ApiError> {
    let mut obj = fields::object(param, value)?;
    let media_type = match take(&mut obj, "mimeType") {
        Some(value) => Some(fields::string(&join(param, "mimeType"), value)?),
        None => None,
    };
    let uri = match take(&mut obj, "fileUri") {
        Some(value) => fields::string(&join(param, "fileUri"), value)?,
        None => {
            return Err(ApiError::bad_field(
                join(param, "fileUri"),
                "`fileData` needs a `fileUri`",
            ));
        }
    };
    let image = Image {
        source: ImageSource::Url(uri),
        media_type,
        detail: None,
    };
    Ok((image, obj))
}

fn required_name(param: &str, obj: &mut Map<String, Value>) -> Result<String, ApiError> {
    match take(obj, "name") {
        Some(Value::String(name)) if !name.is_empty() => Ok(name),
        _ => Err(ApiError::bad_field(
            join(param, "name"),
            "`name` is required and must be a non-empty string",
        )),
    }
}

fn optional_id(param: &str, obj: &mut Map<String, Value>) -> Result<Option<String>, ApiError> {
    take(obj, "id")
        .map(|v| fields::string(&join(param, "id"), v))
        .transpose()
}

fn decode_function_call(
    param: &str,
    value: Value,
    calls: &mut CallIds,
    turn: usize,
    n: usize,
) -> Result<(ContentPart, Map<String, Value>), ApiError> {
    let mut obj = fields::object(param, value)?;
    let name = required_name(param, &mut obj)?;
    let id = optional_id(param, &mut obj)?;
    let arguments = match take(&mut obj, "args") {
        None => "{}".to_string(),
        Some(args @ Value::Object(_)) => args.to_string(),
        Some(_) => {
            return Err(ApiError::bad_field(
                join(param, "args"),
                "`args` must be an object",
            ));
        }
    };
    let id = calls.call(id, &name, turn, n);
    Ok((
        ContentPart::ToolCall(ToolCall {
            id,
            name,
            arguments,
        }),
        obj,
    ))
}

fn decode_function_response(
    param: &str,
    value: Value,
    calls: &mut CallIds,
    turn: usize,
    n: usize,
) -> Result<(ContentPart, Map<String, Value>), ApiError> {
    let mut obj = fields::object(param, value)?;
    let name = required_name(param, &mut obj)?;
    let id = optional_id(param, &mut obj)?;
    let response = match take(&mut obj, "response") {
        None => Value::Object(Map::new()),
        Some(response @ Value::Object(_)) => response,
        Some(_) => {
            return Err(ApiError::bad_field(
                join(param, "response"),
                "`response` must be an object",
            ));
        }
    };
    // Google's convention: `{"output": …}` on success, `{"error": …}` on failure.
    let is_error = response.get("error").is_some() && response.get("output").is_none();
    let mut content = vec![ToolResultPart::Text(response.to_string())];
    if let Some(parts) = take(&mut obj, "parts") {
        let original = parts.clone();
        let parts_param = join(param, "parts");
        let parts = fields::array(&parts_param, parts)?;
        let mut unmapped = Vec::new();
        for (k, part) in parts.into_iter().enumerate() {
            let p = format!("{parts_param}[{k}]");
            let mut part_obj = fields::object(&p, part)?;
            let image = if let Some(inline) = take(&mut part_obj, "inlineData") {
                Some(inline_image(&join(&p, "inlineData"), inline)?)
            } else if let Some(file) = take(&mut part_obj, "fileData") {
                Some(file_image(&join(&p, "fileData"), file)?)
            } else {
                None
            };
            match image {
                Some((image, rest)) if rest.is_empty() && part_obj.is_empty() => {
                    content.push(ToolResultPart::Image(image));
                }
                // Parts the canonical model cannot hold stay on the wire side.
                _ => unmapped.push(k),
            }
        }
        if !unmapped.is_empty() {
            // Parts with no canonical home: keep the whole original array
            // in the leftovers, so a Gemini upstream gets every part.
            tracing::debug!(?unmapped, "functionResponse parts kept in extra");
            obj.insert("parts".into(), original);
        }
    }
    let call_id = calls.response(id, &name, turn, n);
    Ok((
        ContentPart::ToolResult(ToolResult {
            call_id,
            content,
            is_error,
        }),
        obj,
    ))
}

/// `tools`: function declarations become canonical tools; every other tool
/// object (with the declarations taken out) is returned for `extra`.
fn decode_tools(
    param: &str,
    value: Value,
    tools: &mut Vec<ToolDefinition>,
) -> Result<Vec<Value>, ApiError> {
    let mut other = Vec::new();
    for (i, tool) in fields::array(param, value)?.into_iter().enumerate() {
        let tool_param = format!("{param}[{i}]");
        let mut obj = fields::object(&tool_param, tool)?;
        if let Some(decls) = take(&mut obj, "functionDeclarations") {
            let decls_param = join(&tool_param, "functionDeclarations");
            for (j, decl) in fields::array(&decls_param, decls)?.into_iter().enumerate() {
                tools.push(decode_declaration(&format!("{decls_param}[{j}]"), decl)?);
            }
        }
        if !obj.is_empty() {
            other.push(Value::Object(obj));
        }
    }
    Ok(other)
}

fn decode_declaration(param: &str, value: Value) -> Result<ToolDefinition, ApiError> {
    let mut obj = fields::object(param, value)?;
    let name = required_name(param, &mut obj)?;
    let description = take(&mut obj, "description")
        .map(|v| fields::string(&join(param, "description"), v))
        .transpose()?;
    let parameters = match (
        take(&mut obj, "parameters"),
        take(&mut obj, "parametersJsonSchema"),
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_field(
                join(param, "parametersJsonSchema"),
                "give `parameters` or `parametersJsonSchema`, not both",
            ));
        }
        (Some(schema), None) => to_json_schema(schema).to_string(),
        // The schema is its JSON text already: see `schema_paths`.
        (None, Some(Value::String(text))) => text,
        (None, Some(schema)) => schema.to_string(),
        (None, None) => EMPTY_PARAMETERS.to_string(),
    };
    Ok(ToolDefinition {
        name,
        description,
        parameters,
        extra: crate::frontend::extra::wrap(Format::Gemini, obj),
    })
}

/// `toolConfig.functionCallingConfig` → tool choice. What the choice cannot
/// say (several `allowedFunctionNames`, `VALIDATED` mode, other fields)
/// stays in the returned leftovers, with the whole `functionCallingConfig`.
fn decode_tool_config(
    param: &str,
    value: Value,
) -> Result<(Option<ToolChoice>, Map<String, Value>), ApiError> {
    let mut obj = fields::object(param, value)?;
    let Some(config) = take(&mut obj, "functionCallingConfig") else {
        return Ok((None, obj));
    };
    let config_param = join(param, "functionCallingConfig");
    let mut config = fields::object(&config_param, config)?;
    let original = config.clone();
    let mode = match take(&mut config, "mode") {
        None => None,
        Some(value) => {
            Some(fields::string(&join(&config_param, "mode"), value)?.to_ascii_uppercase())
        }
    };
    let names = match take(&mut config, "allowedFunctionNames") {
        None => Vec::new(),
        Some(value) => {
            let names_param = join(&config_param, "allowedFunctionNames");
            fields::array(&names_param, value)?
                .into_iter()
                .enumerate()
                .map(|(k, v)| fields::string(&format!("{names_param}[{k}]"), v))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    let (choice, exact) = match mode.as_deref() {
        None | Some("MODE_UNSPECIFIED") => (None, names.is_empty()),
        Some("AUTO") => (Some(ToolChoice::Auto), names.is_empty()),
        Some("NONE") => (Some(ToolChoice::None), names.is_empty()),
        Some("ANY") => match names.as_slice() {
            [one] => (Some(ToolChoice::Named(one.clone())), true),
            [] => (Some(ToolChoice::Required), true),
            _ => (Some(ToolChoice::Required), false),
        },
        Some("VALIDATED") => (Some(ToolChoice::Auto), false),
        Some(other) => {
            return Err(ApiError::bad_field(
                join(&config_param, "mode"),
                format!("unknown mode `{other}`; use AUTO, ANY, NONE or VALIDATED"),
            ));
        }
    };
    if !exact || !config.is_empty() {
        obj.insert("functionCallingConfig".into(), Value::Object(original));
    }
    Ok((choice, obj))
}

/// Sampling and reasoning out of `generationConfig`; the rest is returned.
fn decode_generation_config(
    param: &str,
    value: Value,
    sampling: &mut Sampling,
    reasoning: &mut Option<Reasoning>,
) -> Result<Map<String, Value>, ApiError> {
    let mut obj = fields::object(param, value)?;
    if let Some(v) = take(&mut obj, "maxOutputTokens") {
        sampling.max_tokens = Some(fields::u32_field(&join(param, "maxOutputTokens"), &v)?);
    }
    if let Some(v) = take(&mut obj, "temperature") {
        sampling.temperature = Some(fields::number(&join(param, "temperature"), &v)? as f32);
    }
    if let Some(v) = take(&mut obj, "topP") {
        sampling.top_p = Some(fields::number(&join(param, "topP"), &v)? as f32);
    }
    if let Some(v) = take(&mut obj, "seed") {
        sampling.seed = Some(fields::integer(&join(param, "seed"), &v)?);
    }
    if let Some(v) = take(&mut obj, "stopSequences") {
        let p = join(param, "stopSequences");
        sampling.stop = fields::array(&p, v)?
            .into_iter()
            .enumerate()
            .map(|(k, s)| fields::string(&format!("{p}[{k}]"), s))
            .collect::<Result<_, _>>()?;
    }
    // One answer per request: more candidates would be paid for upstream
    // and lost on the way back. A 1 stays for a Gemini upstream.
    if let Some(v) = obj.get("candidateCount").filter(|v| !v.is_null()) {
        let p = join(param, "candidateCount");
        if fields::u32_field(&p, v)? != 1 {
            return Err(ApiError::bad_field(
                p,
                "`candidateCount` must be 1: wasmgate returns one candidate per request",
            ));
        }
    }
    if let Some(v) = take(&mut obj, "thinkingConfig") {
        let p = join(param, "thinkingConfig");
        let (decoded, rest) = decode_thinking_config(&p, v)?;
        *reasoning = decoded;
        if !rest.is_empty() {
            obj.insert("thinkingConfig".into(), Value::Object(rest));
        }
    }
    Ok(obj)
}

/// `thinkingConfig`: `thinkingBudget` (0 off, -1 dynamic), `thinkingLevel`
/// (→ effort), `includeThoughts: true` (→ summary `auto`).
fn decode_thinking_config(
    param: &str,
    value: Value,
) -> Result<(Option<Reasoning>, Map<String, Value>), ApiError> {
    let mut obj = fields::object(param, value)?;
    let mut reasoning = Reasoning {
        effort: None,
        budget_tokens: None,
        summary: None,
        enabled: true,
    };
    let mut mapped = false;
    if let Some(v) = take(&mut obj, "thinkingBudget") {
        let p = join(param, "thinkingBudget");
        match fields::integer(&p, &v)? {
            0 => reasoning.enabled = false,
            -1 => {}
            n => {
                reasoning.budget_tokens = Some(u32::try_from(n).map_err(|_| {
                    ApiError::bad_field(p, "`thinkingBudget` must be -1, 0 or a positive integer")
                })?);
            }
        }
        mapped = true;
    }
    if let Some(v) = take(&mut obj, "thinkingLevel") {
        let level = fields::string(&join(param, "thinkingLevel"), v)?.to_ascii_lowercase();
        if level != "thinking_level_unspecified" {
            reasoning.effort = Some(level);
            mapped = true;
        }
    }
    match obj.get("includeThoughts") {
        Some(Value::Bool(true)) => {
            obj.remove("includeThoughts");
            reasoning.summary = Some("auto".into());
            mapped = true;
        }
        Some(Value::Bool(false)) | Some(Value::Null) | None => {}
        Some(_) => {
            return Err(ApiError::bad_field(
                join(param, "includeThoughts"),
                "`includeThoughts` must be a boolean",
            ));
        }
    }
    Ok((mapped.then_some(reasoning), obj))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Canonical types have no `PartialEq`; their debug forms do.
    macro_rules! assert_same {
        ($a:expr, $b:expr $(,)?) => {
            assert_eq!(format!("{:?}", $a), format!("{:?}", $b))
        };
    }

    fn extra(text: Option<&str>) -> Value {
        Value::Object(crate::frontend::extra::unwrap(Format::Gemini, text))
    }

    fn decode(body: Value) -> Result<Request, ApiError> {
        decode_request(body.to_string().as_bytes(), "gpt-fake", false)
    }

    fn param_of(body: Value) -> Option<String> {
        decode(body).err().and_then(|e| e.param)
    }

    #[test]
    fn decodes_every_request_field() -> Result<(), ApiError> {
        let body = json!({
            "model": "models/ignored",
            "systemInstruction": {"parts": [{"text": "be brief"}, {"text": "and kind"}]},
            "contents": [
                {"parts": [
                    {"text": "look"},
                    {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
                    {"file_data": {"mime_type": "image/jpeg", "file_uri": "https://x/y.jpg"}, "videoMetadata": {"fps": 1}}
                ]},
                {"role": "model", "parts": [
                    {"text": "hmm", "thought": true, "thoughtSignature": "s1"},
                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "s2"},
                    {"functionCall": {"id": "c9", "name": "get_time"}}
                ]},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}},
                    {"functionResponse": {"id": "c9", "name": "get_time", "response": {"error": "no clock"}, "willContinue": false}}
                ]}
            ],
            "tools": [
                {"functionDeclarations": [
                    {"name": "get_weather", "description": "Weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}, "behavior": "BLOCKING"},
                    {"name": "get_time", "parametersJsonSchema": {"type": "object", "properties": {}}}
                ]},
                {"googleSearch": {}}
            ],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
            "generationConfig": {
                "maxOutputTokens": 100, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"], "seed": 7,
                "topK": 40, "responseMimeType": "application/json",
                "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": true}
            },
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "cachedContent": "cachedContents/abc"
        });
        let req = decode_request(body.to_string().as_bytes(), "gpt-fake", true)?;
        assert_eq!(req.model, "gpt-fake");
        assert!(req.stream);
        assert_eq!(req.messages.len(), 4);

        let system = &req.messages[0];
        assert_eq!(system.role, Role::System);
        assert_same!(
            system.content,
            vec![
                ContentPart::Text("be brief".into()),
                ContentPart::Text("and kind".into())
            ]
        );

        let user = &req.messages[1];
        assert_eq!(user.role, Role::User);
        assert!(
            matches!(&user.content[1], ContentPart::Image(Image { source: ImageSource::Base64(d), media_type: Some(m), .. }) if d == "AAAA" && m == "image/png")
        );
        assert!(
            matches!(&user.content[2], ContentPart::Image(Image { source: ImageSource::Url(u), media_type: Some(m), .. }) if u == "https://x/y.jpg" && m == "image/jpeg")
        );
        assert_eq!(
            extra(user.extra.as_deref()),
            json!({"$parts": [null, null, {"videoMetadata": {"fps": 1}}]})
        );

        let model = &req.messages[2];
        assert_eq!(model.role, Role::Assistant);
        assert_same!(
            model.content,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "hmm".into(),
                    signature: Some("s1".into()),
                    redacted: false
                }),
                ContentPart::Thinking(Thinking {
                    text: String::new(),
                    signature: Some("s2".into()),
                    redacted: false
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_1_0".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into()
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "c9".into(),
                    name: "get_time".into(),
                    arguments: "{}".into()
                }),
            ]
        );
        assert_eq!(model.extra, None);

        let results = &req.messages[3];
        assert_same!(
            results.content,
            vec![
                ContentPart::ToolResult(ToolResult {
                    call_id: "call_1_0".into(),
                    content: vec![ToolResultPart::Text(r#"{"output":"sunny"}"#.into())],
                    is_error: false
                }),
                ContentPart::ToolResult(ToolResult {
                    call_id: "c9".into(),
                    content: vec![ToolResultPart::Text(r#"{"error":"no clock"}"#.into())],
                    is_error: true
                }),
            ]
        );
        assert_eq!(
            extra(results.extra.as_deref()),
            json!({"$parts": [null, {"functionResponse": {"willContinue": false}}]})
        );

        assert_eq!(req.tools.len(), 2);
        assert_eq!(req.tools[0].description.as_deref(), Some("Weather"));
        let params: Value = serde_json::from_str(&req.tools[0].parameters).unwrap_or_default();
        assert_eq!(
            params,
            json!({"type": "object", "properties": {"city": {"type": "string"}}})
        );
        assert_eq!(
            extra(req.tools[0].extra.as_deref()),
            json!({"behavior": "BLOCKING"})
        );
        assert_eq!(
            req.tools[1].parameters,
            r#"{"properties":{},"type":"object"}"#
        );
        assert_same!(
            req.tool_choice,
            Some(ToolChoice::Named("get_weather".into()))
        );

        assert_eq!(req.sampling.max_tokens, Some(100));
        assert_eq!(req.sampling.temperature, Some(0.5));
        assert_eq!(req.sampling.top_p, Some(0.9));
        assert_eq!(req.sampling.stop, vec!["END".to_string()]);
        assert_eq!(req.sampling.seed, Some(7));
        assert_same!(
            req.reasoning,
            Some(Reasoning {
                effort: None,
                budget_tokens: Some(1024),
                summary: Some("auto".into()),
                enabled: true
            })
        );
        assert_eq!(
            extra(req.extra.as_deref()),
            json!({
                "tools": [{"googleSearch": {}}],
                "generationConfig": {"topK": 40, "responseMimeType": "application/json"},
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
                "cachedContent": "cachedContents/abc"
            })
        );
        Ok(())
    }

    #[test]
    fn signature_on_text_comes_before_it_and_bare_signatures_survive() -> Result<(), ApiError> {
        let req = decode(json!({"contents": [{"role": "model", "parts": [
            {"text": "answer", "thoughtSignature": "sig"},
            {"thought": true, "thoughtSignature": "sig2"}
        ]}]}))?;
        assert_same!(
            req.messages[0].content,
            vec![
                ContentPart::Thinking(Thinking {
                    text: String::new(),
                    signature: Some("sig".into()),
                    redacted: false
                }),
                ContentPart::Text("answer".into()),
                ContentPart::Thinking(Thinking {
                    text: String::new(),
                    signature: Some("sig2".into()),
                    redacted: false
                }),
            ]
        );
        Ok(())
    }

    #[test]
    fn tool_config_modes() -> Result<(), ApiError> {
        let choice = |config: Value| -> Result<(Option<ToolChoice>, Value), ApiError> {
            let req =
                decode(json!({"contents": [{"parts": [{"text": "x"}]}], "toolConfig": config}))?;
            Ok((req.tool_choice, extra(req.extra.as_deref())))
        };
        assert_same!(
            choice(json!({"functionCallingConfig": {"mode": "AUTO"}}))?,
            (Some(ToolChoice::Auto), json!({}))
        );
        assert_same!(
            choice(json!({"functionCallingConfig": {"mode": "NONE"}}))?,
            (Some(ToolChoice::None), json!({}))
        );
        assert_same!(
            choice(json!({"functionCallingConfig": {"mode": "ANY"}}))?,
            (Some(ToolChoice::Required), json!({}))
        );
        let config = json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a", "b"]}, "retrievalConfig": {}});
        assert_same!(
            choice(config.clone())?,
            (Some(ToolChoice::Required), json!({"toolConfig": config}))
        );
        let err = decode(json!({"contents": [{"parts": [{"text": "x"}]}], "toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}})).err();
        assert_eq!(
            err.and_then(|e| e.param).as_deref(),
            Some("toolConfig.functionCallingConfig.mode")
        );
        Ok(())
    }

    #[test]
    fn thinking_budget_zero_turns_reasoning_off() -> Result<(), ApiError> {
        let req = decode(json!({"contents": [{"parts": [{"text": "x"}]}],
            "generationConfig": {"thinkingConfig": {"thinkingBudget": 0, "includeThoughts": false}}}))?;
        assert_eq!(req.reasoning.map(|r| r.enabled), Some(false));
        assert_eq!(
            extra(req.extra.as_deref()),
            json!({"generationConfig": {"thinkingConfig": {"includeThoughts": false}}})
        );
        let req = decode(json!({"contents": [{"parts": [{"text": "x"}]}],
            "generationConfig": {"thinkingConfig": {"thinkingLevel": "HIGH"}}}))?;
        assert_eq!(
            req.reasoning.and_then(|r| r.effort).as_deref(),
            Some("high")
        );
        Ok(())
    }

    #[test]
    fn code_parts_become_text_and_keep_the_wire_part() -> Result<(), ApiError> {
        let req = decode(json!({"contents": [{"role": "model", "parts": [
            {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}}
        ]}]}))?;
        assert_same!(
            req.messages[0].content,
            vec![
                ContentPart::Text("```python\nprint(1)\n```".into()),
                ContentPart::Text("1".into())
            ]
        );
        assert_eq!(
            extra(req.messages[0].extra.as_deref())["$parts"][1],
            json!({"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}})
        );
        Ok(())
    }

    #[test]
    fn function_role_and_count_tokens_wrapper() -> Result<(), ApiError> {
        let body = json!({"generateContentRequest": {"model": "models/g", "contents": [
            {"role": "function", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}
        ]}});
        let req = decode_count_tokens(body.to_string().as_bytes(), "g")?;
        assert_eq!(req.messages[0].role, Role::Tool);
        assert!(
            matches!(&req.messages[0].content[0], ContentPart::ToolResult(r) if r.call_id == "call_0_0")
        );
        let err =
            decode_count_tokens(br#"{"generateContentRequest": {"contents": []}}"#, "g").err();
        assert_eq!(
            err.and_then(|e| e.param).as_deref(),
            Some("generateContentRequest.contents")
        );
        Ok(())
    }

    #[test]
    fn json_schemas_are_passed_on_as_sent_in_either_spelling() -> Result<(), ApiError> {
        let schema = r#"{"type": "object", "properties": {"z": {"type": "string"}, "a": {}}}"#;
        let tools = format!(
            r#"[{{"functionDeclarations": [{{"name": "f", "parametersJsonSchema": {schema}}}]}},
                {{"function_declarations": [{{"name": "g", "parameters_json_schema": {schema}}},
                                           {{"name": "h", "parameters": {{"type": "OBJECT"}}}}]}}]"#
        );
        let contents = r#"[{"role": "user", "parts": [{"text": "x"}]}]"#;
        let body = format!(r#"{{"contents": {contents}, "tools": {tools}}}"#);
        let req = decode_request(body.as_bytes(), "m", false)?;
        let wrapped = format!(
            r#"{{"generateContentRequest": {{"model": "models/m", "contents": {contents}, "tools": {tools}}}}}"#
        );
        let counted = decode_count_tokens(wrapped.as_bytes(), "m")?;
        for req in [req, counted] {
            let parameters: Vec<&str> = req.tools.iter().map(|t| t.parameters.as_str()).collect();
            assert_eq!(parameters[..2], [schema, schema]);
            assert_eq!(parameters[2], r#"{"type":"object"}"#);
        }
        Ok(())
    }

    #[test]
    fn bad_fields_are_named() {
        let err = decode_request(b"{nope", "g", false).err();
        assert_eq!(err.and_then(|e| e.code), Some("invalid_json"));
        assert_eq!(param_of(json!({})).as_deref(), Some("contents"));
        assert_eq!(param_of(json!([])).as_deref(), Some("body"));
        let text = json!([{"parts": [{"text": "x"}]}]);
        for (body, param) in [
            (
                json!({"contents": [{"role": "bot", "parts": []}]}),
                "contents[0].role",
            ),
            (json!({"contents": [{"parts": {}}]}), "contents[0].parts"),
            (
                json!({"contents": [{"parts": [{}]}]}),
                "contents[0].parts[0]",
            ),
            (
                json!({"contents": [{"parts": [{"text": 1}]}]}),
                "contents[0].parts[0].text",
            ),
            (
                json!({"contents": [{"parts": [{"text": "a", "inlineData": {}}]}]}),
                "contents[0].parts[0]",
            ),
            (
                json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png"}}]}]}),
                "contents[0].parts[0].inlineData.data",
            ),
            (
                json!({"contents": [{"parts": [{"functionCall": {"args": {}}}]}]}),
                "contents[0].parts[0].functionCall.name",
            ),
            (
                json!({"contents": [{"parts": [{"functionCall": {"name": "f", "args": "x"}}]}]}),
                "contents[0].parts[0].functionCall.args",
            ),
            (
                json!({"contents": text, "tools": [{"functionDeclarations": [{"description": "d"}]}]}),
                "tools[0].functionDeclarations[0].name",
            ),
            (
                json!({"contents": text, "generationConfig": {"temperature": "hot"}}),
                "generationConfig.temperature",
            ),
            (
                json!({"contents": text, "generationConfig": {"candidateCount": 2}}),
                "generationConfig.candidateCount",
            ),
            (
                json!({"contents": text, "generationConfig": {"maxOutputTokens": -5}}),
                "generationConfig.maxOutputTokens",
            ),
            (
                json!({"contents": text, "generationConfig": {"stopSequences": [1]}}),
                "generationConfig.stopSequences[0]",
            ),
            (
                json!({"contents": text, "generationConfig": {"thinkingConfig": {"thinkingBudget": -7}}}),
                "generationConfig.thinkingConfig.thinkingBudget",
            ),
            (
                json!({"contents": text, "systemInstruction": {"parts": [{"text": 2}]}}),
                "systemInstruction.parts[0].text",
            ),
        ] {
            assert_eq!(param_of(body.clone()).as_deref(), Some(param), "{body}");
        }
    }
}
