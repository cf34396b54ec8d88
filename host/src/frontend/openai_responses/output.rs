//! The Response object and its output items, shared by whole and streamed
//! answers.

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use super::request::Echo;
use super::usage_json;
use crate::canonical::Usage;
use crate::frontend::{Format, extra};

/// The parts of a Response object that stay the same for one answer:
/// what it echoes from the request, what the upstream added, its id,
/// creation time and model.
#[derive(Debug, Clone)]
pub struct Shell {
    base: Map<String, Value>,
    /// The echoed `tools` as the client sent them, unless the upstream's
    /// fields replace them (then they are in `base`).
    tools: Option<Arc<String>>,
}

/// The fields [`Shell::render`] sets itself, over any in the shell.
const RENDERED: &[&str] = &["status", "error", "incomplete_details", "output", "usage"];

impl Shell {
    /// `upstream_extra` is the canonical response's (or stream start's)
    /// `extra`; its `openai-responses` fields override the echo.
    pub fn new(
        echo: &Echo,
        upstream_extra: Option<&str>,
        id: &str,
        created_at: u64,
        model: &str,
    ) -> Self {
        let mut base = echo.fields.clone();
        let upstream = extra::unwrap(Format::OpenAiResponses, upstream_extra);
        let tools = match upstream.contains_key("tools") {
            true => None,
            false => echo.tools.clone(),
        };
        base.extend(upstream);
        base.insert("id".into(), id.into());
        base.insert("object".into(), "response".into());
        base.insert("created_at".into(), created_at.into());
        base.insert("model".into(), model.into());
        base.insert("previous_response_id".into(), Value::Null);
        Shell { base, tools }
    }

    /// The response id.
    pub fn id(&self) -> &str {
        self.base
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The whole Response object, written from the shell and `output` as
    /// they stand (the echo can be tens of kilobytes of tools: it is not
    /// copied for each event that carries it).
    pub fn render<'a>(
        &'a self,
        status: &'a str,
        incomplete_details: Value,
        error: Value,
        output: &'a [Value],
        usage: Option<&Usage>,
    ) -> Rendered<'a> {
        Rendered {
            shell: self,
            status,
            incomplete_details,
            error,
            output,
            usage: usage.map_or(Value::Null, usage_json),
        }
    }
}

/// A Response object, ready to write.
pub struct Rendered<'a> {
    shell: &'a Shell,
    status: &'a str,
    incomplete_details: Value,
    error: Value,
    output: &'a [Value],
    usage: Value,
}

impl Rendered<'_> {
    /// Append the object's JSON text to `out`: the echoed `tools` go in as
    /// the client's text.
    pub fn write(&self, out: &mut Vec<u8>) {
        // Serialising `Value`s into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &Fields(self));
        if let Some(tools) = &self.shell.tools
            && out.last() == Some(&b'}')
        {
            // The object is never empty (it has an id): a comma goes first.
            out.pop();
            out.extend_from_slice(b",\"tools\":");
            out.extend_from_slice(tools.as_bytes());
            out.push(b'}');
        }
    }
}

/// Every field of a [`Rendered`] object but the echoed `tools` text, which
/// [`Rendered::write`] adds: private, so that no caller can serialize a
/// Response without its tools.
struct Fields<'r, 'a>(&'r Rendered<'a>);

impl Serialize for Fields<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Fields(rendered) = self;
        let shell = rendered.shell;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in &shell.base {
            let replaced =
                RENDERED.contains(&key.as_str()) || (key == "tools" && shell.tools.is_some());
            if !replaced {
                map.serialize_entry(key, value)?;
            }
        }
        map.serialize_entry("status", rendered.status)?;
        map.serialize_entry("error", &rendered.error)?;
        map.serialize_entry("incomplete_details", &rendered.incomplete_details)?;
        map.serialize_entry("output", rendered.output)?;
        map.serialize_entry("usage", &rendered.usage)?;
        map.end()
    }
}

/// An `output_text` content part.
pub fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

/// An assistant `message` item holding one text part (none while it is
/// still empty and in progress).
pub fn message_item(id: &str, text: Option<&str>, status: &str) -> Value {
    let content: Vec<Value> = text.map(output_text).into_iter().collect();
    json!({
        "type": "message",
        "id": id,
        "status": status,
        "role": "assistant",
        "content": content,
    })
}

/// A `reasoning` item: the text as one summary part (none when empty), the
/// signature as `encrypted_content`.
pub fn reasoning_item(id: &str, text: &str, signature: Option<&str>) -> Value {
    let summary: Vec<Value> = if text.is_empty() {
        Vec::new()
    } else {
        vec![json!({"type": "summary_text", "text": text})]
    };
    let mut item = json!({"type": "reasoning", "id": id, "summary": summary});
    if let (Some(signature), Value::Object(fields)) = (signature, &mut item) {
        fields.insert("encrypted_content".into(), signature.into());
    }
    item
}

/// A `function_call` item.
pub fn function_call_item(
    id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
    status: &str,
) -> Value {
    json!({
        "type": "function_call",
        "id": id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    })
}
