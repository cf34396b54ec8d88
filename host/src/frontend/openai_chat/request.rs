//! `chat.completions` request JSON → canonical request.

use serde_json::{Map, Value};

use super::simple_messages;
use crate::api_error::ApiError;
use crate::canonical::{
    ContentPart, Image, ImageSource, Message, Reasoning, Request, Role, Sampling, ToolCall,
    ToolChoice, ToolDefinition, ToolResult, ToolResultPart,
};
use crate::frontend::extra::{leftovers, without};
use crate::frontend::kept_text::{self, Step};
use crate::frontend::media::{media_from_url, media_type_of};
use crate::frontend::message_array;

/// Client options that shape the answer but not the canonical request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatOptions {
    /// `stream_options.include_usage`.
    pub include_usage: bool,
}

/// Top-level keys with a canonical home; every other key goes to `extra`.
const KNOWN: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "stream",
    "stream_options",
    "reasoning_effort",
];

/// Where the tools' JSON Schemas are, kept as text (see [`kept_text`]).
const SCHEMAS: &[Step] = &[
    Step::Key("tools"),
    Step::Each,
    Step::Key("function"),
    Step::Key("parameters"),
];

/// The messages, kept as text for [`simple_messages`] to read first.
const MESSAGES: &[Step] = &[Step::Key("messages")];

/// Decode a request body.
pub fn decode_request(body: &[u8]) -> Result<(Request, ChatOptions), ApiError> {
    let value = kept_text::parse(body, &[SCHEMAS, MESSAGES]).map_err(|e| {
        ApiError::bad_field("body", format!("request body is not valid JSON: {e}"))
            .with_code("invalid_json")
    })?;
    let Value::Object(mut obj) = value else {
        return Err(ApiError::bad_field(
            "body",
            "request body must be a JSON object",
        ));
    };
    let model = match obj.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => {
            return Err(ApiError::bad_field(
                "model",
                "`model` is required and must be a non-empty string",
            ));
        }
    };
    let messages = match obj.remove("messages") {
        Some(Value::String(raw)) => decode_messages(&raw)?,
        _ => return Err(message_array::missing()),
    };
    let tools = match obj.get("tools") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, t)| decode_tool(i, t))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(ApiError::bad_field("tools", "`tools` must be an array")),
    };
    let tool_choice = decode_tool_choice(obj.get("tool_choice"))?;
    // One answer per request: more choices would be paid for upstream and
    // lost on the way back.
    if opt_u32(&obj, "n")?.is_some_and(|n| n != 1) {
        return Err(ApiError::bad_field(
            "n",
            "`n` must be 1: wasmgate returns one choice per request",
        ));
    }
    let stream = opt_bool(&obj, "stream")?.unwrap_or(false);
    let include_usage = match obj.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => match o.get("include_usage") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ApiError::bad_field(
                    "stream_options.include_usage",
                    "must be a boolean",
                ));
            }
        },
        Some(_) => {
            return Err(ApiError::bad_field(
                "stream_options",
                "`stream_options` must be an object",
            ));
        }
    };
    let max_tokens = match opt_u32(&obj, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => opt_u32(&obj, "max_tokens")?,
    };
    let stop = match obj.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ApiError::bad_field("stop", "`stop` must be a string or an array of strings")
            })?,
        Some(_) => {
            return Err(ApiError::bad_field(
                "stop",
                "`stop` must be a string or an array of strings",
            ));
        }
    };
    let sampling = Sampling {
        max_tokens,
        temperature: opt_f32(&obj, "temperature")?,
        top_p: opt_f32(&obj, "top_p")?,
        stop,
        seed: match obj.get("seed") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| ApiError::bad_field("seed", "`seed` must be an integer"))?,
            ),
        },
    };
    let reasoning = match obj.get("reasoning_effort") {
        None | Some(Value::Null) => None,
        Some(Value::String(effort)) => Some(Reasoning {
            effort: Some(effort.clone()),
            budget_tokens: None,
            summary: None,
            enabled: effort != "none",
        }),
        Some(_) => {
            return Err(ApiError::bad_field(
                "reasoning_effort",
                "`reasoning_effort` must be a string",
            ));
        }
    };
    let parallel_tool_calls = opt_bool(&obj, "parallel_tool_calls")?;
    let request = Request {
        model,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling,
        stream,
        reasoning,
        extra: extra_text(without(obj, KNOWN)),
    };
    Ok((request, ChatOptions { include_usage }))
}

