//! Canonical messages to Responses `input` items.
//!
//! One canonical message can become several items: its text and images go
//! into `message` items, while each thinking part (with a signature), tool
//! call and tool result is an item of its own, in the order the parts came.

use std::borrow::Cow;

use serde_json::{Map, Value, json};
use wasmgate_wire::splice::{self, WriteJson};
use wasmgate_wire::{extra, media};

use crate::WIRE;
use crate::types::{
    ContentPart, Image, ImageSource, Message, Role, Thinking, ToolCall, ToolResult, ToolResultPart,
};

/// `$parts` keys of a text or image part that belong on the enclosing
/// `message` item rather than on the content entry.
const ITEM_KEYS: &[&str] = &["id", "status", "phase", "type", "role"];

/// Map the conversation to `input` items.
pub fn map_messages(messages: &[Message]) -> Vec<Item<'_>> {
    let mut out = Vec::with_capacity(messages.len());
    for message in messages {
        map_message(message, &mut out);
    }
    out
}

/// One `input` item. Texts, call arguments and tool outputs are borrowed
/// from the canonical messages and written straight into the body: they
/// are the bulk of a coding agent's turn, and a tree would copy each. Each
/// item's wire fields never replace its own entries.
#[derive(Debug)]
pub enum Item<'a> {
    /// A `message` item.
    Message {
        role: &'static str,
        content: Vec<Entry<'a>>,
        fields: Map<String, Value>,
    },
    /// A `function_call` item.
    FunctionCall {
        call_id: &'a str,
        name: &'a str,
        arguments: &'a str,
        fields: Map<String, Value>,
    },
    /// A `function_call_output` item with a text output.
    FunctionCallOutput {
        call_id: &'a str,
        output: Cow<'a, str>,
        fields: Map<String, Value>,
    },
    /// Any other item (reasoning, an output with images).
    Tree(Value),
}

impl WriteJson for Item<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Item::Message {
                role,
                content,
                fields,
            } => splice::write_object(
                out,
                fields,
                &[("content", content), ("role", role), ("type", &"message")],
            ),
            Item::FunctionCall {
                call_id,
                name,
                arguments,
                fields,
            } => splice::write_object(
                out,
                fields,
                &[
                    ("arguments", arguments),
                    ("call_id", call_id),
                    ("name", name),
                    ("type", &"function_call"),
                ],
            ),
            Item::FunctionCallOutput {
                call_id,
                output,
                fields,
            } => splice::write_object(
                out,
                fields,
                &[
                    ("call_id", call_id),
                    ("output", &output.as_ref()),
                    ("type", &"function_call_output"),
                ],
            ),
            Item::Tree(item) => splice::write_value(out, item),
        }
    }
}

/// One `content` entry of a `message` item.
#[derive(Debug)]
pub enum Entry<'a> {
    /// `{"type": "input_text" | "output_text", "text": …}` with its fields.
    Text {
        kind: &'static str,
        text: &'a str,
        fields: Map<String, Value>,
    },
    /// Any other entry (an image).
    Tree(Value),
}

impl WriteJson for Entry<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Entry::Text { kind, text, fields } => {
                splice::write_object(out, fields, &[("text", text), ("type", kind)])
            }
            Entry::Tree(entry) => splice::write_value(out, entry),
        }
    }
}

/// A `message` item being filled with consecutive text and image parts.
#[derive(Default)]
struct Pending<'a> {
    /// Content entries so far.
    content: Vec<Entry<'a>>,
    /// Item-level fields from `$parts` (such as the item `id`).
    fields: Map<String, Value>,
}

