//! The common shape of a `chat.completion.chunk`, parsed straight into
//! borrowed fields: no JSON tree per chunk. Chunks that carry anything else
//! (tool calls, errors, several choices, unexpected types) are left to the
//! general `serde_json::Value` path, so behaviour does not depend on which
//! path ran.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use wasmgate_wire::object::{self, Object};

use crate::fields::WireUsage;

/// A chunk with at most one choice and no tool calls or error.
#[derive(Debug, Deserialize)]
pub struct SimpleChunk<'a> {
    /// `id`.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// `model`.
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    /// `created`.
    #[serde(default)]
    pub created: Option<u64>,
    /// `system_fingerprint`.
    #[serde(borrow, default)]
    pub system_fingerprint: Option<Cow<'a, str>>,
    /// `choices`.
    #[serde(borrow, default, deserialize_with = "object::list")]
    pub choices: Vec<Choice<'a>>,
    /// `usage`.
    #[serde(default)]
    pub usage: Option<WireUsage>,
    /// `error`: present means "not simple".
    #[serde(default)]
    error: Option<Value>,
}

/// One choice.
#[derive(Debug, Deserialize)]
pub struct Choice<'a> {
    /// `delta`.
    #[serde(borrow, default, deserialize_with = "object::optional")]
    pub delta: Option<Delta<'a>>,
    /// `finish_reason`.
    #[serde(borrow, default)]
    pub finish_reason: Option<Cow<'a, str>>,
}

/// The text parts of a delta.
#[derive(Debug, Deserialize)]
pub struct Delta<'a> {
    /// `content`.
    #[serde(borrow, default)]
    pub content: Option<Cow<'a, str>>,
    /// `reasoning_content` (DeepSeek and others).
    #[serde(borrow, default)]
    pub reasoning_content: Option<Cow<'a, str>>,
    /// `reasoning` (OpenRouter and others).
    #[serde(borrow, default)]
    pub reasoning: Option<Cow<'a, str>>,
    /// `tool_calls`: present and non-empty means "not simple".
    #[serde(default)]
    tool_calls: Option<Value>,
}

/// `payload` as a simple chunk, or `None` when it needs the general path.
pub fn parse(payload: &str) -> Option<SimpleChunk<'_>> {
    let Object(chunk) = serde_json::from_str::<Object<SimpleChunk<'_>>>(payload).ok()?;
    let simple = chunk.error.as_ref().is_none_or(Value::is_null)
        && chunk.choices.len() <= 1
        && chunk.choices.iter().all(|c| {
            c.delta.as_ref().is_none_or(|d| match &d.tool_calls {
                None | Some(Value::Null) => true,
                Some(Value::Array(calls)) => calls.is_empty(),
                Some(_) => false,
            })
        });
    simple.then_some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_chunks_are_simple_and_tool_or_error_chunks_are_not() {
        let text = r#"{"id":"c","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"a\"b"},"finish_reason":null}]}"#;
        let content = parse(text)
            .and_then(|c| c.choices.into_iter().next())
            .and_then(|c| c.delta)
            .and_then(|d| d.content);
        assert_eq!(content.as_deref(), Some("a\"b"));
        let tool = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]}"#;
        assert!(parse(tool).is_none());
        assert!(parse(r#"{"error":{"message":"x"}}"#).is_none());
        assert!(parse(r#"{"created":1.5,"choices":[]}"#).is_none());
        assert!(parse(r#"{"choices":[],"usage":{"prompt_tokens":1}}"#).is_some());
        // Arrays where objects belong.
        assert!(parse(r#"["c","m",1]"#).is_none());
        assert!(parse(r#"{"choices":[[{"content":"a"},null]]}"#).is_none());
        assert!(parse(r#"{"choices":[{"delta":["a"]}]}"#).is_none());
    }
}