/// The `messages` array from its JSON text: the common shape read
/// straight into messages, anything else through a tree.
fn decode_messages(raw: &str) -> Result<Vec<Message>, ApiError> {
    message_array::decode(raw, simple_messages::decode, |(i, m)| decode_message(i, m))
}

fn extra_text(obj: Map<String, Value>) -> Option<String> {
    crate::frontend::extra::wrap(crate::frontend::Format::OpenAiChat, obj)
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

fn decode_message(i: usize, value: Value) -> Result<Message, ApiError> {
    let field = |name: &str| format!("messages[{i}].{name}");
    let Value::Object(mut obj) = value else {
        return Err(ApiError::bad_field(
            format!("messages[{i}]"),
            "each message must be an object",
        ));
    };
    let role = match obj.get("role").and_then(Value::as_str) {
        Some("system") => Role::System,
        Some("developer") => Role::Developer,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool") => Role::Tool,
        Some(other) => {
            return Err(ApiError::bad_field(
                field("role"),
                format!("unsupported role `{other}`"),
            ));
        }
        None => return Err(ApiError::bad_field(field("role"), "`role` is required")),
    };
    obj.remove("role");
    let mut content = Vec::new();
    if let Some(Value::String(reasoning)) = obj.remove("reasoning_content")
        && role == Role::Assistant
        && !reasoning.is_empty()
    {
        content.push(ContentPart::Thinking(crate::canonical::Thinking {
            text: reasoning,
            signature: None,
            redacted: false,
        }));
    }
    let parts = decode_content(&field("content"), obj.remove("content"))?;
    let call_id = obj.remove("tool_call_id");
    if role == Role::Tool {
        let Some(Value::String(call_id)) = call_id else {
            return Err(ApiError::bad_field(
                field("tool_call_id"),
                "tool messages need `tool_call_id`",
            ));
        };
        let result_parts = parts
            .into_iter()
            .filter_map(|p| match p {
                ContentPart::Text(t) => Some(ToolResultPart::Text(t)),
                ContentPart::Image(img) => Some(ToolResultPart::Image(img)),
                _ => None,
            })
            .collect();
        content.push(ContentPart::ToolResult(ToolResult {
            call_id,
            content: result_parts,
            is_error: false,
        }));
    } else {
        content.extend(parts);
    }
    match obj.remove("tool_calls") {
        None | Some(Value::Null) => {}
        Some(Value::Array(calls)) => {
            for (j, call) in calls.into_iter().enumerate() {
                content.push(decode_tool_call(i, j, call)?);
            }
        }
        Some(_) => {
            return Err(ApiError::bad_field(
                field("tool_calls"),
                "`tool_calls` must be an array",
            ));
        }
    }
    let name = match obj.remove("name") {
        Some(Value::String(name)) => Some(name),
        _ => None,
    };
    Ok(Message {
        role,
        content,
        name,
        extra: extra_text(obj),
    })
}

/// Message `i`'s tool call `j`, its arguments moved out of the tree.
fn decode_tool_call(i: usize, j: usize, mut call: Value) -> Result<ContentPart, ApiError> {
    let arguments = match call.pointer_mut("/function/arguments").map(Value::take) {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => "{}".to_string(),
        Some(other) => other.to_string(),
    };
    let Some(name) = call.pointer("/function/name").and_then(Value::as_str) else {
        return Err(ApiError::bad_field(
            format!("messages[{i}].tool_calls[{j}].function.name"),
            "tool calls need a function name",
        ));
    };
    Ok(ContentPart::ToolCall(ToolCall {
        id: call
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        name: name.to_string(),
        arguments,
    }))
}

fn decode_content(param: &str, value: Option<Value>) -> Result<Vec<ContentPart>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(vec![ContentPart::Text(text)]),
        Some(Value::Array(parts)) => parts
            .into_iter()
            .enumerate()
            .map(|(j, part)| decode_part(&format!("{param}[{j}]"), part))
            .collect(),
        Some(_) => Err(ApiError::bad_field(
            param,
            "`content` must be a string or an array of parts",
        )),
    }
}

