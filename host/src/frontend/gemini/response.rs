//! Canonical response → `GenerateContentResponse` JSON.

use serde_json::{Map, Value, json};

use super::signature::to_wire;
use super::{call_args, finish_reason, usage_json};
use crate::canonical::{ContentPart, Image, ImageSource, Response};
use crate::frontend::Format;

/// Encode a whole response. `model` is used when the upstream named none.
pub fn encode_response(resp: &Response, model: &str) -> Value {
    let mut candidate = Map::new();
    candidate.insert(
        "content".into(),
        json!({"role": "model", "parts": encode_parts(&resp.content)}),
    );
    candidate.insert(
        "finishReason".into(),
        finish_reason(resp.finish_reason.as_ref()).into(),
    );
    candidate.insert("index".into(), 0.into());
    let mut body = crate::frontend::extra::unwrap(Format::Gemini, resp.extra.as_deref());
    body.insert(
        "candidates".into(),
        Value::Array(vec![Value::Object(candidate)]),
    );
    if let Some(usage) = &resp.usage {
        body.insert("usageMetadata".into(), usage_json(usage));
    }
    body.insert(
        "modelVersion".into(),
        if resp.model.is_empty() {
            model.into()
        } else {
            resp.model.clone().into()
        },
    );
    body.insert("responseId".into(), resp.id.clone().into());
    Value::Object(body)
}

/// Wire parts for canonical content. A signature on an empty thinking part
/// rides on the part after it (docs/canonical.md); one with nothing after
/// it is an empty text part carrying the signature.
pub(super) fn encode_parts(content: &[ContentPart]) -> Vec<Value> {
    let mut parts = Vec::with_capacity(content.len());
    let mut signature: Option<&str> = None;
    for part in content {
        let mut obj = match part {
            ContentPart::Text(text) => {
                if text.is_empty() && signature.is_none() {
                    continue;
                }
                text_part(text)
            }
            ContentPart::Thinking(thinking) => {
                if thinking.redacted {
                    tracing::debug!("redacted thinking has no Gemini form; dropped");
                    continue;
                }
                if thinking.text.is_empty() {
                    if let Some(sig) = thinking.signature.as_deref() {
                        signature = Some(sig);
                    }
                    continue;
                }
                let mut obj = text_part(&thinking.text);
                obj.insert("thought".into(), Value::Bool(true));
                if let Some(sig) = &thinking.signature {
                    obj.insert("thoughtSignature".into(), to_wire(sig).into());
                }
                obj
            }
            ContentPart::Image(image) => image_part(image),
            ContentPart::ToolCall(call) => {
                function_call_part(&call.id, &call.name, &call.arguments)
            }
            ContentPart::ToolResult(_) => continue,
        };
        if let Some(sig) = signature.take()
            && !obj.contains_key("thoughtSignature")
        {
            obj.insert("thoughtSignature".into(), to_wire(sig).into());
        }
        parts.push(Value::Object(obj));
    }
    if let Some(sig) = signature {
        let mut obj = text_part("");
        obj.insert("thoughtSignature".into(), to_wire(sig).into());
        parts.push(Value::Object(obj));
    }
    parts
}

/// `{"text": …}`.
pub(super) fn text_part(text: &str) -> Map<String, Value> {
    let mut obj = Map::new();
    obj.insert("text".into(), text.into());
    obj
}

/// `{"functionCall": {"id", "name", "args"}}`; an empty id is left out.
pub(super) fn function_call_part(id: &str, name: &str, arguments: &str) -> Map<String, Value> {
    let mut call = Map::new();
    if !id.is_empty() {
        call.insert("id".into(), id.into());
    }
    call.insert("name".into(), name.into());
    call.insert("args".into(), call_args(name, arguments));
    let mut obj = Map::new();
    obj.insert("functionCall".into(), Value::Object(call));
    obj
}

