//! A whole (non-streamed) `/api/chat` answer to a canonical response, and
//! the field mappings the stream decoder shares.

use serde_json::{Map, Value};

use crate::types::{
    ContentPart, Error, FinishReason, HttpResponse, Response, Thinking, ToolCall, Usage,
};
use crate::{error, time};

/// Key of this plugin's fields in `extra` (no front-end restores it; it is
/// there for filters and logs).
pub const WIRE: &str = "ollama";

/// Timing fields Ollama reports on its last object, kept in `extra`.
const DURATIONS: &[&str] = &[
    "total_duration",
    "load_duration",
    "prompt_eval_duration",
    "eval_duration",
];

/// The canonical response, or the typed error for a failed request.
/// `call_offset` numbers the answer's tool calls (see
/// [`crate::request::call_offset`]); `now_ms` stands in for a missing
/// `created_at`.
pub fn parse_response(
    resp: &HttpResponse,
    call_offset: u32,
    now_ms: u64,
) -> Result<Response, Error> {
    if !(200..=299).contains(&resp.status) {
        return Err(error::from_http(resp.status, &resp.body));
    }
    let json: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| error::upstream(format!("upstream sent invalid JSON: {e}"), 502, false))?;
    if !json.is_object() {
        return Err(error::upstream(
            "upstream sent a JSON value that is not an object",
            502,
            false,
        ));
    }
    if let Some(message) = error::error_message(&json) {
        return Err(error::upstream(message, 502, false));
    }

    let message = json.get("message").unwrap_or(&Value::Null);
    let mut content = Vec::new();
    if let Some(thinking) = non_empty_str(message, "thinking") {
        content.push(ContentPart::Thinking(Thinking {
            text: thinking.to_string(),
            signature: None,
            redacted: false,
        }));
    }
    if let Some(text) = non_empty_str(message, "content") {
        content.push(ContentPart::Text(text.to_string()));
    }
    let calls = tool_calls(message);
    let has_calls = !calls.is_empty();
    content.extend(calls.into_iter().enumerate().map(|(i, (name, arguments))| {
        ContentPart::ToolCall(ToolCall {
            id: call_id(call_offset, i),
            name,
            arguments,
        })
    }));

    let created_ms = created_ms(&json);
    Ok(Response {
        id: time::answer_id(created_ms.unwrap_or(now_ms)),
        model: json
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        created: created_ms.map(|ms| ms / 1000),
        content,
        finish_reason: Some(finish_reason(
            json.get("done_reason").and_then(Value::as_str),
            has_calls,
        )),
        usage: usage(&json),
        extra: durations(&json),
    })
}

/// `created_at` in Unix milliseconds, when present and well-formed.
pub fn created_ms(json: &Value) -> Option<u64> {
    json.get("created_at")
        .and_then(Value::as_str)
        .and_then(time::unix_ms)
}

/// The id of the answer's `index`-th tool call: Ollama has none, so one is
/// made up, numbered from `offset`.
pub fn call_id(offset: u32, index: usize) -> String {
    format!("call_{}", u64::from(offset) + index as u64)
}

/// The `(name, arguments JSON text)` of each `message.tool_calls` entry.
/// Ollama sends arguments as an object; a string is kept as it is.
pub fn tool_calls(message: &Value) -> Vec<(String, String)> {
    let Some(calls) = message.get("tool_calls").and_then(Value::as_array) else {
        return Vec::new();
    };
    calls
        .iter()
        .map(|call| {
            let function = call.get("function").unwrap_or(&Value::Null);
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let arguments = match function.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => "{}".to_string(),
                Some(other) => other.to_string(),
            };
            (name, arguments)
        })
        .collect()
}

/// The canonical finish reason for `done_reason`. Ollama says `stop` when
/// the model called tools, so that becomes `tool-calls` when it did.
pub fn finish_reason(done_reason: Option<&str>, has_calls: bool) -> FinishReason {
    match done_reason {
        Some("length") => FinishReason::Length,
        Some("stop") | Some("") | None if has_calls => FinishReason::ToolCalls,
        Some("stop") | Some("") | None => FinishReason::Stop,
        Some(other) => FinishReason::Other(other.to_string()),
    }
}

/// Usage from `prompt_eval_count` (input) and `eval_count` (output); `None`
/// when Ollama sent neither.
pub fn usage(json: &Value) -> Option<Usage> {
    let input = json.get("prompt_eval_count").and_then(Value::as_u64);
    let output = json.get("eval_count").and_then(Value::as_u64);
    if input.is_none() && output.is_none() {
        return None;
    }
    Some(Usage {
        input_tokens: input.unwrap_or(0),
        output_tokens: output.unwrap_or(0),
        cached_input_tokens: None,
        cache_write_tokens: None,
        reasoning_tokens: None,
    })
}

