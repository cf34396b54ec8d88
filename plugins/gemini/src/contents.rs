//! Canonical messages to Gemini `contents` and `systemInstruction`.
//!
//! - System and developer messages are collected, in order, into
//!   `systemInstruction.parts` (text only: Gemini's system prompt takes no
//!   media).
//! - User and tool messages become `user` turns, assistant messages `model`
//!   turns; consecutive turns of one role are merged (Gemini wants them
//!   alternating).
//! - Tool results always go to a `user` turn as `functionResponse` parts,
//!   named after the earlier tool call with the same id.
//! - A thinking part with empty text and a signature puts `thoughtSignature`
//!   on the part that follows it; one with text is a `thought: true` part.
//! - `extra["gemini"]["$parts"][i]` fields are restored on the wire part made
//!   from content part `i`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use wasmgate_wire::extra;

use crate::types::{
    ContentPart, Image, ImageSource, Message, Role, Thinking, ToolCall, ToolResult, ToolResultPart,
};
use crate::{WIRE, error};

/// The dummy signature Google documents for function calls that Gemini did
/// not sign (a history written by another model or by the client): Gemini 3
/// rejects an unsigned function call in the current turn without it.
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// The conversation in Gemini's shape.
#[derive(Debug, Default, PartialEq)]
pub struct Conversation {
    /// `systemInstruction`, when any system or developer text was sent.
    pub system_instruction: Option<Value>,
    /// `contents`.
    pub contents: Vec<Value>,
}

/// One turn being built.
struct Turn {
    /// `user` or `model`.
    role: &'static str,
    /// Its parts.
    parts: Vec<Value>,
    /// Pass-through fields of the messages it was made from.
    extra: Map<String, Value>,
}

/// Map the conversation.
pub fn map_messages(messages: &[Message]) -> Result<Conversation, crate::types::Error> {
    let mut system = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    // Tool call id -> function name, for the calls seen so far.
    let mut names: HashMap<&str, &str> = HashMap::new();

    for message in messages {
        let mut fields = extra::wire_object(message.extra.as_deref(), WIRE);
        let reserved = extra::take_reserved(&mut fields);
        let part_extras = match reserved.get("$parts") {
            Some(Value::Array(items)) => items.as_slice(),
            _ => &[],
        };
        let part_extra = |i: usize| match part_extras.get(i) {
            Some(Value::Object(map)) => Some(map),
            _ => None,
        };

        if matches!(message.role, Role::System | Role::Developer) {
            for (i, part) in message.content.iter().enumerate() {
                if let ContentPart::Text(text) = part {
                    let mut wire = Map::new();
                    wire.insert("text".into(), Value::from(text.as_str()));
                    restore(&mut wire, part_extra(i));
                    system.push(Value::Object(wire));
                }
            }
            continue;
        }

        let role = if message.role == Role::Assistant {
            "model"
        } else {
            "user"
        };
        // The first turn this message's parts went to.
        let mut first_touched: Option<usize> = None;
        // A signature (and its part's pass-through fields) waiting for the
        // part that follows it.
        let mut pending: Option<(String, Option<&Map<String, Value>>)> = None;
        for (i, part) in message.content.iter().enumerate() {
            let (part_role, mut wire) = match part {
                ContentPart::Text(text) => (role, text_part(text)),
                ContentPart::Image(image) => (role, image_part(image)?),
                ContentPart::Thinking(thinking) => match thinking_part(thinking) {
                    Thought::Part(wire) => (role, wire),
                    Thought::Signature(signature) => {
                        pending = Some((signature.to_string(), part_extra(i)));
                        continue;
                    }
                    Thought::Nothing => continue,
                },
                ContentPart::ToolCall(call) => {
                    names.insert(call.id.as_str(), call.name.as_str());
                    (role, function_call_part(call)?)
                }
                ContentPart::ToolResult(result) => {
                    let name = names
                        .get(result.call_id.as_str())
                        .copied()
                        .unwrap_or(result.call_id.as_str());
                    ("user", function_response_part(result, name)?)
                }
            };
            if let Some((signature, pending_extra)) = pending.take() {
                wire.entry("thoughtSignature")
                    .or_insert(Value::String(signature));
                restore(&mut wire, pending_extra);
            }
            restore(&mut wire, part_extra(i));
            let at = push(&mut turns, part_role, Value::Object(wire));
            first_touched.get_or_insert(at);
        }
        if let Some((signature, pending_extra)) = pending {
            // Nothing followed the signature (Gemini streams one on a last,
            // empty text part): send it back that way.
            let mut wire = text_part("");
            wire.insert("thoughtSignature".into(), Value::String(signature));
            restore(&mut wire, pending_extra);
            let at = push(&mut turns, role, Value::Object(wire));
            first_touched.get_or_insert(at);
        }
        // The message's own pass-through fields go on the turns it touched.
        if !fields.is_empty() {
            for turn in turns.iter_mut().skip(first_touched.unwrap_or(usize::MAX)) {
                extra::merge_missing(&mut turn.extra, fields.clone());
            }
        }
    }

    let contents = turns
        .into_iter()
        .map(|mut turn| {
            if turn.role == "model" {
                sign_unsigned_calls(&mut turn.parts);
            }
            let mut obj = Map::new();
            obj.insert("role".into(), Value::from(turn.role));
            obj.insert("parts".into(), Value::Array(turn.parts));
            extra::merge_missing(&mut obj, turn.extra);
            Value::Object(obj)
        })
        .collect();
    let system_instruction = (!system.is_empty()).then(|| json!({"parts": system}));
    Ok(Conversation {
        system_instruction,
        contents,
    })
}