fn decode_part(param: &str, mut part: Value) -> Result<ContentPart, ApiError> {
    match part.get("type").and_then(Value::as_str) {
        Some("text") | Some("input_text") | Some("refusal") => {
            let key = if part.get("refusal").is_some() {
                "refusal"
            } else {
                "text"
            };
            match part.get_mut(key).map(Value::take) {
                Some(Value::String(text)) => Ok(ContentPart::Text(text)),
                _ => Err(ApiError::bad_field(
                    format!("{param}.text"),
                    "text parts need `text`",
                )),
            }
        }
        Some("image_url") => {
            let image_url = part.get("image_url");
            let (url, detail) = match image_url {
                Some(Value::String(url)) => (Some(url.as_str()), None),
                Some(obj) => (
                    obj.get("url").and_then(Value::as_str),
                    obj.get("detail")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                ),
                None => (None, None),
            };
            let url = url.ok_or_else(|| {
                ApiError::bad_field(format!("{param}.image_url.url"), "image parts need a URL")
            })?;
            Ok(ContentPart::Image(image_from_url(url, detail)))
        }
        Some("file") => decode_file(param, part.get("file")).map(ContentPart::Image),
        Some(other) => Err(ApiError::bad_field(
            format!("{param}.type"),
            format!("content part type `{other}` is not supported"),
        )),
        None => Err(ApiError::bad_field(
            format!("{param}.type"),
            "content parts need a `type`",
        )),
    }
}

/// A `file` part's `file`: its data (a `data:` URL, or base64 with the
/// media type taken from `filename`). Uploaded files (`file_id`) are not
/// stored here, so they cannot be named.
fn decode_file(param: &str, file: Option<&Value>) -> Result<Image, ApiError> {
    let data = file
        .and_then(|f| f.get("file_data"))
        .and_then(Value::as_str);
    let Some(data) = data.filter(|d| !d.is_empty()) else {
        return Err(ApiError::bad_field(
            format!("{param}.file.file_data"),
            "file parts need `file_data` (a data: URL or base64); `file_id` is not \
             supported: wasmgate does not store files",
        ));
    };
    let guessed = file
        .and_then(|f| f.get("filename"))
        .and_then(Value::as_str)
        .and_then(media_type_of);
    let image = media_from_url(data, guessed, None);
    if !matches!(image.source, ImageSource::Base64(_)) {
        return Err(ApiError::bad_field(
            format!("{param}.file.file_data"),
            "`file_data` must be a data: URL or base64, not a URL",
        ));
    }
    Ok(image)
}

/// A `data:` URL becomes base64 with its media type; any other URL stays a URL.
fn image_from_url(url: &str, detail: Option<String>) -> Image {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
        && let Some(media_type) = meta.strip_suffix(";base64")
    {
        return Image {
            source: ImageSource::Base64(data.to_string()),
            media_type: (!media_type.is_empty()).then(|| media_type.to_string()),
            detail,
        };
    }
    Image {
        source: ImageSource::Url(url.to_string()),
        media_type: None,
        detail,
    }
}

