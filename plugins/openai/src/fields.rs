//! Readers for wire fields that whole and streamed answers share:
//! `finish_reason`, `usage`, and the text fields read into borrowed strings.

use serde::Deserialize;
use serde_json::Value;
use wasmgate_wire::json::nested_u64;
use wasmgate_wire::object::Object;

use crate::types::{FinishReason, Usage};

/// The canonical finish reason for a Chat Completions `finish_reason`.
pub fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}

/// A text field as owned text; `None` when absent or empty.
pub fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|s| !s.is_empty()).map(str::to_string)
}

/// The reasoning text of a message or delta: `reasoning_content` (DeepSeek
/// and others), else `reasoning` (OpenRouter and others).
pub fn reasoning(reasoning_content: Option<&str>, reasoning: Option<&str>) -> Option<String> {
    non_empty(reasoning_content).or_else(|| non_empty(reasoning))
}

/// The canonical usage for a `usage` object; `None` when it is not one.
pub fn usage(value: &Value) -> Option<Usage> {
    let obj = value.as_object()?;
    let count = |v: Option<&Value>| v.and_then(Value::as_u64);
    Some(Usage {
        input_tokens: count(obj.get("prompt_tokens")).unwrap_or(0),
        output_tokens: count(obj.get("completion_tokens")).unwrap_or(0),
        cached_input_tokens: nested_u64(value, "prompt_tokens_details", "cached_tokens"),
        cache_write_tokens: None,
        reasoning_tokens: nested_u64(value, "completion_tokens_details", "reasoning_tokens"),
    })
}

/// A `usage` object of the common shape, read without a JSON tree. Any
/// other shape (a count that is not an unsigned integer, an array where an
/// object belongs) fails to parse, which sends the whole answer to the
/// general path and [`usage`].
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct WireUsage(Object<UsageFields>);

/// The fields of a `usage` object.
#[derive(Debug, Deserialize)]
struct UsageFields {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<Object<TokenDetails>>,
    #[serde(default)]
    completion_tokens_details: Option<Object<TokenDetails>>,
}

/// `prompt_tokens_details` or `completion_tokens_details`.
#[derive(Debug, Deserialize)]
struct TokenDetails {
    /// `cached_tokens` (in the prompt's details).
    #[serde(default)]
    cached_tokens: Option<u64>,
    /// `reasoning_tokens` (in the completion's details).
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl WireUsage {
    /// The canonical usage: what [`usage`] gives for the same object.
    pub fn canonical(&self) -> Usage {
        let fields = &self.0.0;
        let detail = |d: &Option<Object<TokenDetails>>, pick: fn(&TokenDetails) -> Option<u64>| {
            d.as_ref().and_then(|d| pick(&d.0))
        };
        Usage {
            input_tokens: fields.prompt_tokens.unwrap_or(0),
            output_tokens: fields.completion_tokens.unwrap_or(0),
            cached_input_tokens: detail(&fields.prompt_tokens_details, |d| d.cached_tokens),
            cache_write_tokens: None,
            reasoning_tokens: detail(&fields.completion_tokens_details, |d| d.reasoning_tokens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finish_reasons() {
        assert_eq!(finish_reason("stop"), FinishReason::Stop);
        assert_eq!(finish_reason("length"), FinishReason::Length);
        assert_eq!(finish_reason("tool_calls"), FinishReason::ToolCalls);
        assert_eq!(finish_reason("function_call"), FinishReason::ToolCalls);
        assert_eq!(finish_reason("content_filter"), FinishReason::ContentFilter);
        assert_eq!(finish_reason("eos"), FinishReason::Other("eos".into()));
    }

    #[test]
    fn usage_with_details() {
        let u = usage(&json!({
            "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 2},
        }));
        assert_eq!(
            u,
            Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: None,
                reasoning_tokens: Some(2),
            })
        );
        assert_eq!(usage(&Value::Null), None);
    }

    #[test]
    fn the_typed_usage_reads_what_the_tree_reads() {
        for text in [
            r#"{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}"#,
            r#"{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"accepted_prediction_tokens":0}}"#,
            r#"{"prompt_tokens":null,"prompt_tokens_details":null,"completion_tokens_details":{}}"#,
            "{}",
        ] {
            let typed: WireUsage =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let tree: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(Some(typed.canonical()), usage(&tree), "{text}");
        }
        // Shapes the tree reads leniently are not the common shape.
        for odd in [
            r#"{"prompt_tokens":1.5}"#,
            r#"{"prompt_tokens":-1}"#,
            r#"{"prompt_tokens":"10"}"#,
            r#"{"prompt_tokens_details":[4]}"#,
            r#"[10,5]"#,
            r#"{"prompt_tokens":1,"prompt_tokens":2}"#,
            "5",
        ] {
            assert!(serde_json::from_str::<WireUsage>(odd).is_err(), "{odd}");
        }
    }
}
