//! Messages request JSON → canonical request.
//!
//! Fields with no canonical home stay under the `anthropic` key of the
//! matching `extra` (docs/canonical.md): top-level ones (`metadata`,
//! `context_management`, `output_config`, the raw `thinking` object, …) on
//! the request, per-block ones (`cache_control`, `citations`) in the
//! message's `$parts`, and the `anthropic-beta`/`anthropic-version` headers
//! in `$headers`, so an Anthropic upstream sees what the client sent.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::simple_messages;
use crate::api_error::ApiError;
use crate::canonical::{
    ContentPart, Image, ImageSource, Message, Reasoning, Request, Role, Sampling, Thinking,
    ToolCall, ToolChoice, ToolDefinition, ToolResult, ToolResultPart,
};
use crate::frontend::Format;
use crate::frontend::extra::{self, without};
use crate::frontend::kept_text::{self, Step};
use crate::frontend::message_array;

/// Top-level keys with a canonical home; every other key goes to `extra`.
/// `thinking` and `output_config` are mapped and also kept verbatim.
const KNOWN: &[&str] = &[
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "max_tokens",
    "temperature",
    "top_p",
    "stop_sequences",
    "stream",
];

/// Where the tools' JSON Schemas are, kept as text (see [`kept_text`]).
const SCHEMAS: &[Step] = &[Step::Key("tools"), Step::Each, Step::Key("input_schema")];

/// The messages, kept as text for [`simple_messages`] to read first.
const MESSAGES: &[Step] = &[Step::Key("messages")];

/// Client headers an Anthropic upstream needs to see.
const FORWARDED_HEADERS: &[&str] = &["anthropic-beta", "anthropic-version"];

/// Decode a Messages request body (also the `count_tokens` body, which has
/// no `max_tokens`). Texts, images and schemas are moved out of the parsed
/// tree, not copied.
pub fn decode_request(body: &[u8], headers: &HeaderMap) -> Result<Request, ApiError> {
    let value = kept_text::parse(body, &[SCHEMAS, MESSAGES])
        .map_err(|e| ApiError::bad_field("body", format!("request body is not valid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(ApiError::bad_field(
            "body",
            "request body must be a JSON object",
        ));
    };
    let model = match obj.remove("model") {
        Some(Value::String(m)) if !m.is_empty() => m,
        _ => {
            return Err(ApiError::bad_field(
                "model",
                "`model` is required and must be a non-empty string",
            ));
        }
    };
    let mut messages = decode_system(obj.remove("system"))?;
    match obj.remove("messages") {
        Some(Value::String(raw)) => messages.extend(decode_messages(&raw)?),
        _ => return Err(message_array::missing()),
    }
    let tools = match obj.remove("tools") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, t)| decode_tool(i, t))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ApiError::bad_field("tools", "`tools` must be an array")),
    };
    let (tool_choice, parallel_tool_calls) = decode_tool_choice(obj.remove("tool_choice"))?;
    let sampling = Sampling {
        max_tokens: opt_u32(&obj, "max_tokens")?,
        temperature: opt_f32(&obj, "temperature")?,
        top_p: opt_f32(&obj, "top_p")?,
        stop: decode_stop(obj.get("stop_sequences"))?,
        seed: None,
    };
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::bad_field("stream", "`stream` must be a boolean")),
    };
    let reasoning = decode_reasoning(obj.get("thinking"), obj.get("output_config"))?;

    let mut obj = without(obj, KNOWN);
    let mut forwarded = Map::new();
    for name in FORWARDED_HEADERS {
        if let Some(value) = headers.get(*name).and_then(|v| v.to_str().ok()) {
            forwarded.insert((*name).to_owned(), Value::from(value));
        }
    }
    if !forwarded.is_empty() {
        obj.insert("$headers".into(), Value::Object(forwarded));
    }
    Ok(Request {
        model,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling,
        stream,
        reasoning,
        extra: extra::wrap(Format::Anthropic, obj),
    })
}