/// `inlineData` for base64 bytes, `fileData` for a URL.
fn image_part(image: &Image) -> Map<String, Value> {
    let mut obj = Map::new();
    match &image.source {
        ImageSource::Base64(data) => {
            obj.insert(
                "inlineData".into(),
                json!({
                    "mimeType": image.media_type.as_deref().unwrap_or("image/png"),
                    "data": data,
                }),
            );
        }
        ImageSource::Url(url) => {
            let mut file = Map::new();
            if let Some(media_type) = &image.media_type {
                file.insert("mimeType".into(), media_type.clone().into());
            }
            file.insert("fileUri".into(), url.clone().into());
            obj.insert("fileData".into(), Value::Object(file));
        }
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{FinishReason, Thinking, ToolCall, Usage};

    fn response(content: Vec<ContentPart>, finish: FinishReason) -> Response {
        Response {
            id: "resp-1".into(),
            model: String::new(),
            created: Some(1),
            content,
            finish_reason: Some(finish),
            usage: Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            }),
            extra: Some(
                r#"{"gemini":{"promptFeedback":{"safetyRatings":[]}},"openai-chat":{"x":1}}"#
                    .into(),
            ),
        }
    }

    #[test]
    fn text_response_matches_the_fixture_shape() {
        let body = encode_response(
            &response(
                vec![ContentPart::Text("Hello from fake gemini upstream.".into())],
                FinishReason::Stop,
            ),
            "gemini-fake",
        );
        let fixture: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/full.gemini.text.json"
        ))
        .unwrap_or_default();
        assert_eq!(body["candidates"], fixture["candidates"]);
        assert_eq!(body["usageMetadata"], fixture["usageMetadata"]);
        assert_eq!(body["modelVersion"], "gemini-fake");
        assert_eq!(body["responseId"], "resp-1");
        assert_eq!(body["promptFeedback"], json!({"safetyRatings": []}));
        assert!(body.get("x").is_none(), "other wires' extra stays out");
    }

    #[test]
    fn thinking_signatures_and_tool_calls() {
        let body = encode_response(
            &response(
                vec![
                    ContentPart::Thinking(Thinking {
                        text: "plan".into(),
                        signature: Some("czE=".into()),
                        redacted: false,
                    }),
                    ContentPart::Thinking(Thinking {
                        text: String::new(),
                        signature: Some("czI=".into()),
                        redacted: false,
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: "call_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Paris"}"#.into(),
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: String::new(),
                        name: "broken".into(),
                        arguments: "{oops".into(),
                    }),
                    ContentPart::Thinking(Thinking {
                        text: String::new(),
                        signature: Some("czM=".into()),
                        redacted: false,
                    }),
                ],
                FinishReason::ToolCalls,
            ),
            "m",
        );
        assert_eq!(
            body["candidates"][0]["content"]["parts"],
            json!([
                {"text": "plan", "thought": true, "thoughtSignature": "czE="},
                {"functionCall": {"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "czI="},
                {"functionCall": {"name": "broken", "args": {}}},
                {"text": "", "thoughtSignature": "czM="},
            ])
        );
        assert_eq!(body["candidates"][0]["finishReason"], "STOP");
        assert_eq!(body["modelVersion"], "m");
    }

    #[test]
    fn images_and_limits() {
        let body = encode_response(
            &response(
                vec![
                    ContentPart::Image(Image {
                        source: ImageSource::Base64("AAAA".into()),
                        media_type: Some("image/jpeg".into()),
                        detail: None,
                    }),
                    ContentPart::Image(Image {
                        source: ImageSource::Url("gs://b/o".into()),
                        media_type: None,
                        detail: None,
                    }),
                    ContentPart::Text(String::new()),
                ],
                FinishReason::Length,
            ),
            "m",
        );
        assert_eq!(
            body["candidates"][0]["content"]["parts"],
            json!([
                {"inlineData": {"mimeType": "image/jpeg", "data": "AAAA"}},
                {"fileData": {"fileUri": "gs://b/o"}},
            ])
        );
        assert_eq!(body["candidates"][0]["finishReason"], "MAX_TOKENS");
    }
}