/// Append `part` to the last turn when it has `role`, else open a turn;
/// returns the index of the turn it went to.
fn push(turns: &mut Vec<Turn>, role: &'static str, part: Value) -> usize {
    match turns.last_mut() {
        Some(turn) if turn.role == role => turn.parts.push(part),
        _ => turns.push(Turn {
            role,
            parts: vec![part],
            extra: Map::new(),
        }),
    }
    turns.len() - 1
}

/// Copy a part's pass-through fields onto its wire part (wire fields win).
fn restore(wire: &mut Map<String, Value>, fields: Option<&Map<String, Value>>) {
    if let Some(fields) = fields {
        extra::merge_missing(wire, fields.clone());
    }
}

/// A model turn with function calls but no signature anywhere came from
/// elsewhere; give its first call the documented dummy signature so Gemini 3
/// accepts it. Turns Gemini signed itself are left alone.
fn sign_unsigned_calls(parts: &mut [Value]) {
    if parts.iter().any(|p| p.get("thoughtSignature").is_some()) {
        return;
    }
    if let Some(Value::Object(call)) = parts.iter_mut().find(|p| p.get("functionCall").is_some()) {
        call.insert("thoughtSignature".into(), Value::from(SKIP_SIGNATURE));
    }
}

/// A `{text}` part.
fn text_part(text: &str) -> Map<String, Value> {
    let mut wire = Map::new();
    wire.insert("text".into(), Value::from(text));
    wire
}

/// What a canonical thinking part becomes.
enum Thought<'a> {
    /// A `thought: true` part.
    Part(Map<String, Value>),
    /// A signature for the next part.
    Signature(&'a str),
    /// Nothing Gemini can take (redacted or empty reasoning).
    Nothing,
}

/// The wire form of a thinking part.
fn thinking_part(thinking: &Thinking) -> Thought<'_> {
    // Redacted reasoning is another provider's opaque data.
    if thinking.redacted {
        return Thought::Nothing;
    }
    let signature = thinking.signature.as_deref().filter(|s| !s.is_empty());
    if thinking.text.is_empty() {
        return signature.map_or(Thought::Nothing, Thought::Signature);
    }
    let mut wire = text_part(&thinking.text);
    wire.insert("thought".into(), Value::Bool(true));
    if let Some(signature) = signature {
        wire.insert("thoughtSignature".into(), Value::from(signature));
    }
    Thought::Part(wire)
}

