//! The `input` items of a Responses request → canonical messages.

use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::canonical::{
    ContentPart, Image, ImageSource, Message, Role, Thinking, ToolCall, ToolResult, ToolResultPart,
};
use crate::frontend::media::{media_from_url, media_type_of};
use crate::frontend::{Format, extra};

/// A message being built: its parts and, aligned with them, the `$parts`
/// entries (wire fields with no canonical home).
struct Draft {
    role: Role,
    content: Vec<ContentPart>,
    parts: Vec<Value>,
}

impl Draft {
    fn new(role: Role) -> Self {
        Draft {
            role,
            content: Vec::new(),
            parts: Vec::new(),
        }
    }

    /// Add `part` with the item-level fields `item` and the part-level
    /// fields `fields`; an entry with no fields is `null`.
    fn push(&mut self, part: ContentPart, item: &Map<String, Value>, fields: Map<String, Value>) {
        let mut entry = item.clone();
        entry.extend(fields);
        self.content.push(part);
        self.parts.push(if entry.is_empty() {
            Value::Null
        } else {
            Value::Object(entry)
        });
    }

    fn finish(self) -> Message {
        let mut fields = Map::new();
        if self.parts.iter().any(|p| !p.is_null()) {
            fields.insert("$parts".into(), Value::Array(self.parts));
        }
        Message {
            role: self.role,
            content: self.content,
            name: None,
            extra: extra::wrap(Format::OpenAiResponses, fields),
        }
    }
}

/// The messages `input` describes, in order. Texts are moved out of the
/// tree, not copied.
pub fn decode_input(value: Option<Value>) -> Result<Vec<Message>, ApiError> {
    let items = match value {
        Some(Value::String(text)) => {
            let mut draft = Draft::new(Role::User);
            draft.push(ContentPart::Text(text), &Map::new(), Map::new());
            return Ok(vec![draft.finish()]);
        }
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            return Err(ApiError::bad_field(
                "input",
                "`input` is required: a string or a non-empty array of input items",
            ));
        }
    };
    let mut drafts: Vec<Draft> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        decode_item(i, item, &mut drafts)?;
    }
    if drafts.is_empty() {
        return Err(ApiError::bad_field(
            "input",
            "`input` has no content: every message in it is empty",
        ));
    }
    Ok(drafts.into_iter().map(Draft::finish).collect())
}

/// The draft to add to: the last one when it has `role` and folding is
/// wanted, else a new one.
fn target(drafts: &mut Vec<Draft>, role: Role, fold: bool) -> &mut Draft {
    let reuse = fold && drafts.last().is_some_and(|d| d.role == role);
    if !reuse {
        drafts.push(Draft::new(role));
    }
    let last = drafts.len() - 1;
    &mut drafts[last]
}

