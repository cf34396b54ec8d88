//! Readers for the wire fields that whole and streamed answers share:
//! response parts, `finishReason`, `usageMetadata` and timestamps.

use serde_json::{Map, Value};
use wasmgate_wire::extra;
use wasmgate_wire::json::{non_empty_str, str_or_empty};

use crate::types::{ContentPart, FinishReason, Image, ImageSource, Thinking, ToolCall, Usage};

/// Top-level response keys with a canonical home; every other key goes to
/// `extra["gemini"]`.
pub const KNOWN_KEYS: &[&str] = &[
    "candidates",
    "usageMetadata",
    "modelVersion",
    "responseId",
    "createTime",
];

/// The canonical parts for one wire part of `candidates[0].content.parts`.
///
/// - `{text, thought: true}` is a thinking part (with its signature);
/// - a `thoughtSignature` on any other part becomes a thinking part with
///   empty text placed just before it (docs/canonical.md);
/// - `{text}` is text, `functionCall` a tool call (arguments as JSON text;
///   a missing id stays empty for the host to fill; `calls` counts the
///   tool calls of the answer so far), `inlineData`/`fileData` holding an
///   image an image part;
/// - anything else (executable code, audio, …) has no canonical home and is
///   dropped.
pub fn part_content(part: &Value, calls: &mut u32) -> Vec<ContentPart> {
    let signature = non_empty_str(part, "thoughtSignature").map(str::to_string);
    let text = part.get("text").and_then(Value::as_str);
    if part.get("thought").and_then(Value::as_bool) == Some(true) {
        let text = text.unwrap_or_default();
        if text.is_empty() && signature.is_none() {
            return Vec::new();
        }
        return vec![ContentPart::Thinking(Thinking {
            text: text.to_string(),
            signature,
            redacted: false,
        })];
    }
    let mut out = Vec::new();
    if let Some(signature) = signature {
        out.push(ContentPart::Thinking(Thinking {
            text: String::new(),
            signature: Some(signature),
            redacted: false,
        }));
    }
    if let Some(text) = text {
        if !text.is_empty() {
            out.push(ContentPart::Text(text.to_string()));
        }
    } else if let Some(call) = part.get("functionCall").filter(|c| c.is_object()) {
        out.push(ContentPart::ToolCall(tool_call(call)));
        *calls = calls.saturating_add(1);
    } else if let Some(image) = image(part) {
        out.push(ContentPart::Image(image));
    }
    out
}

/// One `functionCall`, with an empty id when Gemini gave none.
fn tool_call(call: &Value) -> ToolCall {
    let arguments = match call.get("args") {
        None | Some(Value::Null) => "{}".to_string(),
        Some(args) => args.to_string(),
    };
    ToolCall {
        id: str_or_empty(call, "id"),
        name: str_or_empty(call, "name"),
        arguments,
    }
}

/// An image from an `inlineData` or `fileData` part.
fn image(part: &Value) -> Option<Image> {
    if let Some(blob) = part.get("inlineData") {
        let media_type = non_empty_str(blob, "mimeType")?;
        let data = blob.get("data").and_then(Value::as_str)?;
        return media_type.starts_with("image/").then(|| Image {
            source: ImageSource::Base64(data.to_string()),
            media_type: Some(media_type.to_string()),
            detail: None,
        });
    }
    let file = part.get("fileData")?;
    let media_type = non_empty_str(file, "mimeType");
    if media_type.is_some_and(|m| !m.starts_with("image/")) {
        return None;
    }
    Some(Image {
        source: ImageSource::Url(non_empty_str(file, "fileUri")?.to_string()),
        media_type: media_type.map(str::to_string),
        detail: None,
    })
}

/// The canonical finish reason for a Gemini `finishReason`; `STOP` after
/// function calls is `tool-calls`.
pub fn finish_reason(reason: &str, has_tool_calls: bool) -> FinishReason {
    match reason {
        "STOP" if has_tool_calls => FinishReason::ToolCalls,
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" => {
            FinishReason::ContentFilter
        }
        other => FinishReason::Other(other.to_string()),
    }
}

/// True when the prompt itself was blocked (`promptFeedback.blockReason`).
pub fn prompt_blocked(response: &Value) -> bool {
    response
        .pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
        .is_some_and(|r| !r.is_empty())
}

/// The canonical usage for a `usageMetadata` object; `None` when it is not
/// one. Output counts the thinking tokens too (Gemini reports them apart).
pub fn usage(value: &Value) -> Option<Usage> {
    let obj = value.as_object()?;
    let count = |key: &str| obj.get(key).and_then(Value::as_u64);
    let thoughts = count("thoughtsTokenCount");
    Some(Usage {
        input_tokens: count("promptTokenCount").unwrap_or(0),
        output_tokens: count("candidatesTokenCount")
            .unwrap_or(0)
            .saturating_add(thoughts.unwrap_or(0)),
        cached_input_tokens: count("cachedContentTokenCount"),
        cache_write_tokens: None,
        reasoning_tokens: thoughts,
    })
}

/// The top-level keys of a response (or chunk) without a canonical home.
pub fn unknown_keys(response: &Value) -> Map<String, Value> {
    response
        .as_object()
        .map(|obj| extra::leftovers(obj, KNOWN_KEYS))
        .unwrap_or_default()
}

/// `createTime` (RFC 3339, as Vertex-style responses send it) as Unix
/// seconds.
pub fn created(response: &Value) -> Option<u64> {
    response
        .get("createTime")
        .and_then(Value::as_str)
        .and_then(unix_seconds)
}