/// A `functionCall` part; the arguments must be a JSON object.
fn function_call_part(call: &ToolCall) -> Result<Map<String, Value>, crate::types::Error> {
    let args = if call.arguments.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_str::<Value>(&call.arguments).map_err(|e| {
            error::invalid_request(format!(
                "tool call `{}` has arguments that are not valid JSON: {e}",
                call.name
            ))
        })?
    };
    if !args.is_object() {
        return Err(error::invalid_request(format!(
            "tool call `{}` has arguments that are not a JSON object",
            call.name
        )));
    }
    let mut function = Map::new();
    if !call.id.is_empty() {
        function.insert("id".into(), Value::from(call.id.as_str()));
    }
    function.insert("name".into(), Value::from(call.name.as_str()));
    function.insert("args".into(), args);
    let mut wire = Map::new();
    wire.insert("functionCall".into(), Value::Object(function));
    Ok(wire)
}

/// A `functionResponse` part. Text that is a JSON object is the response
/// itself; other text is `{"result": …}` (`{"error": …}` for a failed
/// tool). Images ride in `functionResponse.parts`.
fn function_response_part(
    result: &ToolResult,
    name: &str,
) -> Result<Map<String, Value>, crate::types::Error> {
    let mut text = String::new();
    let mut media = Vec::new();
    for part in &result.content {
        match part {
            ToolResultPart::Text(t) => text.push_str(t),
            ToolResultPart::Image(image) => media.push(Value::Object(image_part(image)?)),
        }
    }
    let response = if result.is_error {
        json!({"error": text})
    } else {
        match serde_json::from_str::<Value>(&text) {
            Ok(object @ Value::Object(_)) => object,
            _ => json!({"result": text}),
        }
    };
    let mut function = Map::new();
    if !result.call_id.is_empty() {
        function.insert("id".into(), Value::from(result.call_id.as_str()));
    }
    function.insert("name".into(), Value::from(name));
    function.insert("response".into(), response);
    if !media.is_empty() {
        function.insert("parts".into(), Value::Array(media));
    }
    let mut wire = Map::new();
    wire.insert("functionResponse".into(), Value::Object(function));
    Ok(wire)
}

/// An `inlineData` part (base64 bytes or a `data:` URL) or a `fileData`
/// part (any other URL). Gemini has no per-image detail hint on this API
/// version, so `detail` is dropped.
pub fn image_part(image: &Image) -> Result<Map<String, Value>, crate::types::Error> {
    let mut wire = Map::new();
    match &image.source {
        ImageSource::Base64(data) => {
            let mime = image
                .media_type
                .clone()
                .unwrap_or_else(|| sniff_mime(data).to_string());
            wire.insert("inlineData".into(), json!({"mimeType": mime, "data": data}));
        }
        ImageSource::Url(url) if url.starts_with("data:") => {
            let (mime, data) = parse_data_url(url).ok_or_else(|| {
                error::invalid_request("image data URL is not a base64 `data:` URL")
            })?;
            let mime = image.media_type.as_deref().unwrap_or(mime);
            wire.insert("inlineData".into(), json!({"mimeType": mime, "data": data}));
        }
        ImageSource::Url(url) => {
            let mut file = Map::new();
            if let Some(mime) = image.media_type.as_deref().or_else(|| guess_mime(url)) {
                file.insert("mimeType".into(), Value::from(mime));
            }
            file.insert("fileUri".into(), Value::from(url.as_str()));
            wire.insert("fileData".into(), Value::Object(file));
        }
    }
    Ok(wire)
}

/// `(media type, base64 data)` of a `data:<type>;base64,<data>` URL.
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    let mime = if mime.is_empty() {
        sniff_mime(data)
    } else {
        mime
    };
    Some((mime, data))
}

/// The image type from the first bytes of base64 data (PNG when unknown).
fn sniff_mime(data: &str) -> &'static str {
    const SIGNATURES: &[(&str, &str)] = &[
        ("iVBORw0KGgo", "image/png"),
        ("/9j/", "image/jpeg"),
        ("R0lGOD", "image/gif"),
        ("UklGR", "image/webp"),
    ];
    SIGNATURES
        .iter()
        .find(|(prefix, _)| data.starts_with(prefix))
        .map_or("image/png", |(_, mime)| mime)
}