/// Append the items for one canonical message to `out`.
fn map_message<'a>(message: &'a Message, out: &mut Vec<Item<'a>>) {
    let mut wire = extra::wire_object(message.extra.as_deref(), WIRE);
    let reserved = extra::take_reserved(&mut wire);
    let parts = extra::parts(&reserved);
    // Message-level wire fields go on the first `message` item only, so an
    // item field such as `id` is never duplicated.
    let mut message_fields = Some(wire);
    let role = role_name(message.role);
    let assistant = message.role == Role::Assistant;
    let mut pending = Pending::default();

    for (i, part) in message.content.iter().enumerate() {
        let fields = extra::part_fields(&parts, i);
        match part {
            ContentPart::Text(text) => {
                let kind = if assistant {
                    "output_text"
                } else {
                    "input_text"
                };
                let entry = Entry::Text {
                    kind,
                    text,
                    fields: Map::new(),
                };
                pending.push(entry, fields, assistant);
            }
            // The Responses API takes no images from the assistant.
            ContentPart::Image(_) if assistant => {}
            ContentPart::Image(image) => {
                let mut entry = image_entry(image);
                // A file name the client sent wins over the made-up one.
                if fields.contains_key("filename")
                    && let Some(obj) = entry.as_object_mut()
                {
                    obj.remove("filename");
                }
                pending.push(Entry::Tree(entry), fields, false);
            }
            ContentPart::Thinking(thinking) => {
                if let Some(item) = reasoning_item(thinking, fields) {
                    flush(&mut pending, role, &mut message_fields, out);
                    out.push(Item::Tree(item));
                }
            }
            ContentPart::ToolCall(call) => {
                flush(&mut pending, role, &mut message_fields, out);
                out.push(function_call_item(call, fields));
            }
            ContentPart::ToolResult(result) => {
                flush(&mut pending, role, &mut message_fields, out);
                out.push(function_call_output_item(result, fields));
            }
        }
    }
    flush(&mut pending, role, &mut message_fields, out);
}

impl<'a> Pending<'a> {
    /// Add one content entry, with its `$parts` fields split between the
    /// entry and the item.
    fn push(&mut self, mut entry: Entry<'a>, fields: Map<String, Value>, output_text: bool) {
        let obj = match &mut entry {
            Entry::Text { fields, .. } => Some(fields),
            Entry::Tree(Value::Object(obj)) => Some(obj),
            Entry::Tree(_) => None,
        };
        if let Some(obj) = obj {
            for (key, value) in fields {
                if ITEM_KEYS.contains(&key.as_str()) {
                    self.fields.entry(key).or_insert(value);
                } else {
                    obj.entry(key).or_insert(value);
                }
            }
            if output_text {
                obj.entry("annotations").or_insert_with(|| json!([]));
            }
        }
        self.content.push(entry);
    }
}

/// Emit the pending `message` item, if it has content.
fn flush<'a>(
    pending: &mut Pending<'a>,
    role: &'static str,
    message_fields: &mut Option<Map<String, Value>>,
    out: &mut Vec<Item<'a>>,
) {
    let Pending {
        content,
        mut fields,
    } = std::mem::take(pending);
    if content.is_empty() {
        return;
    }
    if let Some(wire) = message_fields.take() {
        extra::merge_missing(&mut fields, wire);
    }
    out.push(Item::Message {
        role,
        content,
        fields,
    });
}

/// The wire role of a `message` item. Text in a tool message (which should
/// hold only tool results) is sent as user text.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User | Role::Tool => "user",
        Role::Assistant => "assistant",
    }
}

/// A `reasoning` item for a signed thinking part; `None` (dropped) when the
/// part has no signature, because the Responses API only takes reasoning
/// back with its `encrypted_content`. The item `id` comes from `$parts`.
fn reasoning_item(thinking: &Thinking, fields: Map<String, Value>) -> Option<Value> {
    let signature = thinking.signature.as_deref().filter(|s| !s.is_empty())?;
    let summary = if thinking.text.is_empty() || thinking.redacted {
        json!([])
    } else {
        json!([{"type": "summary_text", "text": thinking.text}])
    };
    let mut item = Map::new();
    item.insert("type".into(), Value::from("reasoning"));
    item.insert("summary".into(), summary);
    item.insert("encrypted_content".into(), Value::from(signature));
    extra::merge_missing(&mut item, fields);
    Some(Value::Object(item))
}

/// A `function_call` item.
fn function_call_item(call: &ToolCall, fields: Map<String, Value>) -> Item<'_> {
    let arguments = if call.arguments.trim().is_empty() {
        "{}"
    } else {
        call.arguments.as_str()
    };
    Item::FunctionCall {
        call_id: &call.id,
        name: &call.name,
        arguments,
        fields,
    }
}

