//! One streamed event's JSON, parsed straight into the few fields the
//! decoder reads: no JSON tree for the hot `content_block_delta` events.
//! The rarer nested objects (`message`, `content_block`, `usage`, `error`)
//! stay as `serde_json::Value`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

/// A Messages API stream event (`message_start`, `content_block_delta`, …).
#[derive(Debug, Deserialize)]
pub struct Frame<'a> {
    /// `type`; the SSE `event:` name stands in when absent.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// `index`: the content block an event is about.
    #[serde(default)]
    pub index: Option<u64>,
    /// `delta` of `content_block_delta` and `message_delta`.
    #[serde(borrow, default)]
    pub delta: Option<Delta<'a>>,
    /// `message` of `message_start`.
    #[serde(default)]
    pub message: Option<Value>,
    /// `content_block` of `content_block_start`.
    #[serde(default)]
    pub content_block: Option<Value>,
    /// `usage` of `message_delta`.
    #[serde(default)]
    pub usage: Option<Value>,
    /// `error` of an `error` event.
    #[serde(default)]
    pub error: Option<Value>,
}

/// The union of the `delta` shapes: a block delta (`text_delta`,
/// `input_json_delta`, `thinking_delta`, `signature_delta`) or a message
/// delta (`stop_reason`).
#[derive(Debug, Deserialize)]
pub struct Delta<'a> {
    /// `type` of a block delta.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// `text` of a `text_delta`.
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
    /// `partial_json` of an `input_json_delta`.
    #[serde(borrow, default)]
    pub partial_json: Option<Cow<'a, str>>,
    /// `thinking` of a `thinking_delta`.
    #[serde(borrow, default)]
    pub thinking: Option<Cow<'a, str>>,
    /// `signature` of a `signature_delta`.
    #[serde(borrow, default)]
    pub signature: Option<Cow<'a, str>>,
    /// `stop_reason` of a `message_delta`.
    #[serde(borrow, default)]
    pub stop_reason: Option<Cow<'a, str>>,
}

/// Parse one `data:` payload: `Some` for a well-formed event, `None` for
/// valid JSON of a shape the decoder does not know (skipped), and `Err`
/// with the JSON error for text that is not JSON at all.
pub fn parse(payload: &str) -> Result<Option<Frame<'_>>, serde_json::Error> {
    match serde_json::from_str::<Frame<'_>>(payload) {
        Ok(frame) => Ok(Some(frame)),
        Err(e) => match serde_json::from_str::<serde::de::IgnoredAny>(payload) {
            Ok(_) => Ok(None),
            Err(_) => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_frames() {
        let text = r#"{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"a\"b"}}"#;
        match parse(text) {
            Ok(Some(f)) => {
                assert_eq!(f.kind.as_deref(), Some("content_block_delta"));
                assert_eq!(f.index, Some(2));
                assert_eq!(f.delta.and_then(|d| d.text).as_deref(), Some("a\"b"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let stop = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}"#;
        match parse(stop) {
            Ok(Some(f)) => {
                assert_eq!(
                    f.delta.and_then(|d| d.stop_reason).as_deref(),
                    Some("end_turn")
                );
                assert!(f.usage.is_some());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn odd_shapes_and_bad_json() {
        assert!(matches!(parse(r#"{"type":"x","index":"one"}"#), Ok(None)));
        assert!(matches!(parse("[1]"), Ok(None)));
        assert!(parse("{nope").is_err());
    }
}
