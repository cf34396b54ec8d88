//! Canonical messages to the Messages API's top-level `system` blocks and
//! alternating `messages`.

use serde_json::{Map, Value, json};
use wasmgate_wire::extra;
use wasmgate_wire::splice::{self, WriteJson};

use crate::types::{
    ContentPart, Error, Image, ImageSource, Message, Role, Thinking, ToolCall, ToolResult,
    ToolResultPart,
};
use crate::{WIRE, error};

/// The conversation in wire form, borrowing the canonical texts.
#[derive(Debug, Default)]
pub struct Conversation<'a> {
    /// Text blocks of every system and developer message, in order.
    pub system: Vec<Block<'a>>,
    /// `messages` entries, roles alternating.
    pub messages: Vec<WireMessage<'a>>,
}

/// One `messages` entry.
#[derive(Debug)]
pub struct WireMessage<'a> {
    role: &'static str,
    content: Vec<Block<'a>>,
    /// Message-level wire fields (they never replace `role` or `content`).
    wire: Map<String, Value>,
}

impl WriteJson for WireMessage<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        splice::write_object(
            out,
            &self.wire,
            &[("content", &self.content), ("role", &self.role)],
        )
    }
}

/// A content block. Text, and a tool result that is one text, are written
/// from the canonical text: they are the bulk of a coding agent's turn
/// (prompts, file contents, command output), and a tree would copy each.
/// Any other block is a tree. Each carries the part's wire fields (such as
/// `cache_control`), which never replace the block's own entries.
#[derive(Debug)]
pub enum Block<'a> {
    /// `{"type": "text", "text": …}`.
    Text {
        text: &'a str,
        fields: Map<String, Value>,
    },
    /// `{"type": "tool_result", "tool_use_id": …, "content": "…"}`.
    ToolResultText {
        call_id: &'a str,
        text: &'a str,
        is_error: bool,
        fields: Map<String, Value>,
    },
    /// Any other block.
    Tree(Value),
}

impl Block<'_> {
    fn is_tool_result(&self) -> bool {
        match self {
            Block::Text { .. } => false,
            Block::ToolResultText { .. } => true,
            Block::Tree(block) => block.get("type").and_then(Value::as_str) == Some("tool_result"),
        }
    }

    /// The block with the part's wire fields added.
    fn with_fields(mut self, more: Map<String, Value>) -> Self {
        match &mut self {
            Block::Text { fields, .. } | Block::ToolResultText { fields, .. } => {
                extra::merge_missing(fields, more);
            }
            Block::Tree(Value::Object(obj)) => extra::merge_missing(obj, more),
            Block::Tree(_) => {}
        }
        self
    }
}

impl WriteJson for Block<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Block::Text { text, fields } => {
                splice::write_object(out, fields, &[("text", text), ("type", &"text")])
            }
            Block::ToolResultText {
                call_id,
                text,
                is_error,
                fields,
            } => splice::write_object(
                out,
                fields,
                &[
                    ("content", text),
                    ("is_error", &is_error.then_some(true)),
                    ("tool_use_id", call_id),
                    ("type", &"tool_result"),
                ],
            ),
            Block::Tree(block) => splice::write_value(out, block),
        }
    }
}

/// The wire role a canonical message is sent as, or `None` for prompts that
/// go to `system`.
fn wire_role(role: Role) -> Option<&'static str> {
    match role {
        Role::System | Role::Developer => None,
        Role::User | Role::Tool => Some("user"),
        Role::Assistant => Some("assistant"),
    }
}

