//! Canonical messages to Chat Completions `messages` entries, written
//! straight into the request body: a coding agent's turn carries tens of
//! kilobytes of text, and building a JSON tree of it first cost a copy of
//! every string and an allocation per field.

use serde_json::{Map, Value, json};

use wasmgate_wire::json_string::{escape_into, write_str};
use wasmgate_wire::splice::{Object, WriteJson};
use wasmgate_wire::{extra, media};

use crate::WIRE;
use crate::types::{ContentPart, Image, ImageSource, Message, Role, ToolResult, ToolResultPart};

/// The conversation as the `messages` array. One canonical message can
/// become several wire messages: each tool result is its own
/// `role: "tool"` message, placed before the rest of its message.
#[derive(Debug)]
pub struct Messages<'a>(pub &'a [Message]);

impl WriteJson for Messages<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.push(b'[');
        let mut first = true;
        for message in self.0 {
            write_message(message, out, &mut first)?;
        }
        out.push(b']');
        Ok(())
    }
}

/// Start the next element of the array.
fn next(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

/// Append the wire messages for one canonical message to `out`.
fn write_message(message: &Message, out: &mut Vec<u8>, first: &mut bool) -> serde_json::Result<()> {
    let (mut has_text, mut has_image, mut has_calls) = (false, false, false);
    for part in &message.content {
        match part {
            ContentPart::Text(_) => has_text = true,
            ContentPart::Image(_) => has_image = true,
            ContentPart::ToolCall(_) => has_calls = true,
            ContentPart::ToolResult(result) => {
                next(out, first);
                write_tool_result(result, out);
            }
            // Chat Completions has no place for reasoning on the way in.
            ContentPart::Thinking(_) => {}
        }
    }
    // A message whose every part went elsewhere (tool results) or nowhere
    // (thinking) is not sent on its own.
    if !has_text && !has_image && !has_calls && !message.content.is_empty() {
        return Ok(());
    }

    next(out, first);
    let mut obj = Object::start(out);
    write_str(obj.key("role")?, role_name(message.role));
    let content = obj.key("content")?;
    if has_image {
        write_parts(&message.content, content)?;
    } else if !has_text && has_calls {
        // Only tool calls: OpenAI wants `content: null` here.
        content.extend_from_slice(b"null");
    } else {
        // The texts joined, written as one string.
        content.push(b'"');
        for part in &message.content {
            if let ContentPart::Text(text) = part {
                escape_into(content, text);
            }
        }
        content.push(b'"');
    }
    if has_calls {
        write_tool_calls(&message.content, obj.key("tool_calls")?);
    }
    if let Some(name) = &message.name {
        write_str(obj.key("name")?, name);
    }
    // The message's own wire fields fill in what the canonical ones left.
    let written = |key: &str| match key {
        "role" | "content" => true,
        "tool_calls" => has_calls,
        "name" => message.name.is_some(),
        _ => false,
    };
    for (key, value) in extra::wire_object(message.extra.as_deref(), WIRE) {
        if !written(&key) {
            serde_json::to_writer(obj.key(&key)?, &value)?;
        }
    }
    obj.end();
    Ok(())
}

/// The content as an array of parts: text and `image_url` parts in order.
fn write_parts(parts: &[ContentPart], out: &mut Vec<u8>) -> serde_json::Result<()> {
    out.push(b'[');
    let mut first = true;
    for part in parts {
        match part {
            ContentPart::Text(text) => {
                next(out, &mut first);
                out.extend_from_slice(br#"{"type":"text","text":"#);
                write_str(out, text);
                out.push(b'}');
            }
            ContentPart::Image(image) => {
                next(out, &mut first);
                image_part(image).write_json(out)?;
            }
            _ => {}
        }
    }
    out.push(b']');
    Ok(())
}

/// The `tool_calls` array of the message's calls.
fn write_tool_calls(parts: &[ContentPart], out: &mut Vec<u8>) {
    out.push(b'[');
    let mut first = true;
    for part in parts {
        if let ContentPart::ToolCall(call) = part {
            next(out, &mut first);
            out.extend_from_slice(br#"{"id":"#);
            write_str(out, &call.id);
            out.extend_from_slice(br#","type":"function","function":{"name":"#);
            write_str(out, &call.name);
            out.extend_from_slice(br#","arguments":"#);
            write_str(out, &call.arguments);
            out.extend_from_slice(b"}}");
        }
    }
    out.push(b']');
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
fn write_tool_result(result: &ToolResult, out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"role":"tool","tool_call_id":"#);
    write_str(out, &result.call_id);
    out.extend_from_slice(br#","content":""#);
    for part in &result.content {
        if let ToolResultPart::Text(text) = part {
            escape_into(out, text);
        }
    }
    out.extend_from_slice(b"\"}");
}

/// An `image_url` content part, or a `file` part for a file (a PDF): its
/// data as a `data:` URL (or the URL as given, which some compatible
/// servers fetch) and a file name.
fn image_part(image: &Image) -> Value {
    let url = match &image.source {
        ImageSource::Url(url) => url.clone(),
        ImageSource::Base64(data) => format!(
            "data:{};base64,{data}",
            image.media_type.as_deref().unwrap_or("image/png")
        ),
    };
    let media_type = media::media_type(image.media_type.as_deref(), Some(&url));
    if let Some(file_type) = media_type.filter(|m| media::is_file(Some(m))) {
        let file_name = media::file_name(file_type);
        return json!({"type": "file", "file": {"file_data": url, "filename": file_name}});
    }
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

    /// The written array, read back.
    fn map_messages(messages: &[Message]) -> Vec<Value> {
        let text =
            wasmgate_wire::splice::to_vec(&Messages(messages)).unwrap_or_else(|e| panic!("{e}"));
        match serde_json::from_slice(&text) {
            Ok(Value::Array(items)) => items,
            other => panic!("{other:?} from {}", String::from_utf8_lossy(&text)),
        }
    }

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
    fn files_are_file_parts() {
        let file = |source, media_type: Option<&str>| {
            ContentPart::Image(Image {
                source,
                media_type: media_type.map(str::to_string),
                detail: None,
            })
        };
        let out = map_messages(&[msg(
            Role::User,
            vec![
                file(
                    ImageSource::Base64("JVBERi0=".into()),
                    Some("application/pdf"),
                ),
                file(ImageSource::Url("data:text/plain;base64,aGk=".into()), None),
                file(ImageSource::Base64("AAAA".into()), Some("image/png")),
            ],
        )]);
        assert_eq!(
            out[0],
            json!({"role": "user", "content": [
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "document.pdf"}},
                {"type": "file", "file": {"file_data": "data:text/plain;base64,aGk=", "filename": "document.txt"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
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