/// The image type a URL's file extension names.
fn guess_mime(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorKind;

    fn msg(role: Role, content: Vec<ContentPart>) -> Message {
        Message {
            role,
            content,
            name: None,
            extra: None,
        }
    }

    fn text(t: &str) -> ContentPart {
        ContentPart::Text(t.into())
    }

    fn thinking(text: &str, signature: Option<&str>) -> ContentPart {
        ContentPart::Thinking(Thinking {
            text: text.into(),
            signature: signature.map(Into::into),
            redacted: false,
        })
    }

    fn call(id: &str, name: &str, arguments: &str) -> ContentPart {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        })
    }

    fn result(call_id: &str, content: Vec<ToolResultPart>, is_error: bool) -> ContentPart {
        ContentPart::ToolResult(ToolResult {
            call_id: call_id.into(),
            content,
            is_error,
        })
    }

    fn map(messages: &[Message]) -> Conversation {
        map_messages(messages).unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    #[test]
    fn system_roles_and_merging() {
        let c = map(&[
            msg(Role::System, vec![text("be nice")]),
            msg(Role::User, vec![text("hi")]),
            msg(Role::Developer, vec![text("dev"), thinking("x", None)]),
            msg(Role::User, vec![text("again")]),
            msg(Role::Assistant, vec![text("hello")]),
            msg(Role::Assistant, vec![text("more")]),
            msg(Role::User, vec![]),
        ]);
        assert_eq!(
            c.system_instruction,
            Some(json!({"parts": [{"text": "be nice"}, {"text": "dev"}]}))
        );
        assert_eq!(
            c.contents,
            vec![
                json!({"role": "user", "parts": [{"text": "hi"}, {"text": "again"}]}),
                json!({"role": "model", "parts": [{"text": "hello"}, {"text": "more"}]}),
            ]
        );
    }

    #[test]
    fn tool_round_trip_with_signatures() {
        let c = map(&[
            msg(Role::User, vec![text("weather?")]),
            msg(
                Role::Assistant,
                vec![
                    thinking("plan", None),
                    thinking("", Some("sig-1")),
                    call("c1", "get_weather", r#"{"city":"Paris"}"#),
                    call("", "get_time", ""),
                ],
            ),
            msg(
                Role::Tool,
                vec![result(
                    "c1",
                    vec![ToolResultPart::Text(r#"{"temp": 22}"#.into())],
                    false,
                )],
            ),
            msg(
                Role::Tool,
                vec![result("", vec![ToolResultPart::Text("boom".into())], true)],
            ),
            msg(Role::User, vec![text("thanks")]),
        ]);
        assert_eq!(
            c.contents,
            vec![
                json!({"role": "user", "parts": [{"text": "weather?"}]}),
                json!({"role": "model", "parts": [
                    {"text": "plan", "thought": true},
                    {"functionCall": {"id": "c1", "name": "get_weather", "args": {"city": "Paris"}},
                     "thoughtSignature": "sig-1"},
                    {"functionCall": {"name": "get_time", "args": {}}},
                ]}),
                json!({"role": "user", "parts": [
                    {"functionResponse": {"id": "c1", "name": "get_weather", "response": {"temp": 22}}},
                    {"functionResponse": {"name": "get_time", "response": {"error": "boom"}}},
                    {"text": "thanks"},
                ]}),
            ]
        );
    }

    #[test]
    fn plain_text_result_and_images_in_results() {
        let c = map(&[
            msg(Role::Assistant, vec![call("a", "shot", "{}")]),
            msg(
                Role::User,
                vec![result(
                    "a",
                    vec![
                        ToolResultPart::Text("see ".into()),
                        ToolResultPart::Text("[1,2]".into()),
                        ToolResultPart::Image(Image {
                            source: ImageSource::Base64("/9j/AAA".into()),
                            media_type: None,
                            detail: Some("high".into()),
                        }),
                    ],
                    false,
                )],
            ),
        ]);
        assert_eq!(
            c.contents[1],
            json!({"role": "user", "parts": [{"functionResponse": {
                "id": "a", "name": "shot", "response": {"result": "see [1,2]"},
                "parts": [{"inlineData": {"mimeType": "image/jpeg", "data": "/9j/AAA"}}],
            }}]})
        );
    }

    #[test]
    fn unsigned_calls_get_the_dummy_signature() {
        let c = map(&[
            msg(Role::User, vec![text("go")]),
            msg(
                Role::Assistant,
                vec![text("ok"), call("x", "f", "{}"), call("y", "g", "{}")],
            ),
            msg(
                Role::Tool,
                vec![result("x", vec![], false), result("y", vec![], false)],
            ),
        ]);
        assert_eq!(
            c.contents[1]["parts"],
            json!([
                {"text": "ok"},
                {"functionCall": {"id": "x", "name": "f", "args": {}}, "thoughtSignature": SKIP_SIGNATURE},
                {"functionCall": {"id": "y", "name": "g", "args": {}}},
            ])
        );
        assert_eq!(
            c.contents[2]["parts"][0],
            json!({"functionResponse": {"id": "x", "name": "f", "response": {"result": ""}}})
        );
    }

    #[test]
    fn trailing_signature_and_redacted_thinking() {
        let c = map(&[msg(
            Role::Assistant,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "opaque".into(),
                    signature: None,
                    redacted: true,
                }),
                thinking("why", Some("s0")),
                text("answer"),
                thinking("", Some("s1")),
            ],
        )]);
        assert_eq!(
            c.contents,
            vec![json!({"role": "model", "parts": [
                {"text": "why", "thought": true, "thoughtSignature": "s0"},
                {"text": "answer"},
                {"text": "", "thoughtSignature": "s1"},
            ]})]
        );
        // A message of only dropped parts leaves no empty turn behind.
        let c = map(&[msg(
            Role::Assistant,
            vec![
                thinking("", None),
                ContentPart::Thinking(Thinking {
                    text: "x".into(),
                    signature: None,
                    redacted: true,
                }),
            ],
        )]);
        assert!(c.contents.is_empty());
    }

    #[test]
    fn parts_extra_and_message_extra_are_restored() {
        let mut m = msg(
            Role::Assistant,
            vec![text("a"), thinking("", Some("s")), call("c", "f", "{}")],
        );
        m.extra = Some(
            r#"{"anthropic": {"$parts": [{"cache_control": {}}]},
                "gemini": {"$parts": [{"videoMetadata": {"fps": 1}}, {"partMetadata": {"k": 1}}, {"thoughtSignature": "nope", "x": 2}],
                           "custom": true}}"#
                .into(),
        );
        let c = map(&[m]);
        assert_eq!(
            c.contents,
            vec![json!({"role": "model", "custom": true, "parts": [
                {"text": "a", "videoMetadata": {"fps": 1}},
                {"functionCall": {"id": "c", "name": "f", "args": {}},
                 "thoughtSignature": "s", "partMetadata": {"k": 1}, "x": 2},
            ]})]
        );
    }

    #[test]
    fn images() {
        let img = |source: ImageSource, media_type: Option<&str>| {
            image_part(&Image {
                source,
                media_type: media_type.map(Into::into),
                detail: None,
            })
            .map(Value::Object)
        };
        assert_eq!(
            img(ImageSource::Base64("iVBORw0KGgoAAA".into()), None),
            Ok(json!({"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAA"}}))
        );
        assert_eq!(
            img(
                ImageSource::Url("data:image/webp;base64,UklGRxx".into()),
                None
            ),
            Ok(json!({"inlineData": {"mimeType": "image/webp", "data": "UklGRxx"}}))
        );
        assert_eq!(
            img(ImageSource::Url("https://x/cat.JPG?s=1".into()), None),
            Ok(json!({"fileData": {"mimeType": "image/jpeg", "fileUri": "https://x/cat.JPG?s=1"}}))
        );
        assert_eq!(
            img(ImageSource::Url("gs://b/o".into()), Some("image/gif")),
            Ok(json!({"fileData": {"mimeType": "image/gif", "fileUri": "gs://b/o"}}))
        );
        assert_eq!(
            img(ImageSource::Url("https://x/noext".into()), None),
            Ok(json!({"fileData": {"fileUri": "https://x/noext"}}))
        );
        let bad = img(ImageSource::Url("data:text/plain,hello".into()), None);
        assert_eq!(bad.map_err(|e| e.kind), Err(ErrorKind::InvalidRequest));
    }

    #[test]
    fn bad_arguments_are_invalid_requests() {
        for args in ["{oops", "[1,2]", "3"] {
            let e = map_messages(&[msg(Role::Assistant, vec![call("c", "f", args)])]);
            match e {
                Err(e) => {
                    assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, 400));
                    assert!(e.message.contains("`f`"), "{}", e.message);
                }
                Ok(c) => panic!("expected an error for {args}, got {c:?}"),
            }
        }
    }
}