/// The `messages` array (its JSON text): the common shape read straight
/// into messages, anything else through a tree.
fn decode_messages(raw: &str) -> Result<Vec<Message>, ApiError> {
    message_array::decode(raw, simple_messages::decode, |(i, item)| {
        decode_message(&format!("messages.{i}"), item)
    })
}

/// `system`: a string or an array of text blocks → one system message.
fn decode_system(system: Option<Value>) -> Result<Vec<Message>, ApiError> {
    match system {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) if text.is_empty() => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(vec![Message {
            role: Role::System,
            content: vec![ContentPart::Text(text)],
            name: None,
            extra: None,
        }]),
        Some(Value::Array(blocks)) => {
            let mut parts = Parts::default();
            for (i, block) in blocks.into_iter().enumerate() {
                let param = format!("system.{i}");
                let Value::Object(mut obj) = block else {
                    return Err(ApiError::bad_field(param, "system blocks must be objects"));
                };
                if obj.get("type").and_then(Value::as_str) != Some("text") {
                    return Err(ApiError::bad_field(
                        format!("{param}.type"),
                        "system blocks must be text blocks",
                    ));
                }
                let text = take_str(&mut obj, "text", &param)?;
                parts.push(ContentPart::Text(text), without(obj, &["type"]));
            }
            Ok(if parts.content.is_empty() {
                Vec::new()
            } else {
                vec![parts.into_message(Role::System, Map::new())]
            })
        }
        Some(_) => Err(ApiError::bad_field(
            "system",
            "`system` must be a string or an array of text blocks",
        )),
    }
}

/// Content parts with their per-block leftovers (`$parts`).
#[derive(Default)]
pub(super) struct Parts {
    content: Vec<ContentPart>,
    leftovers: Vec<Value>,
    any_leftover: bool,
}

impl Parts {
    /// Add a part and what its block had besides (empty: nothing).
    pub(super) fn push(&mut self, part: ContentPart, leftover: Map<String, Value>) {
        self.content.push(part);
        if leftover.is_empty() {
            self.leftovers.push(Value::Null);
        } else {
            self.any_leftover = true;
            self.leftovers.push(Value::Object(leftover));
        }
    }

    /// The message, with the leftovers in `extra` when there are any.
    pub(super) fn into_message(self, role: Role, mut extra_fields: Map<String, Value>) -> Message {
        if self.any_leftover {
            extra_fields.insert("$parts".into(), Value::Array(self.leftovers));
        }
        Message {
            role,
            content: self.content,
            name: None,
            extra: extra::wrap(Format::Anthropic, extra_fields),
        }
    }
}

fn decode_message(param: &str, value: Value) -> Result<Message, ApiError> {
    let Value::Object(mut obj) = value else {
        return Err(ApiError::bad_field(param, "each message must be an object"));
    };
    let role = match obj.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        // Claude Code sends `role: "system"` messages inside `messages`.
        Some("system") => Role::System,
        _ => {
            return Err(ApiError::bad_field(
                format!("{param}.role"),
                "`role` must be \"user\" or \"assistant\"",
            ));
        }
    };
    let mut parts = Parts::default();
    match obj.remove("content") {
        Some(Value::String(text)) => parts.push(ContentPart::Text(text), Map::new()),
        Some(Value::Array(blocks)) => {
            for (i, block) in blocks.into_iter().enumerate() {
                let (part, leftover) = decode_block(&format!("{param}.content.{i}"), block)?;
                parts.push(part, leftover);
            }
        }
        _ => {
            return Err(ApiError::bad_field(
                format!("{param}.content"),
                "`content` must be a string or an array of content blocks",
            ));
        }
    }
    Ok(parts.into_message(role, without(obj, &["role"])))
}