/// A `function_call_output` item: text output (parts joined), or a list of
/// `input_text` / `input_image` entries when the result has images. The
/// Responses API has no error flag, so `is-error` is not sent.
fn function_call_output_item(result: &ToolResult, fields: Map<String, Value>) -> Item<'_> {
    let has_image = result
        .content
        .iter()
        .any(|p| matches!(p, ToolResultPart::Image(_)));
    if !has_image {
        let output = match result.content.as_slice() {
            [ToolResultPart::Text(text)] => Cow::Borrowed(text.as_str()),
            parts => Cow::Owned(
                parts
                    .iter()
                    .filter_map(|p| match p {
                        ToolResultPart::Text(text) => Some(text.as_str()),
                        ToolResultPart::Image(_) => None,
                    })
                    .collect::<String>(),
            ),
        };
        return Item::FunctionCallOutput {
            call_id: &result.call_id,
            output,
            fields,
        };
    }
    let output = result
        .content
        .iter()
        .map(|part| match part {
            ToolResultPart::Text(text) => json!({"type": "input_text", "text": text}),
            ToolResultPart::Image(image) => image_entry(image),
        })
        .collect();
    let mut item = Map::new();
    item.insert("type".into(), Value::from("function_call_output"));
    item.insert("call_id".into(), Value::from(result.call_id.as_str()));
    item.insert("output".into(), Value::Array(output));
    extra::merge_missing(&mut item, fields);
    Item::Tree(Value::Object(item))
}