/// Map the conversation: system prompts are collected, consecutive messages
/// of the same wire role are merged (the API wants user and assistant to
/// alternate), and in a user message tool results come first (the API
/// wants them before any other content).
pub fn map_messages(messages: &[Message]) -> Result<Conversation<'_>, Error> {
    let mut out = Conversation::default();
    for message in messages {
        let mut wire = extra::wire_object(message.extra.as_deref(), WIRE);
        let parts = extra::parts(&extra::take_reserved(&mut wire));
        let fields = |i: usize| extra::part_fields(&parts, i);

        let Some(role) = wire_role(message.role) else {
            // System prompts are text only; anything else has no home there.
            for (i, part) in message.content.iter().enumerate() {
                if let ContentPart::Text(text) = part
                    && !text.is_empty()
                {
                    out.system.push(text_block(text).with_fields(fields(i)));
                }
            }
            continue;
        };

        let mut blocks = Vec::with_capacity(message.content.len());
        for (i, part) in message.content.iter().enumerate() {
            if let Some(block) = map_part(part, role)? {
                blocks.push(block.with_fields(fields(i)));
            }
        }
        // A message whose every part went nowhere (thinking without a
        // signature, empty text) is not sent: the API refuses empty content.
        if blocks.is_empty() {
            continue;
        }
        push_merged(&mut out.messages, role, blocks, wire);
    }
    for message in &mut out.messages {
        if message.role == "user" {
            // Stable: every `tool_result` block moves in front of the others.
            message.content.sort_by_key(|block| !block.is_tool_result());
        }
    }
    Ok(out)
}

/// Append `blocks` as a `role` message, or to the last message when it has
/// the same role. Message-level wire fields fill in what is missing.
fn push_merged<'a>(
    out: &mut Vec<WireMessage<'a>>,
    role: &'static str,
    blocks: Vec<Block<'a>>,
    wire: Map<String, Value>,
) {
    if let Some(last) = out.last_mut()
        && last.role == role
    {
        last.content.extend(blocks);
        extra::merge_missing(&mut last.wire, wire);
        return;
    }
    out.push(WireMessage {
        role,
        content: blocks,
        wire,
    });
}

/// The wire block for one content part of a `role` message; `None` for
/// parts dropped on purpose.
fn map_part<'a>(part: &'a ContentPart, role: &str) -> Result<Option<Block<'a>>, Error> {
    let assistant = role == "assistant";
    Ok(match part {
        // The API refuses empty text blocks.
        ContentPart::Text(text) if text.is_empty() => None,
        ContentPart::Text(text) => Some(text_block(text)),
        ContentPart::Image(image) if !assistant => Some(Block::Tree(image_block(image))),
        ContentPart::Image(_) => {
            return Err(error::invalid_request(
                "anthropic: images can only be sent in user messages",
            ));
        }
        // Reasoning only means something on the model's own turns.
        ContentPart::Thinking(thinking) if assistant => thinking_block(thinking).map(Block::Tree),
        ContentPart::Thinking(_) => None,
        ContentPart::ToolCall(call) if assistant => Some(Block::Tree(tool_use_block(call)?)),
        ContentPart::ToolCall(call) => {
            return Err(error::invalid_request(format!(
                "anthropic: tool call `{}` must be in an assistant message",
                call.id
            )));
        }
        ContentPart::ToolResult(result) if !assistant => Some(tool_result_block(result)),
        ContentPart::ToolResult(result) => {
            return Err(error::invalid_request(format!(
                "anthropic: tool result for `{}` cannot be in an assistant message",
                result.call_id
            )));
        }
    })
}

/// A `text` block.
fn text_block(text: &str) -> Block<'_> {
    Block::Text {
        text,
        fields: Map::new(),
    }
}

/// A `thinking` block when signed, a `redacted_thinking` block when
/// redacted, else nothing: the API refuses reasoning it did not sign (such
/// as another provider's).
fn thinking_block(thinking: &Thinking) -> Option<Value> {
    if thinking.redacted {
        return Some(json!({"type": "redacted_thinking", "data": thinking.text}));
    }
    let signature = thinking.signature.as_deref().filter(|s| !s.is_empty())?;
    Some(json!({"type": "thinking", "thinking": thinking.text, "signature": signature}))
}