/// One content block → a canonical part and the block's leftover fields.
fn decode_block(param: &str, block: Value) -> Result<(ContentPart, Map<String, Value>), ApiError> {
    let Value::Object(mut obj) = block else {
        return Err(ApiError::bad_field(param, "content blocks must be objects"));
    };
    let kind = match obj.remove("type") {
        Some(Value::String(kind)) => kind,
        _ => String::new(),
    };
    let part = match kind.as_str() {
        "text" => ContentPart::Text(take_str(&mut obj, "text", param)?),
        "image" | "document" => ContentPart::Image(decode_image(param, &kind, &mut obj)?),
        "tool_use" => {
            let arguments = match obj.remove("input") {
                None => "{}".to_owned(),
                Some(input) => input.to_string(),
            };
            ContentPart::ToolCall(ToolCall {
                id: take_str(&mut obj, "id", param)?,
                name: take_str(&mut obj, "name", param)?,
                arguments,
            })
        }
        "tool_result" => ContentPart::ToolResult(decode_tool_result(param, &mut obj)?),
        "thinking" => ContentPart::Thinking(Thinking {
            text: take_str(&mut obj, "thinking", param)?,
            signature: match obj.remove("signature") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
            redacted: false,
        }),
        "redacted_thinking" => ContentPart::Thinking(Thinking {
            text: take_str(&mut obj, "data", param)?,
            signature: None,
            redacted: true,
        }),
        other => {
            return Err(ApiError::bad_field(
                format!("{param}.type"),
                format!(
                    "content block type `{other}` is not supported by this gateway; \
                     use text, image, document, tool_use, tool_result, thinking or \
                     redacted_thinking"
                ),
            ));
        }
    };
    Ok((part, obj))
}

/// An `image` or `document` (`kind`) block's `source`, taken out of `obj`.
/// A document is a PDF (base64, or a URL, whose type is then PDF); the
/// canonical image part carries it with its media type, as a provider
/// sends files.
fn decode_image(param: &str, kind: &str, obj: &mut Map<String, Value>) -> Result<Image, ApiError> {
    let Some(Value::Object(mut source)) = obj.remove("source") else {
        return Err(ApiError::bad_field(
            format!("{param}.source"),
            format!("{kind} blocks need a `source`"),
        ));
    };
    let mut media_type = match source.remove("media_type") {
        Some(Value::String(m)) => Some(m),
        _ => None,
    };
    let source_param = format!("{param}.source");
    let source = match source.get("type").and_then(Value::as_str) {
        Some("base64") => ImageSource::Base64(take_str(&mut source, "data", &source_param)?),
        Some("url") => {
            if kind == "document" {
                media_type.get_or_insert_with(|| "application/pdf".to_string());
            }
            ImageSource::Url(take_str(&mut source, "url", &source_param)?)
        }
        _ => {
            let also = if kind == "document" {
                "; send plain text as a text block"
            } else {
                ""
            };
            return Err(ApiError::bad_field(
                format!("{source_param}.type"),
                format!("{kind} sources must be `base64` or `url`{also}"),
            ));
        }
    };
    Ok(Image {
        source,
        media_type,
        detail: None,
    })
}

/// A `tool_result` block's fields, taken out of `obj`.
fn decode_tool_result(param: &str, obj: &mut Map<String, Value>) -> Result<ToolResult, ApiError> {
    let call_id = take_str(obj, "tool_use_id", param)?;
    let content = match obj.remove("content") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => vec![ToolResultPart::Text(text)],
        Some(Value::Array(blocks)) => {
            let mut parts = Vec::with_capacity(blocks.len());
            for (i, block) in blocks.into_iter().enumerate() {
                let block_param = format!("{param}.content.{i}");
                let Value::Object(mut block) = block else {
                    return Err(ApiError::bad_field(block_param, "blocks must be objects"));
                };
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => parts.push(ToolResultPart::Text(take_str(
                        &mut block,
                        "text",
                        &block_param,
                    )?)),
                    Some(kind @ ("image" | "document")) => {
                        let kind = kind.to_string();
                        parts.push(ToolResultPart::Image(decode_image(
                            &block_param,
                            &kind,
                            &mut block,
                        )?))
                    }
                    _ => {
                        return Err(ApiError::bad_field(
                            format!("{block_param}.type"),
                            "tool results may hold text, image and document blocks",
                        ));
                    }
                }
            }
            parts
        }
        Some(_) => {
            return Err(ApiError::bad_field(
                format!("{param}.content"),
                "tool result content must be a string or an array of blocks",
            ));
        }
    };
    let is_error = matches!(obj.remove("is_error"), Some(Value::Bool(true)));
    Ok(ToolResult {
        call_id,
        content,
        is_error,
    })
}