/// Ollama's timings as `{"ollama": {...}}` extra text, when it sent any.
fn durations(json: &Value) -> Option<String> {
    let fields: Map<String, Value> = DURATIONS
        .iter()
        .filter_map(|key| json.get(*key).map(|v| ((*key).to_string(), v.clone())))
        .collect();
    if fields.is_empty() {
        return None;
    }
    let mut extra = Map::new();
    extra.insert(WIRE.into(), Value::Object(fields));
    Some(Value::Object(extra).to_string())
}

/// `json[key]` when it is a non-empty string.
pub fn non_empty_str<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorKind;
    use serde_json::json;

    fn parse(status: u16, body: &Value) -> Result<Response, Error> {
        parse_response(
            &HttpResponse {
                status,
                headers: vec![],
                body: body.to_string().into_bytes(),
            },
            0,
            42_000,
        )
    }

    fn ok(body: &Value) -> Response {
        parse(200, body).unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    #[test]
    fn text_answer() {
        let r = ok(&json!({
            "model": "llama3.2",
            "created_at": "2023-08-04T19:22:45.499127Z",
            "message": {"role": "assistant", "content": "Hello!"},
            "done": true,
            "done_reason": "stop",
            "total_duration": 5_191_566_416u64,
            "prompt_eval_count": 26,
            "eval_count": 298,
        }));
        assert_eq!(
            r,
            Response {
                id: "ollama-1691176965499".into(),
                model: "llama3.2".into(),
                created: Some(1_691_176_965),
                content: vec![ContentPart::Text("Hello!".into())],
                finish_reason: Some(FinishReason::Stop),
                usage: Some(Usage {
                    input_tokens: 26,
                    output_tokens: 298,
                    cached_input_tokens: None,
                    cache_write_tokens: None,
                    reasoning_tokens: None,
                }),
                extra: Some(r#"{"ollama":{"total_duration":5191566416}}"#.into()),
            }
        );
    }

    #[test]
    fn thinking_and_tool_calls() {
        let body = json!({
            "model": "qwen3",
            "message": {"role": "assistant", "content": "", "thinking": "need weather",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                    {"function": {"name": "get_time", "arguments": "{\"tz\":\"CET\"}"}},
                    {"function": {"name": "noop"}},
                ]},
            "done": true, "done_reason": "stop",
        });
        let r = parse_response(
            &HttpResponse {
                status: 200,
                headers: vec![],
                body: body.to_string().into_bytes(),
            },
            4,
            42_000,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            r.content,
            vec![
                ContentPart::Thinking(Thinking {
                    text: "need weather".into(),
                    signature: None,
                    redacted: false,
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_4".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into(),
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_5".into(),
                    name: "get_time".into(),
                    arguments: r#"{"tz":"CET"}"#.into(),
                }),
                ContentPart::ToolCall(ToolCall {
                    id: "call_6".into(),
                    name: "noop".into(),
                    arguments: "{}".into(),
                }),
            ]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!((r.usage, r.extra, r.created), (None, None, None));
        assert_eq!(r.id, "ollama-42000");
    }

    #[test]
    fn finish_reasons() {
        assert_eq!(finish_reason(Some("length"), false), FinishReason::Length);
        assert_eq!(finish_reason(Some("length"), true), FinishReason::Length);
        assert_eq!(finish_reason(Some("stop"), false), FinishReason::Stop);
        assert_eq!(finish_reason(None, true), FinishReason::ToolCalls);
        assert_eq!(
            finish_reason(Some("unload"), false),
            FinishReason::Other("unload".into())
        );
    }

    #[test]
    fn errors() {
        let e = parse(
            404,
            &json!({"error": "model \"x\" not found, try pulling it first"}),
        )
        .err()
        .unwrap_or_else(|| panic!("no error"));
        assert_eq!((e.kind, e.status), (ErrorKind::NotFound, 404));
        assert_eq!(e.message, "model \"x\" not found, try pulling it first");

        let e = parse(200, &json!({"error": "boom"})).err();
        assert_eq!(
            e.map(|e| (e.kind, e.status)),
            Some((ErrorKind::Upstream, 502))
        );

        let e = parse_response(
            &HttpResponse {
                status: 200,
                headers: vec![],
                body: b"{oops".to_vec(),
            },
            0,
            0,
        )
        .err();
        assert!(e.is_some_and(|e| e.message.starts_with("upstream sent invalid JSON")));
        assert!(parse(200, &json!([1])).is_err());
    }
}
