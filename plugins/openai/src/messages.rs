//! Canonical messages to Chat Completions `messages` entries.

use serde_json::{Map, Value, json};

use wasmgate_wire::extra;

use crate::WIRE;
use crate::types::{ContentPart, Image, ImageSource, Message, Role, ToolResult, ToolResultPart};

/// Map the conversation. One canonical message can become several wire
/// messages: each tool result is its own `role: "tool"` message.
pub fn map_messages(messages: &[Message]) -> Vec<Value> {
    let mut out = Vec::with_capacity(messages.len());
    for message in messages {
        map_message(message, &mut out);
    }
    out
}

/// Append the wire messages for one canonical message to `out`.
fn map_message(message: &Message, out: &mut Vec<Value>) {
    let mut texts: Vec<&str> = Vec::new();
    let mut parts: Vec<Value> = Vec::new();
    let mut has_image = false;
    let mut tool_calls: Vec<Value> = Vec::new();

    for part in &message.content {
        match part {
            ContentPart::Text(text) => {
                texts.push(text);
                parts.push(json!({"type": "text", "text": text}));
            }
            ContentPart::Image(image) => {
                has_image = true;
                parts.push(image_part(image));
            }
            // Chat Completions has no place for reasoning on the way in.
            ContentPart::Thinking(_) => {}
            ContentPart::ToolCall(call) => tool_calls.push(json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            })),
            ContentPart::ToolResult(result) => out.push(tool_result_message(result)),
        }
    }

    // A message whose every part went elsewhere (tool results) or nowhere
    // (thinking) is not sent on its own.
    if parts.is_empty() && tool_calls.is_empty() && !message.content.is_empty() {
        return;
    }

    let mut obj = Map::new();
    obj.insert("role".into(), Value::from(role_name(message.role)));
    let content = if has_image {
        Value::Array(parts)
    } else if texts.is_empty() && !tool_calls.is_empty() {
        // Only tool calls: OpenAI wants `content: null` here.
        Value::Null
    } else {
        Value::from(texts.concat())
    };
    obj.insert("content".into(), content);
    if !tool_calls.is_empty() {
        obj.insert("tool_calls".into(), Value::Array(tool_calls));
    }
    if let Some(name) = &message.name {
        obj.insert("name".into(), Value::from(name.as_str()));
    }
    extra::merge_missing(&mut obj, extra::wire_object(message.extra.as_deref(), WIRE));
    out.push(Value::Object(obj));
}

/// The wire role name.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

/// A `role: "tool"` message; images are dropped because Chat Completions
/// tool messages carry text only.
fn tool_result_message(result: &ToolResult) -> Value {
    let text: String = result
        .content
        .iter()
        .filter_map(|part| match part {
            ToolResultPart::Text(text) => Some(text.as_str()),
            ToolResultPart::Image(_) => None,
        })
        .collect();
    json!({"role": "tool", "tool_call_id": result.call_id, "content": text})
}

/// An `image_url` content part.
fn image_part(image: &Image) -> Value {
    let url = match &image.source {
        ImageSource::Url(url) => url.clone(),
        ImageSource::Base64(data) => format!(
            "data:{};base64,{data}",
            image.media_type.as_deref().unwrap_or("image/png")
        ),
    };
    let mut image_url = Map::new();
    image_url.insert("url".into(), Value::from(url));
    if let Some(detail) = &image.detail {
        image_url.insert("detail".into(), Value::from(detail.as_str()));
    }
    json!({"type": "image_url", "image_url": image_url})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Thinking, ToolCall};

    fn msg(role: Role, content: Vec<ContentPart>) -> Message {
        Message {
            role,
            content,
            name: None,
            extra: None,
        }
    }

    #[test]
    fn roles_and_joined_text() {
        let out = map_messages(&[
            msg(
                Role::System,
                vec![
                    ContentPart::Text("be ".into()),
                    ContentPart::Text("nice".into()),
                ],
            ),
            msg(Role::Developer, vec![ContentPart::Text("dev".into())]),
            msg(Role::User, vec![ContentPart::Text("hi".into())]),
        ]);
        assert_eq!(
            Value::Array(out),
            json!([
                {"role": "system", "content": "be nice"},
                {"role": "developer", "content": "dev"},
                {"role": "user", "content": "hi"},
            ])
        );
    }

    #[test]
    fn images_keep_an_array() {
        let out = map_messages(&[msg(
            Role::User,
            vec![
                ContentPart::Text("what is this?".into()),
                ContentPart::Image(Image {
                    source: ImageSource::Base64("AAAA".into()),
                    media_type: None,
                    detail: Some("low".into()),
                }),
                ContentPart::Image(Image {
                    source: ImageSource::Url("https://x/y.jpg".into()),
                    media_type: Some("image/jpeg".into()),
                    detail: None,
                }),
            ],
        )]);
        assert_eq!(
            out[0],
            json!({"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": "https://x/y.jpg"}},
            ]})
        );
    }

    #[test]
    fn assistant_tool_calls_and_dropped_thinking() {
        let out = map_messages(&[msg(
            Role::Assistant,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "hmm".into(),
                    signature: Some("sig".into()),
                    redacted: false,
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into(),
                }),
            ],
        )]);
        assert_eq!(
            Value::Array(out),
            json!([{"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]}])
        );
    }

    #[test]
    fn tool_results_become_tool_messages_first() {
        let result = |id: &str, text: &str| {
            ContentPart::ToolResult(ToolResult {
                call_id: id.into(),
                content: vec![
                    ToolResultPart::Text(text.into()),
                    ToolResultPart::Image(Image {
                        source: ImageSource::Url("https://x".into()),
                        media_type: None,
                        detail: None,
                    }),
                    ToolResultPart::Text("!".into()),
                ],
                is_error: false,
            })
        };
        let out = map_messages(&[
            msg(Role::Tool, vec![result("call_1", "sunny")]),
            msg(
                Role::User,
                vec![
                    result("call_2", "rainy"),
                    ContentPart::Text("and now?".into()),
                ],
            ),
        ]);
        assert_eq!(
            Value::Array(out),
            json!([
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny!"},
                {"role": "tool", "tool_call_id": "call_2", "content": "rainy!"},
                {"role": "user", "content": "and now?"},
            ])
        );
    }

    #[test]
    fn name_and_extra_are_kept() {
        let mut m = msg(Role::User, vec![ContentPart::Text("hi".into())]);
        m.name = Some("ann".into());
        m.extra = Some(r#"{"openai-chat":{"role":"ignored","custom":1}}"#.into());
        assert_eq!(
            map_messages(&[m])[0],
            json!({"role": "user", "content": "hi", "name": "ann", "custom": 1})
        );
    }

    #[test]
    fn empty_message_is_still_sent() {
        assert_eq!(
            map_messages(&[msg(Role::User, vec![])])[0],
            json!({"role": "user", "content": ""})
        );
    }
}
