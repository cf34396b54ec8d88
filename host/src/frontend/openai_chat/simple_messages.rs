//! The common shape of a Chat Completions `messages` array, read straight
//! into canonical messages: no JSON tree of a coding agent's tens of
//! kilobytes of conversation (a tree costs an allocation per key and a map
//! per message). An array with anything else (content parts, unknown
//! fields, a role or type the general decoder refuses) is left to the
//! general decoder, so the result never depends on which path ran.

use serde::Deserialize;

use crate::canonical::{
    ContentPart, Message, Role, Thinking, ToolCall, ToolResult, ToolResultPart,
};
use crate::frontend::message_array;

/// `messages` as canonical messages, or `None` when the array is not of
/// the common shape (or empty).
pub fn decode(raw: &str) -> Option<Vec<Message>> {
    message_array::typed(raw, WireMessage::into_message)
}

/// One message with a string (or no) content.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMessage {
    role: WireRole,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_call_id: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireCall>>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WireRole {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// One `tool_calls` entry with string (or no) arguments.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    _kind: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Option<String>,
}

impl WireMessage {
    /// The canonical message, as the general decoder makes it; `None` where
    /// that decoder would refuse the message (it then says why).
    fn into_message(self) -> Option<Message> {
        let role = match self.role {
            WireRole::System => Role::System,
            WireRole::Developer => Role::Developer,
            WireRole::User => Role::User,
            WireRole::Assistant => Role::Assistant,
            WireRole::Tool => Role::Tool,
        };
        let mut content = Vec::new();
        if let Some(reasoning) = self.reasoning_content
            && role == Role::Assistant
            && !reasoning.is_empty()
        {
            content.push(ContentPart::Thinking(Thinking {
                text: reasoning,
                signature: None,
                redacted: false,
            }));
        }
        if role == Role::Tool {
            content.push(ContentPart::ToolResult(ToolResult {
                call_id: self.tool_call_id?,
                content: self.content.map(ToolResultPart::Text).into_iter().collect(),
                is_error: false,
            }));
        } else if let Some(text) = self.content {
            content.push(ContentPart::Text(text));
        }
        for call in self.tool_calls.unwrap_or_default() {
            content.push(ContentPart::ToolCall(ToolCall {
                id: call.id.unwrap_or_default(),
                name: call.function.name,
                arguments: call.function.arguments.unwrap_or_else(|| "{}".into()),
            }));
        }
        Some(Message {
            role,
            content,
            name: self.name,
            extra: None,
        })
    }
}