/// A `tool_use` block; the arguments must be a JSON object (empty means `{}`).
fn tool_use_block(call: &ToolCall) -> Result<Value, Error> {
    let input = if call.arguments.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        match serde_json::from_str::<Value>(&call.arguments) {
            Ok(Value::Object(map)) => Value::Object(map),
            Ok(Value::Null) => Value::Object(Map::new()),
            Ok(_) => {
                return Err(error::invalid_request(format!(
                    "anthropic: arguments of tool call `{}` must be a JSON object",
                    call.id
                )));
            }
            Err(e) => {
                return Err(error::invalid_request(format!(
                    "anthropic: arguments of tool call `{}` are not valid JSON: {e}",
                    call.id
                )));
            }
        }
    };
    Ok(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}))
}

/// A `tool_result` block: one text part as a string, anything else as
/// blocks (text and images).
fn tool_result_block(result: &ToolResult) -> Block<'_> {
    if let [ToolResultPart::Text(text)] = result.content.as_slice() {
        return Block::ToolResultText {
            call_id: &result.call_id,
            text,
            is_error: result.is_error,
            fields: Map::new(),
        };
    }
    let mut obj = Map::new();
    obj.insert("type".into(), Value::from("tool_result"));
    obj.insert("tool_use_id".into(), Value::from(result.call_id.as_str()));
    match result.content.as_slice() {
        [] => {}
        parts => {
            let blocks = parts
                .iter()
                .filter_map(|part| match part {
                    ToolResultPart::Text(text) if text.is_empty() => None,
                    ToolResultPart::Text(text) => Some(json!({"type": "text", "text": text})),
                    ToolResultPart::Image(image) => Some(image_block(image)),
                })
                .collect();
            obj.insert("content".into(), Value::Array(blocks));
        }
    }
    if result.is_error {
        obj.insert("is_error".into(), Value::Bool(true));
    }
    Block::Tree(Value::Object(obj))
}

/// An `image` block (a `document` block for PDFs). A `data:` URL is sent
/// as base64, since the API's URL source only takes fetchable URLs.
fn image_block(image: &Image) -> Value {
    let (source, media_type) = match &image.source {
        ImageSource::Base64(data) => {
            let media_type = image
                .media_type
                .clone()
                .unwrap_or_else(|| sniff_media_type(data).to_string());
            (base64_source(&media_type, data), media_type)
        }
        ImageSource::Url(url) => match parse_data_url(url) {
            Some((from_url, data)) => {
                let media_type = image
                    .media_type
                    .clone()
                    .or(from_url)
                    .unwrap_or_else(|| sniff_media_type(data).to_string());
                (base64_source(&media_type, data), media_type)
            }
            None => (
                json!({"type": "url", "url": url}),
                image.media_type.clone().unwrap_or_default(),
            ),
        },
    };
    let kind = if media_type == "application/pdf" {
        "document"
    } else {
        "image"
    };
    json!({"type": kind, "source": source})
}

/// A base64 `source`.
fn base64_source(media_type: &str, data: &str) -> Value {
    json!({"type": "base64", "media_type": media_type, "data": data})
}

/// The media type (if given) and base64 data of a `data:…;base64,…` URL.
fn parse_data_url(url: &str) -> Option<(Option<String>, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let media_type = meta.strip_suffix(";base64")?;
    let media_type = (!media_type.is_empty()).then(|| media_type.to_string());
    Some((media_type, data))
}

