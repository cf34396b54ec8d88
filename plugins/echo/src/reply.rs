//! Building echo's local answer to a request.

use serde_json::json;

use crate::types::{ContentPart, HttpResponse, Request, Role, ToolResultPart};

/// The last user message text that makes echo fail on purpose.
pub const FAIL_TRIGGER: &str = "!error";

/// The local HTTP response echo answers `req` with: a small JSON body the
/// rest of this plugin knows how to read.
pub fn local_answer(req: &Request, model: &str, now_ms: u64) -> HttpResponse {
    let last = last_user_text(req);
    if last.trim() == FAIL_TRIGGER {
        return json_response(
            400,
            json!({"error": {"message": "echo was asked to fail"}}).to_string(),
        );
    }
    let reply = reply_text(&last);
    let body = json!({
        "id": format!("echo-{now_ms}"),
        "model": model,
        "text": reply,
        "input_tokens": word_count(&all_text(req)),
        "output_tokens": word_count(&reply),
    });
    json_response(200, body.to_string())
}

/// What echo says back to a user message with this text.
pub fn reply_text(last_user_text: &str) -> String {
    if last_user_text.trim().is_empty() {
        "echo: (no text)".to_string()
    } else {
        format!("echo: {last_user_text}")
    }
}

/// The text parts of the last user message, joined with spaces.
pub fn last_user_text(req: &Request) -> String {
    req.messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| {
            m.content
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Every piece of text in the request (message text and tool results).
fn all_text(req: &Request) -> String {
    let mut pieces: Vec<&str> = Vec::new();
    for message in &req.messages {
        for part in &message.content {
            match part {
                ContentPart::Text(t) => pieces.push(t),
                ContentPart::ToolResult(r) => {
                    pieces.extend(r.content.iter().filter_map(|p| match p {
                        ToolResultPart::Text(t) => Some(t.as_str()),
                        ToolResultPart::Image(_) => None,
                    }))
                }
                _ => {}
            }
        }
    }
    pieces.join(" ")
}

/// The number of whitespace-separated words in `text`.
pub fn word_count(text: &str) -> u64 {
    u64::try_from(text.split_whitespace().count()).unwrap_or(u64::MAX)
}

/// A JSON HTTP response.
fn json_response(status: u16, body: String) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, Sampling};
    use serde_json::Value;

    fn request(texts: &[(Role, &str)]) -> Request {
        Request {
            model: "echo".into(),
            messages: texts
                .iter()
                .map(|(role, text)| Message {
                    role: *role,
                    content: vec![ContentPart::Text((*text).into())],
                    name: None,
                    extra: None,
                })
                .collect(),
            tools: vec![],
            tool_choice: None,
            parallel_tool_calls: None,
            sampling: Sampling {
                max_tokens: None,
                temperature: None,
                top_p: None,
                stop: vec![],
                seed: None,
            },
            stream: false,
            reasoning: None,
            extra: None,
        }
    }

    #[test]
    fn echoes_the_last_user_message() {
        let req = request(&[
            (Role::System, "be brief"),
            (Role::User, "first"),
            (Role::Assistant, "ok"),
            (Role::User, "hello there"),
        ]);
        let resp = local_answer(&req, "echo-model", 1234);
        assert_eq!(resp.status, 200);
        let body: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        assert_eq!(
            body,
            json!({"id": "echo-1234", "model": "echo-model", "text": "echo: hello there",
                   "input_tokens": 6, "output_tokens": 3})
        );
    }

    #[test]
    fn no_text() {
        let req = request(&[(Role::System, "only system")]);
        let body: Value =
            serde_json::from_slice(&local_answer(&req, "m", 1).body).unwrap_or_default();
        assert_eq!(body["text"], json!("echo: (no text)"));
    }

    #[test]
    fn asked_to_fail() {
        let resp = local_answer(&request(&[(Role::User, "!error")]), "m", 1);
        assert_eq!(resp.status, 400);
        let body: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        assert_eq!(body["error"]["message"], json!("echo was asked to fail"));
    }
}