fn decode_tool(i: usize, value: &Value) -> Result<ToolDefinition, ApiError> {
    let param = format!("tools[{i}]");
    if value.get("type").and_then(Value::as_str) != Some("function") {
        return Err(ApiError::bad_field(
            format!("{param}.type"),
            "only `function` tools are supported",
        ));
    }
    let Some(Value::Object(function)) = value.get("function") else {
        return Err(ApiError::bad_field(
            format!("{param}.function"),
            "function tools need a `function` object",
        ));
    };
    let name = function
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::bad_field(format!("{param}.function.name"), "tools need a name")
        })?;
    // The schema is its JSON text already: see `SCHEMAS`.
    let parameters = match function.get("parameters") {
        None | Some(Value::Null) => r#"{"type":"object","properties":{}}"#.to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(schema) => schema.to_string(),
    };
    let extra = leftovers(function, &["name", "description", "parameters"]);
    Ok(ToolDefinition {
        name: name.to_string(),
        description: function
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        parameters,
        extra: extra_text(extra),
    })
}

fn decode_tool_choice(value: Option<&Value>) -> Result<Option<ToolChoice>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match s.as_str() {
            "auto" => Ok(Some(ToolChoice::Auto)),
            "none" => Ok(Some(ToolChoice::None)),
            "required" => Ok(Some(ToolChoice::Required)),
            other => Err(ApiError::bad_field(
                "tool_choice",
                format!("unknown tool_choice `{other}`"),
            )),
        },
        Some(obj) => obj
            .get("function")
            .and_then(|f| f.get("name"))
            .and_then(Value::as_str)
            .map(|name| Some(ToolChoice::Named(name.to_string())))
            .ok_or_else(|| {
                ApiError::bad_field(
                    "tool_choice.function.name",
                    "a named tool_choice needs a function name",
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fast_path_gives_what_the_general_path_gives() {
        // (messages, whether the fast path takes them)
        let cases = [
            (r#"[{"role": "user", "content": "hi"}]"#, true),
            (
                r#"[{"role": "system", "content": "be brief"}, {"role": "developer", "content": ""},
                   {"role": "user", "content": "list files", "name": "ann"},
                   {"role": "assistant", "content": null, "reasoning_content": "think", "tool_calls": [
                       {"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": "{\"cmd\":\"ls\"}"}},
                       {"function": {"name": "Read"}}]},
                   {"role": "tool", "tool_call_id": "call_1", "content": "a\nb"},
                   {"role": "tool", "tool_call_id": "call_2", "content": null},
                   {"role": "user", "content": "thanks", "reasoning_content": "dropped"},
                   {"role": "assistant", "content": "done", "reasoning_content": "", "tool_calls": null, "name": null}]"#,
                true,
            ),
            // Each of these needs the tree: parts, extra fields, other types.
            (
                r#"[{"role": "user", "content": [{"type": "text", "text": "hi"}]}]"#,
                false,
            ),
            (
                r#"[{"role": "user", "content": "hi", "cache_control": {"type": "ephemeral"}}]"#,
                false,
            ),
            (r#"[{"role": "user", "content": "hi", "name": 7}]"#, false),
            (
                r#"[{"role": "assistant", "tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}]}]"#,
                false,
            ),
            (
                r#"[{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {"a": 1}}}]}]"#,
                false,
            ),
            (r#"[{"role": "tool", "content": "no id"}]"#, false),
            (r#"[{"role": "robot", "content": "hi"}]"#, false),
            (
                r#"[{"role": "user", "content": "a", "content": "b"}]"#,
                false,
            ),
            ("[]", false),
        ];
        for (raw, taken) in cases {
            message_array::assert_paths_agree(raw, taken, simple_messages::decode, |(i, m)| {
                decode_message(i, m)
            });
        }
    }

    #[test]
    fn decodes_a_tool_round_trip_request() -> Result<(), ApiError> {
        let body = serde_json::json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hi"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "42"}
            ],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "strict": true}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "stream": true, "stream_options": {"include_usage": true},
            "max_completion_tokens": 50, "user": "u1"
        });
        let (req, opts) = decode_request(body.to_string().as_bytes())?;
        assert!(req.stream && opts.include_usage);
        assert_eq!(req.sampling.max_tokens, Some(50));
        assert_eq!(req.messages.len(), 4);
        assert!(
            matches!(&req.messages[1].content[1], ContentPart::Image(Image { source: ImageSource::Base64(d), media_type: Some(m), .. }) if d == "AAAA" && m == "image/png")
        );
        assert!(
            matches!(&req.messages[3].content[0], ContentPart::ToolResult(r) if r.call_id == "c1")
        );
        assert_eq!(
            req.tools[0].extra.as_deref(),
            Some(r#"{"openai-chat":{"strict":true}}"#)
        );
        assert!(matches!(req.tool_choice, Some(ToolChoice::Named(ref n)) if n == "f"));
        let extra: Value = serde_json::from_str(req.extra.as_deref().unwrap_or("{}"))
            .map_err(|_| ApiError::bad_field("x", "x"))?;
        assert_eq!(extra["openai-chat"]["user"], "u1");
        assert_eq!(extra["openai-chat"]["max_completion_tokens"], 50);
        Ok(())
    }

    #[test]
    fn bad_fields_are_named() {
        let err = decode_request(
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#,
        )
        .err();
        assert_eq!(err.and_then(|e| e.param), Some("temperature".to_string()));
        let err = decode_request(b"{not json").err();
        assert_eq!(err.and_then(|e| e.code), Some("invalid_json"));
        let err = decode_request(br#"{"messages":[]}"#).err();
        assert_eq!(err.and_then(|e| e.param), Some("model".to_string()));
    }

    #[test]
    fn file_parts_are_files() {
        let body = |file: Value| {
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "read"}, {"type": "file", "file": file}]}]})
            .to_string()
        };
        for (file, media_type) in [
            (
                json!({"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.txt"}),
                "application/pdf",
            ),
            (
                json!({"file_data": "JVBERi0=", "filename": "spec.PDF"}),
                "application/pdf",
            ),
        ] {
            let decoded = decode_request(body(file).as_bytes()).map(|(req, _)| req);
            let part = decoded.map(|req| req.messages[0].content[1].clone());
            assert_eq!(
                format!("{part:?}"),
                format!(
                    "{:?}",
                    Ok::<_, ApiError>(ContentPart::Image(Image {
                        source: ImageSource::Base64("JVBERi0=".into()),
                        media_type: Some(media_type.into()),
                        detail: None,
                    }))
                )
            );
        }
        for file in [
            json!({"file_id": "file-1"}),
            json!({"file_data": "https://x/a.pdf"}),
        ] {
            let err = decode_request(body(file).as_bytes()).err();
            assert_eq!(
                err.and_then(|e| e.param).as_deref(),
                Some("messages[0].content[1].file.file_data")
            );
        }
    }

    #[test]
    fn one_choice_per_request() {
        for (n, refused) in [("1", false), ("null", false), ("2", true), ("0", true)] {
            let body =
                format!(r#"{{"model":"m","messages":[{{"role":"user","content":"x"}}],"n":{n}}}"#);
            let err = decode_request(body.as_bytes()).err();
            assert_eq!(
                err.and_then(|e| e.param),
                refused.then(|| "n".to_string()),
                "n = {n}"
            );
        }
    }

    #[test]
    fn tool_schemas_are_passed_on_as_sent() -> Result<(), ApiError> {
        let schema = r#"{"type": "object", "properties": {"path": {"type": "string"}, "all": {"type": "boolean"}}}"#;
        let body = format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":"x"}}],"tools":[
                {{"type":"function","function":{{"name":"a","parameters":{schema}}}}},
                {{"type":"function","function":{{"name":"b","parameters":null}}}}]}}"#
        );
        let (req, _) = decode_request(body.as_bytes())?;
        assert_eq!(req.tools[0].parameters, schema);
        assert_eq!(
            req.tools[1].parameters,
            r#"{"type":"object","properties":{}}"#
        );
        Ok(())
    }
}