fn decode_tool(index: usize, value: Value) -> Result<ToolDefinition, ApiError> {
    let param = format!("tools.{index}");
    let Value::Object(mut obj) = value else {
        return Err(ApiError::bad_field(param, "each tool must be an object"));
    };
    let name = take_str(&mut obj, "name", &param)?;
    let parameters = match obj.remove("input_schema") {
        None | Some(Value::Null) => r#"{"type":"object","properties":{}}"#.to_owned(),
        // The schema is its JSON text already: see `SCHEMAS`.
        Some(Value::String(text)) => text,
        Some(schema) => schema.to_string(),
    };
    let description = match obj.remove("description") {
        Some(Value::String(d)) => Some(d),
        _ => None,
    };
    Ok(ToolDefinition {
        name,
        description,
        parameters,
        extra: extra::wrap(Format::Anthropic, obj),
    })
}

/// `tool_choice` → (choice, parallel tool calls).
fn decode_tool_choice(
    value: Option<Value>,
) -> Result<(Option<ToolChoice>, Option<bool>), ApiError> {
    let mut obj = match value {
        None | Some(Value::Null) => return Ok((None, None)),
        Some(Value::Object(obj)) => obj,
        Some(_) => {
            return Err(ApiError::bad_field(
                "tool_choice",
                "`tool_choice` must be an object",
            ));
        }
    };
    let choice = match obj.get("type").and_then(Value::as_str) {
        Some("auto") => ToolChoice::Auto,
        Some("any") => ToolChoice::Required,
        Some("none") => ToolChoice::None,
        Some("tool") => ToolChoice::Named(take_str(&mut obj, "name", "tool_choice")?),
        _ => {
            return Err(ApiError::bad_field(
                "tool_choice.type",
                "`tool_choice.type` must be auto, any, tool or none",
            ));
        }
    };
    let parallel = match obj.get("disable_parallel_tool_use") {
        Some(Value::Bool(disable)) => Some(!disable),
        _ => None,
    };
    Ok((Some(choice), parallel))
}

/// `thinking` (and `output_config.effort`) → canonical reasoning.
fn decode_reasoning(
    thinking: Option<&Value>,
    output_config: Option<&Value>,
) -> Result<Option<Reasoning>, ApiError> {
    let effort = output_config
        .and_then(|c| c.get("effort"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut reasoning = match thinking {
        None | Some(Value::Null) => None,
        Some(Value::Object(obj)) => match obj.get("type").and_then(Value::as_str) {
            Some("enabled") => Some(Reasoning {
                effort: None,
                budget_tokens: match obj.get("budget_tokens") {
                    Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    _ => None,
                },
                summary: None,
                enabled: true,
            }),
            Some("adaptive") => Some(Reasoning {
                effort: None,
                budget_tokens: None,
                summary: None,
                enabled: true,
            }),
            Some("disabled") => Some(Reasoning {
                effort: None,
                budget_tokens: None,
                summary: None,
                enabled: false,
            }),
            _ => {
                return Err(ApiError::bad_field(
                    "thinking.type",
                    "`thinking.type` must be enabled, adaptive or disabled",
                ));
            }
        },
        Some(_) => {
            return Err(ApiError::bad_field(
                "thinking",
                "`thinking` must be an object",
            ));
        }
    };
    if let Some(effort) = effort {
        let r = reasoning.get_or_insert(Reasoning {
            effort: None,
            budget_tokens: None,
            summary: None,
            enabled: true,
        });
        r.effort = Some(effort);
    }
    Ok(reasoning)
}

fn decode_stop(value: Option<&Value>) -> Result<Vec<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| {
                s.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::bad_field("stop_sequences", "`stop_sequences` must hold strings")
                })
            })
            .collect(),
        Some(_) => Err(ApiError::bad_field(
            "stop_sequences",
            "`stop_sequences` must be an array of strings",
        )),
    }
}

