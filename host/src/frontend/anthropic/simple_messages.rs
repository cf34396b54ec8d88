//! The common shape of a Messages `messages` array, read straight into
//! canonical messages: what Claude Code sends on every turn (text,
//! `tool_use`, `tool_result` with text, thinking blocks, `cache_control`
//! marks), without a JSON tree of the conversation (a tree costs an
//! allocation per key and a map per block). An array with anything else
//! (images, citations, unknown fields, a type or role the general decoder
//! refuses) is left to the general decoder, so the result never depends on
//! which path ran.

use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, de};
use serde_json::{Map, Value};

use super::request::Parts;
use crate::canonical::{
    ContentPart, Message, Role, Thinking, ToolCall, ToolResult, ToolResultPart,
};
use crate::frontend::message_array;

/// `messages` as canonical messages, or `None` when the array is not of
/// the common shape (or empty).
pub fn decode(raw: &str) -> Option<Vec<Message>> {
    message_array::typed(raw, WireMessage::into_message)
}

/// One message: a string or an array of blocks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMessage {
    role: WireRole,
    content: Content<WireBlock>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WireRole {
    User,
    Assistant,
    System,
}

/// A string, or an array of `B`; `null` reads as no blocks.
enum Content<B> {
    Text(String),
    Blocks(Vec<B>),
}

impl<'de, B: Deserialize<'de>> Deserialize<'de> for Content<B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor<B>(std::marker::PhantomData<B>);

        impl<'de, B: Deserialize<'de>> Visitor<'de> for ContentVisitor<B> {
            type Value = Content<B>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of blocks")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(text.to_owned()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Content::Text(text))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Content::Blocks(Vec::new()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut blocks = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(block) = seq.next_element()? {
                    blocks.push(block);
                }
                Ok(Content::Blocks(blocks))
            }
        }

        deserializer.deserialize_any(ContentVisitor(std::marker::PhantomData))
    }
}

/// One content block: the fields of every kind this path reads, each
/// `Some` when present; [`WireBlock::into_part`] takes a block only when it
/// has exactly its kind's fields. A `null` where a string or a flag goes
/// fails the parse, and the general decoder (which reads some of them as
/// absent and keeps others as leftovers) takes the array.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireBlock {
    #[serde(rename = "type")]
    kind: BlockKind,
    #[serde(default, deserialize_with = "present")]
    text: Option<String>,
    #[serde(default, deserialize_with = "present")]
    id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    input: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    tool_use_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    content: Option<Content<ResultBlock>>,
    #[serde(default, deserialize_with = "present")]
    is_error: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    thinking: Option<String>,
    #[serde(default, deserialize_with = "present")]
    signature: Option<String>,
    #[serde(default, deserialize_with = "present")]
    data: Option<String>,
    /// The one per-block field with no canonical home this path carries
    /// (as the general decoder does, in the message's `$parts`).
    #[serde(default, deserialize_with = "present")]
    cache_control: Option<Value>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum BlockKind {
    Text,
    ToolUse,
    ToolResult,
    Thinking,
    RedactedThinking,
}

/// A text block inside a `tool_result`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultBlock {
    #[serde(rename = "type")]
    _kind: ResultKind,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ResultKind {
    Text,
}

/// A field that is present, whatever its value (`null` included).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl WireMessage {
    /// The canonical message, as the general decoder makes it; `None` where
    /// that decoder would refuse the message (it then says why) or where a
    /// block is not of the common shape.
    fn into_message(self) -> Option<Message> {
        let role = match self.role {
            WireRole::User => Role::User,
            WireRole::Assistant => Role::Assistant,
            WireRole::System => Role::System,
        };
        let mut parts = Parts::default();
        match self.content {
            Content::Text(text) => parts.push(ContentPart::Text(text), Map::new()),
            Content::Blocks(blocks) if !blocks.is_empty() => {
                for mut block in blocks {
                    let mut leftover = Map::new();
                    if let Some(mark) = block.cache_control.take() {
                        leftover.insert("cache_control".into(), mark);
                    }
                    parts.push(block.into_part()?, leftover);
                }
            }
            // `[]` or `null` (read alike here): the general decoder tells
            // them apart.
            Content::Blocks(_) => return None,
        }
        Some(parts.into_message(role, Map::new()))
    }
}

impl WireBlock {
    /// The canonical part, when the block has its kind's fields and no
    /// other.
    fn into_part(self) -> Option<ContentPart> {
        let Self {
            kind,
            text,
            id,
            name,
            input,
            tool_use_id,
            content,
            is_error,
            thinking,
            signature,
            data,
            cache_control: _,
        } = self;
        // Which fields each kind may carry: text, tool_use, tool_result,
        // thinking, redacted_thinking.
        let fields = [
            (text.is_some(), BlockKind::Text),
            (
                id.is_some() || name.is_some() || input.is_some(),
                BlockKind::ToolUse,
            ),
            (
                tool_use_id.is_some() || content.is_some() || is_error.is_some(),
                BlockKind::ToolResult,
            ),
            (
                thinking.is_some() || signature.is_some(),
                BlockKind::Thinking,
            ),
            (data.is_some(), BlockKind::RedactedThinking),
        ];
        if fields.iter().any(|(set, owner)| *set && *owner != kind) {
            return None;
        }
        Some(match kind {
            BlockKind::Text => ContentPart::Text(text?),
            BlockKind::ToolUse => ContentPart::ToolCall(ToolCall {
                id: id?,
                name: name?,
                arguments: input.map_or_else(|| "{}".to_owned(), |input| input.to_string()),
            }),
            BlockKind::ToolResult => ContentPart::ToolResult(ToolResult {
                call_id: tool_use_id?,
                content: match content {
                    None => Vec::new(),
                    Some(Content::Text(text)) => vec![ToolResultPart::Text(text)],
                    Some(Content::Blocks(blocks)) => blocks
                        .into_iter()
                        .map(|b| ToolResultPart::Text(b.text))
                        .collect(),
                },
                is_error: is_error == Some(true),
            }),
            BlockKind::Thinking => ContentPart::Thinking(Thinking {
                text: thinking?,
                signature,
                redacted: false,
            }),
            BlockKind::RedactedThinking => ContentPart::Thinking(Thinking {
                text: data?,
                signature: None,
                redacted: true,
            }),
        })
    }
}
