//! Canonical response → Response object JSON.

use serde_json::Value;

use super::output::{Shell, function_call_item, message_item, reasoning_item};
use super::request::Echo;
use super::{Status, call_id, failure_json, fresh_id, item_id, now_secs, response_id};
use crate::canonical::{ContentPart, ErrorKind, Response};

/// Encode a whole response as JSON text. `model` is used when the upstream
/// named none; `echo` is what the Response object repeats from the request.
pub fn encode_response(resp: &Response, model: &str, echo: &Echo) -> Vec<u8> {
    let id = response_id(&resp.id, fresh_id);
    let model = if resp.model.is_empty() {
        model
    } else {
        &resp.model
    };
    let created_at = resp.created.unwrap_or_else(now_secs);
    let shell = Shell::new(echo, resp.extra.as_deref(), &id, created_at, model);
    let status = Status::from_finish(resp.finish_reason.as_ref());
    let item_status = status.item_status();

    let mut output = Vec::new();
    // Consecutive text parts make one message item.
    let mut text: Option<String> = None;
    let flush = |text: &mut Option<String>, output: &mut Vec<Value>| {
        if let Some(text) = text.take() {
            let item = message_item(&item_id("msg", &id, output.len()), Some(&text), item_status);
            output.push(item);
        }
    };
    for part in &resp.content {
        match part {
            ContentPart::Text(t) => text.get_or_insert_with(String::new).push_str(t),
            ContentPart::Thinking(t) => {
                flush(&mut text, &mut output);
                // Redacted reasoning has no Responses form; a thinking part
                // with neither text nor signature says nothing.
                if !t.redacted && (!t.text.is_empty() || t.signature.is_some()) {
                    let item_id = item_id("rs", &id, output.len());
                    output.push(reasoning_item(&item_id, &t.text, t.signature.as_deref()));
                }
            }
            ContentPart::ToolCall(call) => {
                flush(&mut text, &mut output);
                let index = output.len();
                let call_id = if call.id.is_empty() {
                    call_id(&id, index)
                } else {
                    call.id.clone()
                };
                let arguments = if call.arguments.is_empty() {
                    "{}"
                } else {
                    &call.arguments
                };
                output.push(function_call_item(
                    &item_id("fc", &id, index),
                    &call_id,
                    &call.name,
                    arguments,
                    item_status,
                ));
            }
            ContentPart::Image(_) | ContentPart::ToolResult(_) => {}
        }
    }
    flush(&mut text, &mut output);
    let error = if status == Status::Failed {
        failure_json(ErrorKind::Upstream, "the upstream stopped with an error")
    } else {
        Value::Null
    };
    let body = shell.render(
        status.name(),
        status.incomplete_details(),
        error,
        &output,
        resp.usage.as_ref(),
    );
    let mut out = Vec::new();
    body.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::canonical::{FinishReason, Thinking, ToolCall, Usage};

    /// The encoded answer as a tree.
    fn encode(resp: &Response, echo: &Echo) -> Value {
        serde_json::from_slice(&encode_response(resp, "m", echo)).unwrap_or_default()
    }

    fn response(content: Vec<ContentPart>, finish: FinishReason) -> Response {
        Response {
            id: "chatcmpl-1".into(),
            model: String::new(),
            created: Some(7),
            content,
            finish_reason: Some(finish),
            usage: Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(2),
                cache_write_tokens: None,
                reasoning_tokens: Some(1),
            }),
            extra: Some(r#"{"openai-chat":{"system_fingerprint":"fp"},"openai-responses":{"service_tier":"default"}}"#.into()),
        }
    }

    #[test]
    fn full_response_object() {
        let content = vec![
            ContentPart::Thinking(Thinking {
                text: "hmm".into(),
                signature: Some("sig".into()),
                redacted: false,
            }),
            ContentPart::Text("Hello ".into()),
            ContentPart::Text("world".into()),
            ContentPart::ToolCall(ToolCall {
                id: "call_1".into(),
                name: "f".into(),
                arguments: "{\"a\":1}".into(),
            }),
            ContentPart::ToolCall(ToolCall {
                id: String::new(),
                name: "g".into(),
                arguments: String::new(),
            }),
        ];
        let echo = Echo {
            tools: Some(r#"[{"type": "function", "name": "f"}]"#.to_owned().into()),
            ..Echo::default()
        };
        let body = encode(&response(content, FinishReason::ToolCalls), &echo);
        for key in [
            "id",
            "object",
            "created_at",
            "status",
            "error",
            "incomplete_details",
            "instructions",
            "max_output_tokens",
            "model",
            "output",
            "parallel_tool_calls",
            "previous_response_id",
            "reasoning",
            "store",
            "temperature",
            "text",
            "tool_choice",
            "tools",
            "top_p",
            "truncation",
            "usage",
            "user",
            "metadata",
        ] {
            assert!(body.get(key).is_some(), "missing {key}");
        }
        assert_eq!(body["id"], "resp_chatcmpl-1");
        assert_eq!(body["object"], "response");
        assert_eq!(body["created_at"], 7);
        assert_eq!(body["model"], "m");
        assert_eq!(body["status"], "completed");
        assert_eq!(
            body["service_tier"], "default",
            "upstream extra is restored"
        );
        assert!(
            body.get("system_fingerprint").is_none(),
            "other wires stay out"
        );
        assert_eq!(body["tools"][0]["name"], "f");
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(
            body["output"],
            json!([
                {"type": "reasoning", "id": "rs_chatcmpl-1_0", "summary": [{"type": "summary_text", "text": "hmm"}], "encrypted_content": "sig"},
                {"type": "message", "id": "msg_chatcmpl-1_1", "status": "completed", "role": "assistant",
                 "content": [{"type": "output_text", "text": "Hello world", "annotations": [], "logprobs": []}]},
                {"type": "function_call", "id": "fc_chatcmpl-1_2", "call_id": "call_1", "name": "f", "arguments": "{\"a\":1}", "status": "completed"},
                {"type": "function_call", "id": "fc_chatcmpl-1_3", "call_id": "call_chatcmpl-1_3", "name": "g", "arguments": "{}", "status": "completed"}
            ])
        );
        assert_eq!(
            body["usage"],
            json!({"input_tokens": 10, "input_tokens_details": {"cached_tokens": 2, "cache_write_tokens": 0},
                   "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 1}, "total_tokens": 15})
        );
    }

    #[test]
    fn length_and_filter_are_incomplete_and_ids_are_kept() {
        let mut resp = response(vec![ContentPart::Text("cut".into())], FinishReason::Length);
        resp.id = "resp_abc".into();
        resp.model = "up".into();
        let body = encode(&resp, &Echo::default());
        assert_eq!(body["id"], "resp_abc");
        assert_eq!(body["model"], "up");
        assert_eq!(body["status"], "incomplete");
        assert_eq!(
            body["incomplete_details"],
            json!({"reason": "max_output_tokens"})
        );
        assert_eq!(body["output"][0]["status"], "incomplete");
        assert_eq!(body["output"][0]["id"], "msg_abc_0");

        let resp = response(vec![], FinishReason::ContentFilter);
        let body = encode(&resp, &Echo::default());
        assert_eq!(body["incomplete_details"]["reason"], "content_filter");
        assert_eq!(body["output"], json!([]));

        let mut resp = response(vec![], FinishReason::Error);
        resp.id = String::new();
        resp.usage = None;
        let body = encode(&resp, &Echo::default());
        assert_eq!(body["status"], "failed");
        assert_eq!(body["error"]["code"], "server_error");
        assert_eq!(body["usage"], Value::Null);
        assert!(
            body["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("resp_wg"))
        );
    }
}