/// The image type of base64 data from its first bytes (PNG when unknown).
fn sniff_media_type(data: &str) -> &'static str {
    if data.starts_with("/9j/") {
        "image/jpeg"
    } else if data.starts_with("R0lGOD") {
        "image/gif"
    } else if data.starts_with("UklGR") {
        "image/webp"
    } else if data.starts_with("JVBERi0") {
        "application/pdf"
    } else {
        "image/png"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorKind;

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

    /// A conversation as written, read back.
    struct Written {
        system: Vec<Value>,
        messages: Vec<Value>,
    }

    /// What `items` are written as, read back.
    fn values<T: WriteJson>(items: &Vec<T>) -> Vec<Value> {
        let text = splice::to_vec(items).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn map_ok(messages: &[Message]) -> Written {
        let c = map_messages(messages).unwrap_or_else(|e| panic!("unexpected error: {e:?}"));
        Written {
            system: values(&c.system),
            messages: values(&c.messages),
        }
    }

    fn map_err(messages: &[Message]) -> Error {
        match map_messages(messages) {
            Err(e) => e,
            Ok(c) => panic!("expected an error, got {c:?}"),
        }
    }

    fn call(id: &str, arguments: &str) -> ContentPart {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: "get_weather".into(),
            arguments: arguments.into(),
        })
    }

    fn result(id: &str, content: Vec<ToolResultPart>, is_error: bool) -> ContentPart {
        ContentPart::ToolResult(ToolResult {
            call_id: id.into(),
            content,
            is_error,
        })
    }

    #[test]
    fn system_and_developer_go_to_system_with_part_fields() {
        let mut system = msg(
            Role::System,
            vec![text("be nice"), text(""), text("cached")],
        );
        system.extra = Some(
            r#"{"anthropic": {"$parts": [null, null, {"cache_control": {"type": "ephemeral"}}]}, "gemini": {"$parts": [{"x": 1}]}}"#
                .into(),
        );
        let c = map_ok(&[
            system,
            msg(Role::User, vec![text("hi")]),
            msg(Role::Developer, vec![text("dev")]),
        ]);
        assert_eq!(
            Value::Array(c.system),
            json!([
                {"type": "text", "text": "be nice"},
                {"type": "text", "text": "cached", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "dev"},
            ])
        );
        assert_eq!(
            Value::Array(c.messages),
            json!([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
        );
    }

    #[test]
    fn same_roles_merge_and_tool_results_come_first() {
        let c = map_ok(&[
            msg(Role::User, vec![text("weather?")]),
            msg(Role::Assistant, vec![text("checking")]),
            msg(
                Role::Assistant,
                vec![call("t1", r#"{"city":"Paris"}"#), call("t2", "")],
            ),
            msg(
                Role::Tool,
                vec![result(
                    "t1",
                    vec![ToolResultPart::Text("sunny".into())],
                    false,
                )],
            ),
            msg(Role::User, vec![text("and?")]),
            msg(
                Role::Tool,
                vec![result(
                    "t2",
                    vec![ToolResultPart::Text("boom".into())],
                    true,
                )],
            ),
        ]);
        assert!(c.system.is_empty());
        assert_eq!(
            Value::Array(c.messages),
            json!([
                {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "checking"},
                    {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "t2", "name": "get_weather", "input": {}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "sunny"},
                    {"type": "tool_result", "tool_use_id": "t2", "content": "boom", "is_error": true},
                    {"type": "text", "text": "and?"},
                ]},
            ])
        );
    }

    #[test]
    fn thinking_is_replayed_only_when_signed() {
        let thinking = |text: &str, signature: Option<&str>, redacted: bool| {
            ContentPart::Thinking(Thinking {
                text: text.into(),
                signature: signature.map(Into::into),
                redacted,
            })
        };
        let c = map_ok(&[
            msg(
                Role::User,
                vec![text("q"), thinking("user side", Some("s"), false)],
            ),
            msg(
                Role::Assistant,
                vec![
                    thinking("hmm", Some("sig-1"), false),
                    thinking("opaque", None, true),
                    thinking("from another provider", None, false),
                    thinking("empty signature", Some(""), false),
                    text("answer"),
                ],
            ),
            // Only unsigned reasoning: the message disappears entirely.
            msg(Role::Assistant, vec![thinking("x", None, false)]),
        ]);
        assert_eq!(
            Value::Array(c.messages),
            json!([
                {"role": "user", "content": [{"type": "text", "text": "q"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig-1"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "text", "text": "answer"},
                ]},
            ])
        );
    }

    #[test]
    fn dropped_message_lets_neighbours_merge() {
        let c = map_ok(&[
            msg(Role::User, vec![text("a")]),
            msg(
                Role::Assistant,
                vec![ContentPart::Thinking(Thinking {
                    text: "unsigned".into(),
                    signature: None,
                    redacted: false,
                })],
            ),
            msg(Role::User, vec![text("b")]),
        ]);
        assert_eq!(
            Value::Array(c.messages),
            json!([{"role": "user", "content": [
                {"type": "text", "text": "a"}, {"type": "text", "text": "b"}
            ]}])
        );
    }

    #[test]
    fn images_every_way() {
        let image = |source: ImageSource, media_type: Option<&str>| {
            ContentPart::Image(Image {
                source,
                media_type: media_type.map(Into::into),
                detail: Some("high".into()),
            })
        };
        let c = map_ok(&[msg(
            Role::User,
            vec![
                image(ImageSource::Base64("AAAA".into()), Some("image/webp")),
                image(ImageSource::Base64("/9j/4AAQ".into()), None),
                image(ImageSource::Url("https://x/y.png".into()), None),
                image(
                    ImageSource::Url("data:image/gif;base64,R0lGODdh".into()),
                    None,
                ),
                image(ImageSource::Base64("JVBERi0xLjQ=".into()), None),
                image(ImageSource::Url("data:,plain".into()), None),
            ],
        )]);
        assert_eq!(
            c.messages[0]["content"],
            json!([
                {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "AAAA"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "R0lGODdh"}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="}},
                {"type": "image", "source": {"type": "url", "url": "data:,plain"}},
            ])
        );
    }

    #[test]
    fn tool_result_content_shapes_and_part_fields() {
        let png = ToolResultPart::Image(Image {
            source: ImageSource::Base64("iVBORw0KGgo".into()),
            media_type: None,
            detail: None,
        });
        let mut m = msg(
            Role::User,
            vec![
                result("a", vec![], false),
                result(
                    "b",
                    vec![
                        ToolResultPart::Text("see".into()),
                        ToolResultPart::Text("".into()),
                        png,
                    ],
                    false,
                ),
            ],
        );
        m.extra = Some(
            r#"{"anthropic": {"$parts": [{"cache_control": {"type": "ephemeral"}}], "custom": 1}}"#
                .into(),
        );
        let c = map_ok(&[m]);
        assert_eq!(
            c.messages[0],
            json!({"role": "user", "custom": 1, "content": [
                {"type": "tool_result", "tool_use_id": "a", "cache_control": {"type": "ephemeral"}},
                {"type": "tool_result", "tool_use_id": "b", "content": [
                    {"type": "text", "text": "see"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo"}},
                ]},
            ]})
        );
    }

    #[test]
    fn misplaced_or_malformed_parts_are_invalid_requests() {
        let cases = [
            msg(Role::Assistant, vec![call("t1", "{not json")]),
            msg(Role::Assistant, vec![call("t1", "[1, 2]")]),
            msg(Role::User, vec![call("t1", "{}")]),
            msg(Role::Assistant, vec![result("t1", vec![], false)]),
            msg(
                Role::Assistant,
                vec![ContentPart::Image(Image {
                    source: ImageSource::Url("https://x".into()),
                    media_type: None,
                    detail: None,
                })],
            ),
        ];
        for case in cases {
            let e = map_err(std::slice::from_ref(&case));
            assert_eq!(
                (e.kind, e.status),
                (ErrorKind::InvalidRequest, 400),
                "{case:?}"
            );
        }
        assert!(
            map_err(&[msg(Role::Assistant, vec![call("t9", "{x")])])
                .message
                .contains("t9")
        );
    }

    #[test]
    fn null_arguments_and_empty_messages() {
        let c = map_ok(&[
            msg(Role::User, vec![]),
            msg(Role::User, vec![text("")]),
            msg(Role::Assistant, vec![call("t1", "null")]),
        ]);
        assert_eq!(
            Value::Array(c.messages),
            json!([{"role": "assistant", "content": [
                {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {}}
            ]}])
        );
    }
}