/// Unix seconds for an RFC 3339 timestamp such as
/// `2025-06-01T12:30:45.123456Z` or `2025-06-01T14:30:45+02:00`.
pub fn unix_seconds(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Skip fractional seconds, then read the offset.
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let rb = rest.as_bytes();
            if rest.len() != 6 || rb[3] != b':' {
                return None;
            }
            let h: i64 = rest.get(1..3)?.parse().ok()?;
            let m: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second.min(60) - offset;
    u64::try_from(seconds).ok()
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn thinking(text: &str, signature: Option<&str>) -> ContentPart {
        ContentPart::Thinking(Thinking {
            text: text.into(),
            signature: signature.map(Into::into),
            redacted: false,
        })
    }

    #[test]
    fn parts() {
        let mut calls = 0;
        let mut all = |part: Value| part_content(&part, &mut calls);
        assert_eq!(
            all(json!({"text": "hi"})),
            vec![ContentPart::Text("hi".into())]
        );
        assert_eq!(all(json!({"text": ""})), vec![]);
        assert_eq!(
            all(json!({"text": "hmm", "thought": true, "thoughtSignature": "s"})),
            vec![thinking("hmm", Some("s"))]
        );
        assert_eq!(all(json!({"text": "", "thought": true})), vec![]);
        assert_eq!(
            all(json!({"text": "", "thoughtSignature": "s2"})),
            vec![thinking("", Some("s2"))]
        );
        assert_eq!(
            all(json!({"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "s3"})),
            vec![
                thinking("", Some("s3")),
                ContentPart::ToolCall(ToolCall {
                    id: String::new(),
                    name: "f".into(),
                    arguments: r#"{"a":1}"#.into()
                })
            ]
        );
        assert_eq!(
            all(json!({"functionCall": {"id": "x", "name": "g"}})),
            vec![ContentPart::ToolCall(ToolCall {
                id: "x".into(),
                name: "g".into(),
                arguments: "{}".into()
            })]
        );
        assert_eq!(
            all(json!({"functionCall": {"name": "h", "args": {}}})),
            vec![ContentPart::ToolCall(ToolCall {
                id: String::new(),
                name: "h".into(),
                arguments: "{}".into()
            })]
        );
        assert_eq!(
            all(json!({"inlineData": {"mimeType": "image/png", "data": "AAAA"}})),
            vec![ContentPart::Image(Image {
                source: ImageSource::Base64("AAAA".into()),
                media_type: Some("image/png".into()),
                detail: None
            })]
        );
        assert_eq!(
            all(json!({"fileData": {"fileUri": "https://x/y.jpg"}})),
            vec![ContentPart::Image(Image {
                source: ImageSource::Url("https://x/y.jpg".into()),
                media_type: None,
                detail: None
            })]
        );
        assert_eq!(
            all(json!({"inlineData": {"mimeType": "audio/wav", "data": "A"}})),
            vec![]
        );
        assert_eq!(all(json!({"executableCode": {"code": "1"}})), vec![]);
    }

    #[test]
    fn finish_reasons() {
        assert_eq!(finish_reason("STOP", false), FinishReason::Stop);
        assert_eq!(finish_reason("STOP", true), FinishReason::ToolCalls);
        assert_eq!(finish_reason("MAX_TOKENS", true), FinishReason::Length);
        for r in [
            "SAFETY",
            "RECITATION",
            "BLOCKLIST",
            "PROHIBITED_CONTENT",
            "SPII",
        ] {
            assert_eq!(finish_reason(r, false), FinishReason::ContentFilter, "{r}");
        }
        assert_eq!(
            finish_reason("MALFORMED_FUNCTION_CALL", false),
            FinishReason::Other("MALFORMED_FUNCTION_CALL".into())
        );
    }

    #[test]
    fn usage_counts_thoughts_as_output() {
        assert_eq!(
            usage(
                &json!({"promptTokenCount": 10, "cachedContentTokenCount": 4,
                "candidatesTokenCount": 3, "thoughtsTokenCount": 2, "totalTokenCount": 15})
            ),
            Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: None,
                reasoning_tokens: Some(2),
            })
        );
        assert_eq!(
            usage(&json!({"promptTokenCount": 7})),
            Some(Usage {
                input_tokens: 7,
                output_tokens: 0,
                cached_input_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            })
        );
        assert_eq!(usage(&Value::Null), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2025-06-01T12:30:45.123456Z"),
            Some(1_748_781_045)
        );
        assert_eq!(
            unix_seconds("2025-06-01T14:30:45+02:00"),
            Some(1_748_781_045)
        );
        assert_eq!(unix_seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(unix_seconds("yesterday"), None);
        assert_eq!(unix_seconds("2025-13-01T00:00:00Z"), None);
        assert_eq!(unix_seconds("1969-12-31T23:59:59Z"), None);
        assert_eq!(
            created(&json!({"createTime": "1970-01-01T00:01:00Z"})),
            Some(60)
        );
    }

    #[test]
    fn blocked_prompts_and_unknown_keys() {
        let r = json!({"promptFeedback": {"blockReason": "SAFETY"}, "responseId": "r"});
        assert!(prompt_blocked(&r));
        assert!(!prompt_blocked(&json!({"promptFeedback": {}})));
        assert_eq!(
            Value::Object(unknown_keys(&r)),
            json!({"promptFeedback": {"blockReason": "SAFETY"}})
        );
    }
}