/// One item; what is left of `obj` once its known fields are taken out
/// goes with each part it makes (see [`Draft::push`]).
fn decode_item(i: usize, item: Value, drafts: &mut Vec<Draft>) -> Result<(), ApiError> {
    let param = format!("input[{i}]");
    let Value::Object(mut obj) = item else {
        return Err(ApiError::bad_field(
            param,
            "each input item must be an object",
        ));
    };
    // Whatever its value, `type` is not an item field to keep.
    let kind = obj.remove("type");
    match kind.as_ref().and_then(Value::as_str) {
        None | Some("message") => decode_message(&param, obj, drafts),
        Some("function_call") => {
            let call_id = take_required(&mut obj, &param, "call_id")?;
            let name = take_required(&mut obj, &param, "name")?;
            let arguments = match obj.remove("arguments") {
                None | Some(Value::Null) => "{}".to_string(),
                Some(Value::String(s)) if s.is_empty() => "{}".to_string(),
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
            };
            target(drafts, Role::Assistant, true).push(
                ContentPart::ToolCall(ToolCall {
                    id: call_id,
                    name,
                    arguments,
                }),
                &obj,
                Map::new(),
            );
            Ok(())
        }
        Some("function_call_output") => {
            let call_id = take_required(&mut obj, &param, "call_id")?;
            let content = match obj.remove("output") {
                Some(Value::String(text)) => vec![ToolResultPart::Text(text)],
                Some(Value::Array(parts)) => parts
                    .into_iter()
                    .enumerate()
                    .map(|(j, part)| {
                        let param = format!("{param}.output[{j}]");
                        Ok(match decode_part(&param, part)?.0 {
                            ContentPart::Image(image) => ToolResultPart::Image(image),
                            ContentPart::Text(text) => ToolResultPart::Text(text),
                            _ => {
                                return Err(ApiError::bad_field(
                                    param,
                                    "tool output parts must be text, images or files",
                                ));
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                _ => {
                    return Err(ApiError::bad_field(
                        format!("{param}.output"),
                        "`output` must be a string or an array of content parts",
                    ));
                }
            };
            target(drafts, Role::Tool, true).push(
                ContentPart::ToolResult(ToolResult {
                    call_id,
                    content,
                    is_error: false,
                }),
                &obj,
                Map::new(),
            );
            Ok(())
        }
        Some("reasoning") => {
            let (text, summary_parts) = match obj.get("summary") {
                None | Some(Value::Null) => (String::new(), 0),
                Some(Value::Array(parts)) => {
                    let texts = parts
                        .iter()
                        .enumerate()
                        .map(|(j, part)| {
                            part.get("text").and_then(Value::as_str).ok_or_else(|| {
                                ApiError::bad_field(
                                    format!("{param}.summary[{j}].text"),
                                    "summary parts need `text`",
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    (texts.join("\n\n"), texts.len())
                }
                Some(_) => {
                    return Err(ApiError::bad_field(
                        format!("{param}.summary"),
                        "`summary` must be an array",
                    ));
                }
            };
            let signature = match obj.remove("encrypted_content") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(_) => {
                    return Err(ApiError::bad_field(
                        format!("{param}.encrypted_content"),
                        "`encrypted_content` must be a string",
                    ));
                }
            };
            // More than one summary part: keep the split for this wire.
            if summary_parts <= 1 {
                obj.remove("summary");
            }
            target(drafts, Role::Assistant, true).push(
                ContentPart::Thinking(Thinking {
                    text,
                    signature,
                    redacted: false,
                }),
                &obj,
                Map::new(),
            );
            Ok(())
        }
        Some("item_reference") => Err(ApiError::bad_field(
            param,
            "`item_reference` items are not supported: wasmgate does not store responses. \
             Send the full item instead.",
        )
        .with_code("unsupported_parameter")),
        Some(other) => Err(ApiError::bad_field(
            format!("{param}.type"),
            format!("input item type `{other}` is not supported"),
        )),
    }
}

/// The non-empty string under `key`, taken out of `obj`.
fn take_required(obj: &mut Map<String, Value>, param: &str, key: &str) -> Result<String, ApiError> {
    match obj.remove(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::bad_field(
            format!("{param}.{key}"),
            format!("`{key}` is required and must be a non-empty string"),
        )),
    }
}

/// A `message` item (its `type` already taken out).
fn decode_message(
    param: &str,
    mut obj: Map<String, Value>,
    drafts: &mut Vec<Draft>,
) -> Result<(), ApiError> {
    let role = match obj.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("system") => Role::System,
        Some("developer") => Role::Developer,
        Some(other) => {
            return Err(ApiError::bad_field(
                format!("{param}.role"),
                format!("unsupported role `{other}`"),
            ));
        }
        None => {
            return Err(ApiError::bad_field(
                format!("{param}.role"),
                "message items need a `role`",
            ));
        }
    };
    obj.remove("role");
    let parts = match obj.remove("content") {
        Some(Value::String(text)) => vec![(ContentPart::Text(text), Map::new())],
        Some(Value::Array(parts)) => parts
            .into_iter()
            .enumerate()
            .map(|(j, part)| decode_part(&format!("{param}.content[{j}]"), part))
            .collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(ApiError::bad_field(
                format!("{param}.content"),
                "`content` must be a string or an array of content parts",
            ));
        }
    };
    if parts.is_empty() {
        // Nothing to say: no message (an empty one would upset upstreams).
        return Ok(());
    }
    // Only assistant turns fold (an answer's message and calls are one turn).
    let draft = target(drafts, role, role == Role::Assistant);
    for (part, fields) in parts {
        draft.push(part, &obj, fields);
    }
    Ok(())
}

/// One content part, with its fields that have no canonical home.
fn decode_part(param: &str, part: Value) -> Result<(ContentPart, Map<String, Value>), ApiError> {
    let Value::Object(mut obj) = part else {
        return Err(ApiError::bad_field(param, "content parts must be objects"));
    };
    let text = |obj: &mut Map<String, Value>, key: &str| match obj.remove(key) {
        Some(Value::String(text)) => Ok(text),
        _ => Err(ApiError::bad_field(
            format!("{param}.{key}"),
            format!("this part needs `{key}` as a string"),
        )),
    };
    let kind = match obj.get("type") {
        Some(Value::String(kind)) => Some(kind.clone()),
        _ => None,
    };
    match kind.as_deref() {
        Some("input_text") | Some("output_text") | Some("text") => {
            let text = text(&mut obj, "text")?;
            obj.remove("type");
            Ok((ContentPart::Text(text), obj))
        }
        Some("refusal") => {
            // The type tells a refusal from text on this wire: it stays.
            let text = text(&mut obj, "refusal")?;
            Ok((ContentPart::Text(text), obj))
        }
        Some("input_image") => {
            obj.remove("type");
            let detail = match obj.remove("detail") {
                Some(Value::String(detail)) => Some(detail),
                _ => None,
            };
            let Some(Value::String(url)) = obj.remove("image_url") else {
                return Err(ApiError::bad_field(
                    format!("{param}.image_url"),
                    "input_image needs `image_url` (a URL or a data: URL); \
                     `file_id` is not supported: wasmgate does not store files",
                ));
            };
            Ok((ContentPart::Image(media_from_url(&url, None, detail)), obj))
        }
        Some("input_file") => {
            let guessed = obj
                .get("filename")
                .and_then(Value::as_str)
                .and_then(media_type_of);
            let image = match (obj.remove("file_data"), obj.remove("file_url")) {
                (Some(Value::String(data)), _) => media_from_url(&data, guessed, None),
                (_, Some(Value::String(url))) => Image {
                    source: ImageSource::Url(url),
                    media_type: guessed.map(str::to_string),
                    detail: None,
                },
                _ => {
                    return Err(ApiError::bad_field(
                        format!("{param}.file_data"),
                        "input_file needs `file_data` or `file_url`; `file_id` is not \
                         supported: wasmgate does not store files",
                    ));
                }
            };
            // The part type tells a file from an image on this wire: it stays.
            Ok((ContentPart::Image(image), obj))
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(input: Value) -> Result<Vec<Message>, ApiError> {
        decode_input(Some(input))
    }

    fn parts_of(message: &Message) -> Value {
        extra::unwrap(Format::OpenAiResponses, message.extra.as_deref())
            .remove("$parts")
            .unwrap_or(Value::Null)
    }

    #[test]
    fn codex_like_turn_folds_calls_and_outputs() -> Result<(), ApiError> {
        let messages = decode(json!([
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "thinking"}], "encrypted_content": "enc"},
            {"type": "message", "role": "assistant", "id": "msg_1", "content": [{"type": "output_text", "text": "Sure.", "annotations": []}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_a", "name": "exec", "arguments": "{\"cmd\":\"ls\"}"},
            {"type": "function_call", "call_id": "call_b", "name": "exec", "arguments": ""},
            {"type": "function_call_output", "call_id": "call_a", "output": "a.txt"},
            {"type": "function_call_output", "call_id": "call_b", "output": [{"type": "input_text", "text": "b.txt"}]},
            {"role": "user", "content": "thanks"}
        ]))?;
        let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                Role::Developer,
                Role::User,
                Role::Assistant,
                Role::Tool,
                Role::User
            ]
        );
        let assistant = &messages[2];
        assert_eq!(assistant.content.len(), 4);
        assert!(matches!(&assistant.content[0],
            ContentPart::Thinking(t) if t.text == "thinking" && t.signature.as_deref() == Some("enc")));
        assert!(matches!(&assistant.content[1], ContentPart::Text(t) if t == "Sure."));
        assert!(matches!(&assistant.content[2],
            ContentPart::ToolCall(c) if c.id == "call_a" && c.name == "exec" && c.arguments == "{\"cmd\":\"ls\"}"));
        assert!(matches!(&assistant.content[3],
            ContentPart::ToolCall(c) if c.id == "call_b" && c.arguments == "{}"));
        assert_eq!(
            parts_of(assistant),
            json!([{"id": "rs_1"}, {"id": "msg_1", "annotations": []}, {"id": "fc_1"}, null])
        );
        let tool = &messages[3];
        assert_eq!(tool.content.len(), 2);
        assert!(matches!(&tool.content[1],
            ContentPart::ToolResult(r) if r.call_id == "call_b"
                && matches!(&r.content[0], ToolResultPart::Text(t) if t == "b.txt")));
        assert!(tool.extra.is_none() && messages[0].extra.is_none());
        Ok(())
    }

    #[test]
    fn consecutive_user_messages_stay_apart() -> Result<(), ApiError> {
        let messages = decode(json!([
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": []},
            {"role": "system", "content": "s"}
        ]))?;
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[2].role, Role::System);
        Ok(())
    }

    #[test]
    fn media_parts() -> Result<(), ApiError> {
        let messages = decode(json!([{"role": "user", "content": [
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
            {"type": "input_image", "image_url": "https://x/y.png"},
            {"type": "input_file", "filename": "a.pdf", "file_data": "JVBE"},
            {"type": "input_file", "file_data": "data:application/pdf;base64,JVBF"},
            {"type": "refusal", "refusal": "no"}
        ]}]))?;
        let content = &messages[0].content;
        assert!(matches!(&content[0], ContentPart::Image(Image {
            source: ImageSource::Base64(d), media_type: Some(m), detail: Some(detail)
        }) if d == "AAAA" && m == "image/png" && detail == "low"));
        assert!(
            matches!(&content[1], ContentPart::Image(Image { source: ImageSource::Url(u), .. }) if u == "https://x/y.png")
        );
        assert!(matches!(&content[2], ContentPart::Image(Image {
            source: ImageSource::Base64(d), media_type: Some(m), ..
        }) if d == "JVBE" && m == "application/pdf"));
        assert!(matches!(&content[3], ContentPart::Image(Image {
            source: ImageSource::Base64(d), media_type: Some(m), ..
        }) if d == "JVBF" && m == "application/pdf"));
        assert!(matches!(&content[4], ContentPart::Text(t) if t == "no"));
        assert_eq!(
            parts_of(&messages[0]),
            json!([null, null, {"type": "input_file", "filename": "a.pdf"}, {"type": "input_file"}, {"type": "refusal"}])
        );
        Ok(())
    }

    #[test]
    fn reasoning_keeps_a_split_summary_and_other_fields() -> Result<(), ApiError> {
        let summary =
            json!([{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}]);
        let messages = decode(json!([
            {"type": "reasoning", "summary": summary, "content": null},
            {"type": "reasoning", "id": "rs_2", "summary": []}
        ]))?;
        let content = &messages[0].content;
        assert!(
            matches!(&content[0], ContentPart::Thinking(t) if t.text == "a\n\nb" && t.signature.is_none())
        );
        assert!(matches!(&content[1], ContentPart::Thinking(t) if t.text.is_empty()));
        assert_eq!(
            parts_of(&messages[0]),
            json!([{"summary": summary, "content": null}, {"id": "rs_2"}])
        );
        Ok(())
    }

    #[test]
    fn bad_items_are_named() {
        let param = |input: Value| decode(input).err().and_then(|e| e.param);
        assert_eq!(param(json!([])), Some("input".into()));
        assert_eq!(
            param(json!([{"role": "user", "content": []}])),
            Some("input".into())
        );
        assert_eq!(param(json!(3)), Some("input".into()));
        assert_eq!(param(json!(["x"])), Some("input[0]".into()));
        assert_eq!(
            param(json!([{"content": "x"}])),
            Some("input[0].role".into())
        );
        assert_eq!(
            param(json!([{"role": "tool", "content": "x"}])),
            Some("input[0].role".into())
        );
        assert_eq!(
            param(json!([{"role": "user"}])),
            Some("input[0].content".into())
        );
        assert_eq!(
            param(json!([{"role": "user", "content": [{"type": "audio"}]}])),
            Some("input[0].content[0].type".into())
        );
        assert_eq!(
            param(json!([{"role": "user", "content": [{"type": "input_text"}]}])),
            Some("input[0].content[0].text".into())
        );
        assert_eq!(
            param(json!([{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}])),
            Some("input[0].content[0].image_url".into())
        );
        assert_eq!(
            param(json!([{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}])),
            Some("input[0].content[0].file_data".into())
        );
        assert_eq!(
            param(json!([{"type": "function_call", "name": "f"}])),
            Some("input[0].call_id".into())
        );
        assert_eq!(
            param(json!([{"type": "function_call", "call_id": "c"}])),
            Some("input[0].name".into())
        );
        assert_eq!(
            param(json!([{"type": "function_call_output", "call_id": "c"}])),
            Some("input[0].output".into())
        );
        assert_eq!(
            param(json!([{"type": "reasoning", "summary": [{"type": "summary_text"}]}])),
            Some("input[0].summary[0].text".into())
        );
        assert_eq!(
            param(json!([{"type": "item_reference", "id": "msg_1"}])),
            Some("input[0]".into())
        );
        assert_eq!(
            param(json!([{"type": "web_search_call"}])),
            Some("input[0].type".into())
        );
    }
}