/// The string under `key`, taken out of `obj`.
fn take_str(obj: &mut Map<String, Value>, key: &str, param: &str) -> Result<String, ApiError> {
    match obj.remove(key) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(ApiError::bad_field(
            format!("{param}.{key}"),
            format!("`{key}` is required and must be a string"),
        )),
    }
}

fn opt_u32(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| ApiError::bad_field(key, format!("`{key}` must be a positive integer"))),
        Some(_) => Err(ApiError::bad_field(
            key,
            format!("`{key}` must be a positive integer"),
        )),
    }
}

fn opt_f32(obj: &Map<String, Value>, key: &str) -> Result<Option<f32>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64().map(|f| f as f32)),
        Some(_) => Err(ApiError::bad_field(
            key,
            format!("`{key}` must be a number"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(body: Value) -> Result<Request, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            "anthropic-beta",
            axum::http::HeaderValue::from_static("b1,b2"),
        );
        headers.insert("x-api-key", axum::http::HeaderValue::from_static("local"));
        decode_request(body.to_string().as_bytes(), &headers)
    }

    fn extra_of(text: Option<&str>) -> Value {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn claude_code_shaped_request() -> Result<(), ApiError> {
        let req = decode(json!({
            "model": "claude-x",
            "max_tokens": 32000,
            "stream": true,
            "system": [
                {"type": "text", "text": "You are Claude Code."},
                {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}
            ],
            "messages": [
                {"role": "system", "content": "Context."},
                {"role": "user", "content": [
                    {"type": "text", "text": "Look", "cache_control": {"type": "ephemeral"}},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig1"},
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a\nb", "is_error": false, "cache_control": {"type": "ephemeral"}}
                ]}
            ],
            "tools": [{"name": "Bash", "description": "Run", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
            "thinking": {"type": "adaptive"},
            "metadata": {"user_id": "u"},
            "output_config": {"effort": "high"},
            "context_management": {"edits": []}
        }))?;
        assert!(req.stream);
        assert_eq!(req.sampling.max_tokens, Some(32000));
        assert_eq!(req.messages.len(), 5);
        assert_eq!(req.messages[0].role, Role::System);
        assert_eq!(req.messages[1].role, Role::System);
        let system_extra = extra_of(req.messages[0].extra.as_deref());
        assert_eq!(
            system_extra["anthropic"]["$parts"],
            json!([null, {"cache_control": {"type": "ephemeral"}}])
        );
        assert!(matches!(
            &req.messages[2].content[1],
            ContentPart::Image(Image { source: ImageSource::Base64(d), media_type: Some(m), .. })
                if d == "AAAA" && m == "image/png"
        ));
        assert!(matches!(
            &req.messages[3].content[0],
            ContentPart::Thinking(Thinking { text, signature: Some(s), redacted: false }) if text == "hmm" && s == "sig1"
        ));
        assert!(matches!(
            &req.messages[3].content[1],
            ContentPart::ToolCall(c) if c.arguments == r#"{"command":"ls"}"#
        ));
        assert!(matches!(
            &req.messages[4].content[0],
            ContentPart::ToolResult(r) if r.call_id == "toolu_1" && !r.is_error
        ));
        assert_eq!(
            extra_of(req.tools[0].extra.as_deref())["anthropic"]["cache_control"]["type"],
            "ephemeral"
        );
        assert_eq!(req.parallel_tool_calls, Some(false));
        let reasoning = req.reasoning.clone().unwrap_or(Reasoning {
            effort: None,
            budget_tokens: None,
            summary: None,
            enabled: false,
        });
        assert!(reasoning.enabled);
        assert_eq!(reasoning.effort.as_deref(), Some("high"));
        let top = extra_of(req.extra.as_deref());
        assert_eq!(top["anthropic"]["metadata"]["user_id"], "u");
        assert_eq!(top["anthropic"]["thinking"]["type"], "adaptive");
        assert_eq!(top["anthropic"]["$headers"]["anthropic-beta"], "b1,b2");
        assert!(top["anthropic"]["$headers"].get("x-api-key").is_none());
        assert!(top["anthropic"].get("max_tokens").is_none());
        Ok(())
    }

    #[test]
    fn the_fast_path_decodes_messages_as_the_tree_does() {
        let cases: &[(&str, bool)] = &[
            (
                r#"[{"role":"user","content":[{"type":"text","text":"<reminder>"},{"type":"text","text":"Fix it","cache_control":{"type":"ephemeral"}}]},
                   {"role":"assistant","content":[{"type":"text","text":"Looking."},{"input":{"z":1,"a":{"y":[1,2],"b":null}},"name":"Bash","id":"toolu_1","type":"tool_use"}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok","cache_control":{"type":"ephemeral"}}]}]"#,
                true,
            ),
            (
                r#"[{"role":"user","content":"hi"},{"role":"system","content":""}]"#,
                true,
            ),
            (
                r#"[{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"redacted_thinking","data":"xx"},{"type":"tool_use","id":"t","name":"n"},{"type":"tool_use","id":"u","name":"n","input":null}]}]"#,
                true,
            ),
            (
                r#"[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"is_error":true},{"type":"tool_result","tool_use_id":"u","content":null,"is_error":false},{"type":"tool_result","tool_use_id":"v"}]}]"#,
                true,
            ),
            (
                r#"[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"http://x/i.png"}}]}]"#,
                false,
            ),
            (
                r#"[{"role":"user","content":[{"type":"text","text":"a","citations":[]}]}]"#,
                false,
            ),
            (
                r#"[{"role":"user","content":[{"type":"text","text":"a","id":null}]}]"#,
                false,
            ),
            (
                r#"[{"role":"user","content":[{"type":"text","text":"a","signature":"s"}]}]"#,
                false,
            ),
            (
                r#"[{"role":"assistant","content":[{"type":"thinking","thinking":"a","signature":null}]}]"#,
                false,
            ),
            (
                r#"[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":null}]}]"#,
                false,
            ),
            (
                r#"[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a","cache_control":{}}]}]}]"#,
                false,
            ),
            (r#"[{"role":"user","content":"a","name":"me"}]"#, false),
            (r#"[{"role":"user","content":[]}]"#, false),
            (r#"[{"role":"user","content":null}]"#, false),
            (
                r#"[{"role":"user","content":[{"type":"text","text":"a","text":"b"}]}]"#,
                false,
            ),
            (r#"[{"role":"bot","content":"x"}]"#, false),
            (
                r#"[{"role":"user","content":[{"type":"tool_use","id":"t"}]}]"#,
                false,
            ),
            (r#"[{"role":"user","content":[{"type":"video"}]}]"#, false),
            ("[]", false),
            ("{}", false),
        ];
        for (raw, taken) in cases {
            message_array::assert_paths_agree(raw, *taken, simple_messages::decode, |(i, item)| {
                decode_message(&format!("messages.{i}"), item)
            });
        }
    }

    /// PDFs (Claude Code reads them) become image parts with their media
    /// type, in a message and in a tool result; the block's other fields
    /// ride along; a plain-text document is refused by name.
    #[test]
    fn documents_are_files() -> Result<(), ApiError> {
        let pdf = json!({"type": "document", "title": "Spec",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}});
        let linked =
            json!({"type": "document", "source": {"type": "url", "url": "https://x/a.pdf"}});
        let req = decode(json!({
            "model": "m", "max_tokens": 10,
            "messages": [
                {"role": "user", "content": [pdf, linked]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [pdf]}]}
            ]
        }))?;
        let file = |source, media_type: &str| Image {
            source,
            media_type: Some(media_type.into()),
            detail: None,
        };
        let base64 = file(ImageSource::Base64("JVBERi0=".into()), "application/pdf");
        assert_eq!(
            format!("{:?}", req.messages[0].content),
            format!(
                "{:?}",
                [
                    ContentPart::Image(base64.clone()),
                    ContentPart::Image(file(
                        ImageSource::Url("https://x/a.pdf".into()),
                        "application/pdf"
                    )),
                ]
            )
        );
        let parts = &extra_of(req.messages[0].extra.as_deref())["anthropic"]["$parts"];
        assert_eq!(parts[0]["title"], "Spec", "{parts}");
        assert_eq!(
            format!("{:?}", req.messages[2].content),
            format!(
                "{:?}",
                [ContentPart::ToolResult(ToolResult {
                    call_id: "t1".into(),
                    content: vec![ToolResultPart::Image(base64)],
                    is_error: false,
                })]
            )
        );

        let text_doc = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "hi"}}]}]});
        let err = decode(text_doc).err();
        assert_eq!(
            err.and_then(|e| e.param),
            Some("messages.0.content.0.source.type".to_string())
        );
        Ok(())
    }

    #[test]
    fn thinking_budget_and_string_system() -> Result<(), ApiError> {
        let req = decode(json!({
            "model": "m", "max_tokens": 10, "system": "S",
            "messages": [{"role": "user", "content": "hi"}],
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "stop_sequences": ["END"]
        }))?;
        assert_eq!(req.messages[0].role, Role::System);
        assert_eq!(req.reasoning.and_then(|r| r.budget_tokens), Some(2048));
        assert_eq!(req.sampling.stop, vec!["END".to_string()]);
        Ok(())
    }

    #[test]
    fn bad_fields_are_named() {
        for (body, param) in [
            (
                json!({"messages": [{"role": "user", "content": "x"}]}),
                "model",
            ),
            (json!({"model": "m"}), "messages"),
            (
                json!({"model": "m", "messages": [{"role": "bot", "content": "x"}]}),
                "messages.0.role",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "video"}]}]}),
                "messages.0.content.0.type",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": "big"}),
                "max_tokens",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": {"type": "maybe"}}),
                "tool_choice.type",
            ),
        ] {
            let param_of = decode(body).err().and_then(|e| e.param);
            assert_eq!(param_of.as_deref(), Some(param));
        }
        assert!(decode_request(b"{nope", &HeaderMap::new()).is_err());
    }

    #[test]
    fn tool_schemas_are_passed_on_as_sent() -> Result<(), ApiError> {
        let schema = r#"{"type": "object", "properties": {"path": {"type": "string"}, "all": {}}}"#;
        let body = format!(
            r#"{{"model":"m","max_tokens":5,"messages":[{{"role":"user","content":"x"}}],"tools":[
                {{"name":"a","input_schema":{schema},"cache_control":{{"type":"ephemeral"}}}},
                {{"name":"b","input_schema":null}}]}}"#
        );
        let req = decode_request(body.as_bytes(), &HeaderMap::new())?;
        assert_eq!(req.tools[0].parameters, schema);
        assert_eq!(
            req.tools[0].extra.as_deref(),
            Some(r#"{"anthropic":{"cache_control":{"type":"ephemeral"}}}"#)
        );
        assert_eq!(
            req.tools[1].parameters,
            r#"{"type":"object","properties":{}}"#
        );
        Ok(())
    }
}
