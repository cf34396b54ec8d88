//! Readers for wire fields that whole and streamed answers share: status
//! (finish reason), `usage`, and the content of output items.

use serde_json::Value;
use wasmgate_wire::json::{nested_u64, non_empty_str};

use crate::types::{FinishReason, Usage};

/// The canonical finish reason for a response object's `status` (and
/// `incomplete_details.reason`). `has_calls` says whether the answer holds
/// function calls. A missing status counts as `completed` (some compatible
/// servers leave it out); a status that is not final gives `None`.
pub fn finish_reason(response: &Value, has_calls: bool) -> Option<FinishReason> {
    let status = response
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("completed");
    Some(match status {
        "completed" if has_calls => FinishReason::ToolCalls,
        "completed" => FinishReason::Stop,
        "incomplete" => {
            match response
                .pointer("/incomplete_details/reason")
                .and_then(Value::as_str)
            {
                Some("max_output_tokens") => FinishReason::Length,
                Some("content_filter") => FinishReason::ContentFilter,
                Some(other) => FinishReason::Other(other.to_string()),
                None => FinishReason::Other("incomplete".into()),
            }
        }
        "failed" => FinishReason::Error,
        "in_progress" | "queued" => return None,
        other => FinishReason::Other(other.to_string()),
    })
}

/// The canonical usage for a Responses `usage` object; `None` when it is
/// not one.
pub fn usage(value: &Value) -> Option<Usage> {
    let obj = value.as_object()?;
    let count = |v: Option<&Value>| v.and_then(Value::as_u64);
    Some(Usage {
        input_tokens: count(obj.get("input_tokens")).unwrap_or(0),
        output_tokens: count(obj.get("output_tokens")).unwrap_or(0),
        cached_input_tokens: nested_u64(value, "input_tokens_details", "cached_tokens"),
        cache_write_tokens: nested_u64(value, "input_tokens_details", "cache_write_tokens"),
        reasoning_tokens: nested_u64(value, "output_tokens_details", "reasoning_tokens"),
    })
}

/// The readable text of a `reasoning` item: its summary texts joined with a
/// blank line, or (for servers that send raw reasoning instead) its
/// `reasoning_text` content.
pub fn reasoning_text(item: &Value) -> String {
    let joined = |key: &str, kind: &str| {
        item.get(key)
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .filter(|p| p.get("type").and_then(Value::as_str).unwrap_or(kind) == kind)
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            })
            .unwrap_or_default()
    };
    let summary = joined("summary", "summary_text");
    if summary.is_empty() {
        joined("content", "reasoning_text")
    } else {
        summary
    }
}

/// The non-empty texts of a `message` item's content: `output_text` text
/// and `refusal` refusals, in order.
pub fn message_texts(item: &Value) -> Vec<String> {
    let Some(content) = item.get("content").and_then(Value::as_array) else {
        return Vec::new();
    };
    content
        .iter()
        .filter_map(|part| match part.get("type").and_then(Value::as_str) {
            Some("output_text") => non_empty_str(part, "text"),
            Some("refusal") => non_empty_str(part, "refusal"),
            _ => None,
        })
        .map(str::to_string)
        .collect()
}

/// Function-call arguments as JSON text: a string as-is (`{}` when empty),
/// anything else serialized.
pub fn arguments(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) | Some(Value::String(_)) => "{}".to_string(),
        Some(other) => other.to_string(),
    }
}

/// The encrypted reasoning of a `reasoning` item, when it has any.
pub fn encrypted_content(item: &Value) -> Option<String> {
    non_empty_str(item, "encrypted_content").map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finish_reasons() {
        let r = |v: Value, calls: bool| finish_reason(&v, calls);
        assert_eq!(
            r(json!({"status": "completed"}), false),
            Some(FinishReason::Stop)
        );
        assert_eq!(
            r(json!({"status": "completed"}), true),
            Some(FinishReason::ToolCalls)
        );
        assert_eq!(r(json!({}), false), Some(FinishReason::Stop));
        assert_eq!(
            r(
                json!({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}),
                true
            ),
            Some(FinishReason::Length)
        );
        assert_eq!(
            r(
                json!({"status": "incomplete", "incomplete_details": {"reason": "content_filter"}}),
                false
            ),
            Some(FinishReason::ContentFilter)
        );
        assert_eq!(
            r(json!({"status": "incomplete"}), false),
            Some(FinishReason::Other("incomplete".into()))
        );
        assert_eq!(
            r(json!({"status": "failed"}), false),
            Some(FinishReason::Error)
        );
        assert_eq!(
            r(json!({"status": "cancelled"}), false),
            Some(FinishReason::Other("cancelled".into()))
        );
        assert_eq!(r(json!({"status": "in_progress"}), false), None);
    }

    #[test]
    fn usage_with_details() {
        let u = usage(&json!({
            "input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
            "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 1},
            "output_tokens_details": {"reasoning_tokens": 2},
        }));
        assert_eq!(
            u,
            Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: Some(1),
                reasoning_tokens: Some(2),
            })
        );
        assert_eq!(usage(&Value::Null), None);
    }

    #[test]
    fn item_readers() {
        let item = json!({"type": "reasoning", "summary": [
            {"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}],
            "encrypted_content": "enc"});
        assert_eq!(reasoning_text(&item), "a\n\nb");
        assert_eq!(encrypted_content(&item).as_deref(), Some("enc"));
        let raw = json!({"type": "reasoning", "summary": [],
            "content": [{"type": "reasoning_text", "text": "raw"}]});
        assert_eq!(reasoning_text(&raw), "raw");
        assert_eq!(encrypted_content(&raw), None);
        let msg = json!({"type": "message", "content": [
            {"type": "output_text", "text": "hi"}, {"type": "refusal", "refusal": "no"},
            {"type": "output_text", "text": ""}]});
        assert_eq!(message_texts(&msg), vec!["hi", "no"]);
        assert_eq!(arguments(Some(&json!(""))), "{}");
        assert_eq!(arguments(Some(&json!({"a": 1}))), r#"{"a":1}"#);
        assert_eq!(arguments(None), "{}");
    }
}
