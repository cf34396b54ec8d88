//! Readers for wire fields that whole and streamed answers share:
//! `stop_reason` and `usage`.

use serde_json::Value;

use crate::types::{FinishReason, Usage};

/// The canonical finish reason for an Anthropic `stop_reason`.
pub fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "max_tokens" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        // `pause_turn`, `model_context_window_exceeded`, and anything newer.
        other => FinishReason::Other(other.to_string()),
    }
}

/// Token counts of an Anthropic `usage` object. Every field is optional
/// because a streamed answer spreads them over two events.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WireUsage {
    /// `input_tokens`: the uncached part of the prompt.
    pub input: Option<u64>,
    /// `output_tokens`.
    pub output: Option<u64>,
    /// `cache_read_input_tokens`.
    pub cache_read: Option<u64>,
    /// `cache_creation_input_tokens`.
    pub cache_creation: Option<u64>,
}

impl WireUsage {
    /// Read a `usage` object; `None` when it is not one.
    pub fn read(value: &Value) -> Option<WireUsage> {
        let obj = value.as_object()?;
        let count = |key: &str| obj.get(key).and_then(Value::as_u64);
        Some(WireUsage {
            input: count("input_tokens"),
            output: count("output_tokens"),
            cache_read: count("cache_read_input_tokens"),
            cache_creation: count("cache_creation_input_tokens"),
        })
    }

    /// Overwrite the fields `later` has (streamed usage is cumulative).
    pub fn update(&mut self, later: WireUsage) {
        self.input = later.input.or(self.input);
        self.output = later.output.or(self.output);
        self.cache_read = later.cache_read.or(self.cache_read);
        self.cache_creation = later.cache_creation.or(self.cache_creation);
    }

    /// The canonical usage: the whole prompt as input (uncached, read from
    /// cache and written to cache), with the cached parts split out.
    pub fn canonical(&self) -> Usage {
        let input = self
            .input
            .unwrap_or(0)
            .saturating_add(self.cache_read.unwrap_or(0))
            .saturating_add(self.cache_creation.unwrap_or(0));
        Usage {
            input_tokens: input,
            output_tokens: self.output.unwrap_or(0),
            cached_input_tokens: self.cache_read,
            cache_write_tokens: self.cache_creation,
            reasoning_tokens: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finish_reasons() {
        assert_eq!(finish_reason("end_turn"), FinishReason::Stop);
        assert_eq!(finish_reason("stop_sequence"), FinishReason::Stop);
        assert_eq!(finish_reason("max_tokens"), FinishReason::Length);
        assert_eq!(finish_reason("tool_use"), FinishReason::ToolCalls);
        assert_eq!(finish_reason("refusal"), FinishReason::ContentFilter);
        assert_eq!(
            finish_reason("pause_turn"),
            FinishReason::Other("pause_turn".into())
        );
    }

    #[test]
    fn usage_adds_cache_to_input() {
        let u = WireUsage::read(&json!({
            "input_tokens": 6, "cache_read_input_tokens": 4,
            "cache_creation_input_tokens": 2, "output_tokens": 5,
            "service_tier": "standard",
        }));
        assert_eq!(
            u.map(|u| u.canonical()),
            Some(Usage {
                input_tokens: 12,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: Some(2),
                reasoning_tokens: None,
            })
        );
        assert_eq!(WireUsage::read(&Value::Null), None);
    }

    #[test]
    fn usage_updates_field_by_field() {
        let mut u =
            WireUsage::read(&json!({"input_tokens": 10, "output_tokens": 1})).unwrap_or_default();
        u.update(WireUsage::read(&json!({"output_tokens": 5})).unwrap_or_default());
        assert_eq!(
            u.canonical(),
            Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            }
        );
    }
}
