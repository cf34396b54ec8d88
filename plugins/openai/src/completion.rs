//! The common shape of a whole `chat.completion`, parsed straight into
//! borrowed fields: no JSON tree for the parts every answer has. Answers
//! with anything else (content as an array of parts, the legacy
//! `function_call`, no choices, unexpected types) are left to the general
//! `serde_json::Value` path, so the result does not depend on which path ran.

use std::borrow::Cow;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use wasmgate_wire::object::{self, List};

use crate::fields::WireUsage;

/// A completion with at least one choice: the top-level keys with a
/// canonical home, typed, and every other key in `rest`. Read with a map
/// visitor of its own rather than `#[serde(flatten)]`, which buffers the
/// whole object and adds about a tenth to the plugin's size.
#[derive(Debug, Default)]
pub struct SimpleCompletion<'a> {
    /// `id`.
    pub id: Option<Cow<'a, str>>,
    /// `created`.
    pub created: Option<u64>,
    /// `model`.
    pub model: Option<Cow<'a, str>>,
    /// `choices`; only the first is read.
    pub choices: Vec<Choice<'a>>,
    /// `usage`.
    pub usage: Option<WireUsage>,
    /// Every other top-level key, for `extra`.
    pub rest: Map<String, Value>,
}

impl<'de> Deserialize<'de> for SimpleCompletion<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(CompletionVisitor)
    }
}

struct CompletionVisitor;

impl<'de> Visitor<'de> for CompletionVisitor {
    type Value = SimpleCompletion<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a chat.completion object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = SimpleCompletion::default();
        // A repeated key keeps its last value, as the JSON tree does.
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "id" => out.id = map.next_value::<Borrowed<'de>>()?.0,
                "model" => out.model = map.next_value::<Borrowed<'de>>()?.0,
                "created" => out.created = map.next_value()?,
                "choices" => out.choices = map.next_value::<List<Choice<'de>>>()?.0,
                "usage" => out.usage = map.next_value()?,
                "object" => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    let value = map.next_value()?;
                    out.rest.insert(key.into_owned(), value);
                }
            }
        }
        Ok(out)
    }
}

/// An object key, borrowed from the input when it has no escapes.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// An optional string that borrows from the input when it can.
#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Option<Cow<'a, str>>);

/// One choice. A key not named here sends the answer down the general path,
/// which keeps it (see [`crate::response`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice<'a> {
    /// `index`: always 0 for the first choice.
    #[serde(default, rename = "index")]
    _index: IgnoredAny,
    /// `message`.
    #[serde(borrow, default, deserialize_with = "object::optional")]
    pub message: Option<Message<'a>>,
    /// `finish_reason`.
    #[serde(borrow, default)]
    pub finish_reason: Option<Cow<'a, str>>,
    /// `logprobs`, kept as it came (usually `null`).
    #[serde(default)]
    pub logprobs: Option<Value>,
}

/// The parts of a message the canonical response keeps, and the wire
/// fields it carries in `extra`. A key not named here sends the answer
/// down the general path, which keeps it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message<'a> {
    /// `role`: always the assistant's.
    #[serde(default, rename = "role")]
    _role: IgnoredAny,
    /// `content`, as a string.
    #[serde(borrow, default)]
    pub content: Option<Cow<'a, str>>,
    /// `reasoning_content` (DeepSeek and others).
    #[serde(borrow, default)]
    pub reasoning_content: Option<Cow<'a, str>>,
    /// `reasoning` (OpenRouter and others).
    #[serde(borrow, default)]
    pub reasoning: Option<Cow<'a, str>>,
    /// `tool_calls`.
    #[serde(borrow, default, deserialize_with = "object::optional_list")]
    pub tool_calls: Option<Vec<WireCall<'a>>>,
    /// The legacy `function_call`: present means "not simple".
    #[serde(default)]
    function_call: Option<Value>,
    /// `refusal`, kept as it came (usually `null`).
    #[serde(default)]
    pub refusal: Option<Value>,
    /// `annotations` (URL citations), kept as they came.
    #[serde(default)]
    pub annotations: Option<Value>,
}

/// One `tool_calls` entry.
#[derive(Debug, Deserialize)]
pub struct WireCall<'a> {
    /// `id`.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// `function`.
    #[serde(borrow, default, deserialize_with = "object::optional")]
    pub function: Option<Function<'a>>,
}

/// A tool call's `function`.
#[derive(Debug, Deserialize)]
pub struct Function<'a> {
    /// `name`.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// `arguments`, as JSON text.
    #[serde(borrow, default)]
    pub arguments: Option<Cow<'a, str>>,
}

/// `body` as a simple completion, or `None` when it needs the general path.
pub fn parse(body: &[u8]) -> Option<SimpleCompletion<'_>> {
    let completion: SimpleCompletion<'_> = serde_json::from_slice(body).ok()?;
    let first = completion.choices.first()?;
    let simple = first.message.as_ref().is_none_or(|m| {
        m.tool_calls.is_some() || m.function_call.as_ref().is_none_or(Value::is_null)
    });
    simple.then_some(completion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_tool_answers_are_simple_and_odd_shapes_are_not() {
        let text = r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a\"b","refusal":null},"finish_reason":"stop"}],"system_fingerprint":"fp"}"#;
        let simple = parse(text.as_bytes());
        let content = simple
            .as_ref()
            .and_then(|c| c.choices.first())
            .and_then(|c| c.message.as_ref())
            .and_then(|m| m.content.as_deref());
        assert_eq!(content, Some("a\"b"));
        let rest: Vec<_> = simple.iter().flat_map(|c| c.rest.keys()).collect();
        assert_eq!(rest, ["system_fingerprint"], "known keys stay out of rest");

        let tool = r#"{"choices":[{"message":{"content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}"#;
        assert!(parse(tool.as_bytes()).is_some());

        for odd in [
            r#"{"choices":[]}"#,
            r#"{"error":{"message":"x"}}"#,
            r#"{"created":1.5,"choices":[{"message":{"content":"a"}}]}"#,
            r#"{"choices":[{"message":{"content":[{"type":"text","text":"a"}]}}]}"#,
            r#"{"choices":[{"message":{"function_call":{"name":"f"}}}]}"#,
            r#"{"choices":[{"message":{"tool_calls":[{"function":{"arguments":{}}}]}}]}"#,
            r#"{"id":7,"choices":[{"message":{"content":"a"}}]}"#,
            "[]",
            "not json",
            // Arrays where objects belong: the derive alone would read
            // them as the struct's fields in order.
            r#"{"choices":[[{"content":"a"},"stop"]]}"#,
            r#"{"choices":[{"message":["a"]}]}"#,
            r#"{"choices":[{"message":{"tool_calls":[["t",{"name":"f"}]]}}]}"#,
            r#"{"choices":[{"message":{"tool_calls":[{"function":["f","{}"]}]}}]}"#,
            // A choice field with no place here (vLLM's `stop_reason`).
            r#"{"choices":[{"message":{"content":"a"},"stop_reason":null}]}"#,
            r#"{"choices":[{"message":{"content":"a","audio":{"id":"x"}}}]}"#,
        ] {
            assert!(parse(odd.as_bytes()).is_none(), "{odd}");
        }
    }
}