/// An `input_image` entry: the URL as given, or a `data:` URL built from
/// base64 bytes and the media type. A file (a PDF) is an `input_file`:
/// its data as a `data:` URL with a file name, or its URL.
fn image_entry(image: &Image) -> Value {
    let url = match &image.source {
        ImageSource::Url(url) => url.clone(),
        ImageSource::Base64(data) => format!(
            "data:{};base64,{data}",
            image.media_type.as_deref().unwrap_or("image/png")
        ),
    };
    let media_type = media::media_type(image.media_type.as_deref(), Some(&url));
    if let Some(file_type) = media_type.filter(|m| media::is_file(Some(m))) {
        return if url.starts_with("data:") {
            json!({"type": "input_file", "file_data": url, "filename": media::file_name(file_type)})
        } else {
            json!({"type": "input_file", "file_url": url})
        };
    }
    json!({
        "type": "input_image",
        "image_url": url,
        "detail": image.detail.as_deref().unwrap_or("auto"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items `messages` map to, as written, read back.
    fn items(messages: &[Message]) -> Vec<Value> {
        let text = splice::to_vec(&map_messages(messages)).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{e}"))
    }

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

    #[test]
    fn roles_stay_in_position() {
        let out = items(&[
            msg(Role::System, vec![text("be "), text("nice")]),
            msg(Role::User, vec![text("hi")]),
            msg(Role::Developer, vec![text("dev")]),
        ]);
        assert_eq!(
            Value::Array(out),
            json!([
                {"type": "message", "role": "system", "content": [
                    {"type": "input_text", "text": "be "}, {"type": "input_text", "text": "nice"}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "dev"}]},
            ])
        );
    }

    #[test]
    fn images_base64_and_url() {
        let out = items(&[msg(
            Role::User,
            vec![
                text("what is this?"),
                ContentPart::Image(Image {
                    source: ImageSource::Base64("AAAA".into()),
                    media_type: Some("image/jpeg".into()),
                    detail: Some("low".into()),
                }),
                ContentPart::Image(Image {
                    source: ImageSource::Url("https://x/y.png".into()),
                    media_type: None,
                    detail: None,
                }),
            ],
        )]);
        assert_eq!(
            out[0]["content"],
            json!([
                {"type": "input_text", "text": "what is this?"},
                {"type": "input_image", "image_url": "data:image/jpeg;base64,AAAA", "detail": "low"},
                {"type": "input_image", "image_url": "https://x/y.png", "detail": "auto"},
            ])
        );
    }

    #[test]
    fn files_are_input_files() {
        let file = |source, media_type: &str| {
            ContentPart::Image(Image {
                source,
                media_type: Some(media_type.into()),
                detail: None,
            })
        };
        let mut named = msg(
            Role::User,
            vec![
                file(ImageSource::Base64("JVBERi0=".into()), "application/pdf"),
                file(
                    ImageSource::Url("https://x/a.pdf".into()),
                    "application/pdf",
                ),
            ],
        );
        named.extra = Some(
            json!({"openai-responses": {"$parts": [{"type": "input_file", "filename": "spec.pdf"}, null]}})
                .to_string(),
        );
        let out = items(&[named]);
        assert_eq!(
            out[0]["content"],
            json!([
                {"type": "input_file", "file_data": "data:application/pdf;base64,JVBERi0=", "filename": "spec.pdf"},
                {"type": "input_file", "file_url": "https://x/a.pdf"},
            ])
        );
        let out = items(&[msg(
            Role::User,
            vec![file(
                ImageSource::Base64("JVBERi0=".into()),
                "application/pdf",
            )],
        )]);
        assert_eq!(out[0]["content"][0]["filename"], "document.pdf");
    }

    #[test]
    fn assistant_turn_becomes_items_in_order() {
        let mut m = msg(
            Role::Assistant,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "hmm".into(),
                    signature: Some("enc-1".into()),
                    redacted: false,
                }),
                ContentPart::Thinking(Thinking {
                    text: "unsigned".into(),
                    signature: None,
                    redacted: false,
                }),
                text("Let me check."),
                ContentPart::Image(Image {
                    source: ImageSource::Url("https://x".into()),
                    media_type: None,
                    detail: None,
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into(),
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_2".into(),
                    name: "now".into(),
                    arguments: String::new(),
                }),
            ],
        );
        m.extra = Some(
            r#"{"openai-responses": {"$parts": [{"id": "rs_1"}, null, {"id": "msg_1"}, null, {"id": "fc_1"}]},
                "anthropic": {"$parts": [{"cache_control": {}}]}}"#
                .into(),
        );
        assert_eq!(
            Value::Array(items(&[m])),
            json!([
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "hmm"}],
                 "encrypted_content": "enc-1"},
                {"type": "message", "role": "assistant", "id": "msg_1", "content": [
                    {"type": "output_text", "text": "Let me check.", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather",
                 "arguments": "{\"city\":\"Paris\"}"},
                {"type": "function_call", "call_id": "call_2", "name": "now", "arguments": "{}"},
            ])
        );
    }

    #[test]
    fn signature_only_thinking_has_an_empty_summary() {
        let out = items(&[msg(
            Role::Assistant,
            vec![ContentPart::Thinking(Thinking {
                text: String::new(),
                signature: Some("enc".into()),
                redacted: false,
            })],
        )]);
        assert_eq!(
            Value::Array(out),
            json!([{"type": "reasoning", "summary": [], "encrypted_content": "enc"}])
        );
    }

    #[test]
    fn unsigned_thinking_only_leaves_nothing_behind() {
        let out = items(&[msg(
            Role::Assistant,
            vec![ContentPart::Thinking(Thinking {
                text: "t".into(),
                signature: None,
                redacted: false,
            })],
        )]);
        assert!(out.is_empty());
        assert!(items(&[msg(Role::User, vec![])]).is_empty());
    }

    #[test]
    fn tool_results() {
        let image = Image {
            source: ImageSource::Base64("QUJD".into()),
            media_type: Some("image/png".into()),
            detail: None,
        };
        let out = items(&[
            msg(
                Role::Tool,
                vec![ContentPart::ToolResult(ToolResult {
                    call_id: "call_1".into(),
                    content: vec![
                        ToolResultPart::Text("Sunny".into()),
                        ToolResultPart::Text(", 22 C".into()),
                    ],
                    is_error: true,
                })],
            ),
            msg(
                Role::User,
                vec![
                    ContentPart::ToolResult(ToolResult {
                        call_id: "call_2".into(),
                        content: vec![
                            ToolResultPart::Text("see".into()),
                            ToolResultPart::Image(image),
                        ],
                        is_error: false,
                    }),
                    text("and now?"),
                ],
            ),
        ]);
        assert_eq!(
            Value::Array(out),
            json!([
                {"type": "function_call_output", "call_id": "call_1", "output": "Sunny, 22 C"},
                {"type": "function_call_output", "call_id": "call_2", "output": [
                    {"type": "input_text", "text": "see"},
                    {"type": "input_image", "image_url": "data:image/png;base64,QUJD", "detail": "auto"}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "and now?"}]},
            ])
        );
    }

    #[test]
    fn message_fields_go_on_the_first_message_item_only() {
        let mut m = msg(
            Role::Assistant,
            vec![
                text("a"),
                ContentPart::ToolCall(ToolCall {
                    id: "c".into(),
                    name: "f".into(),
                    arguments: "{}".into(),
                }),
                text("b"),
            ],
        );
        m.name = Some("dropped".into());
        m.extra = Some(
            r#"{"openai-responses": {"phase": "commentary", "role": "user", "$parts": [{"annotations": [{"x": 1}]}]}}"#
                .into(),
        );
        let out = items(&[m]);
        assert_eq!(
            out[0],
            json!({"type": "message", "role": "assistant", "phase": "commentary", "content": [
                {"type": "output_text", "text": "a", "annotations": [{"x": 1}]}]})
        );
        assert_eq!(
            out[2],
            json!({"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "b", "annotations": []}]})
        );
    }
}
