//! The whole-answer path.

use crate::types::{ContentPart, Error, FinishReason, Response};
use crate::verdict::{Judge, Outcome};

/// Judge every shell call in `resp`: blocked calls become text in their
/// place, a rejected one fails the answer. Without tool calls the answer
/// is returned as it came.
pub fn guard(judge: &mut Judge, mut resp: Response) -> Result<Response, Error> {
    let shell_call = resp
        .content
        .iter()
        .any(|p| matches!(p, ContentPart::ToolCall(c) if judge.is_shell(&c.name)));
    if !shell_call {
        return Ok(resp);
    }
    let mut content: Vec<ContentPart> = Vec::with_capacity(resp.content.len());
    let (mut kept, mut blocked, mut text_before) = (0, 0, false);
    for part in std::mem::take(&mut resp.content) {
        match part {
            ContentPart::ToolCall(call) if judge.is_shell(&call.name) => {
                match judge.decide(&call.id, &call.name, &call.arguments)? {
                    Outcome::Pass => {
                        kept += 1;
                        content.push(ContentPart::ToolCall(call));
                    }
                    Outcome::Replace(text) => {
                        blocked += 1;
                        let text = if text_before {
                            format!("\n\n{text}")
                        } else {
                            text
                        };
                        text_before = true;
                        match content.last_mut() {
                            Some(ContentPart::Text(last)) => last.push_str(&text),
                            _ => content.push(ContentPart::Text(text)),
                        }
                    }
                    Outcome::Fail(e) => return Err(e),
                }
            }
            ContentPart::ToolCall(call) => {
                kept += 1;
                content.push(ContentPart::ToolCall(call));
            }
            ContentPart::Text(t) => {
                text_before |= !t.is_empty();
                content.push(ContentPart::Text(t));
            }
            other => content.push(other),
        }
    }
    resp.content = content;
    if blocked > 0 && kept == 0 && resp.finish_reason == Some(FinishReason::ToolCalls) {
        resp.finish_reason = Some(FinishReason::Stop);
    }
    Ok(resp)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::types::{Thinking, ToolCall};
    use crate::verdict::tests::judge;

    /// A call part.
    pub fn call(id: &str, name: &str, args: &str) -> ContentPart {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: args.into(),
        })
    }

    /// A response with `content`.
    pub fn response(content: Vec<ContentPart>, finish: FinishReason) -> Response {
        Response {
            id: "r".into(),
            model: "m".into(),
            created: Some(1),
            content,
            finish_reason: Some(finish),
            usage: None,
            extra: None,
        }
    }

    #[test]
    fn no_calls_no_change() {
        let mut j = judge("{}");
        let resp = response(
            vec![ContentPart::Text("rm -rf / is bad".into())],
            FinishReason::Stop,
        );
        assert_eq!(guard(&mut j, resp.clone()), Ok(resp));
    }

    #[test]
    fn blocked_call_becomes_text() {
        let mut j = judge("{}");
        let resp = response(
            vec![
                ContentPart::Text("Cleaning up.".into()),
                call("c1", "Bash", r#"{"command": "rm -rf ~"}"#),
            ],
            FinishReason::ToolCalls,
        );
        let out = guard(&mut j, resp).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(out.content.len(), 1);
        let ContentPart::Text(t) = &out.content[0] else {
            panic!("not text")
        };
        assert!(
            t.starts_with("Cleaning up.\n\n[command-guard] Blocked a `Bash` tool call"),
            "{t}"
        );
        assert_eq!(out.finish_reason, Some(FinishReason::Stop));
    }

    #[test]
    fn other_calls_stay_and_keep_the_finish_reason() {
        let mut j = judge("{}");
        let thinking = ContentPart::Thinking(Thinking {
            text: "t".into(),
            signature: None,
            redacted: false,
        });
        let resp = response(
            vec![
                thinking.clone(),
                call("c1", "Bash", r#"{"command": "git push -f origin main"}"#),
                call("c2", "Read", r#"{"path": "rm -rf /"}"#),
                call("c3", "Bash", r#"{"command": "cargo test"}"#),
            ],
            FinishReason::ToolCalls,
        );
        let out = guard(&mut j, resp).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(out.content.len(), 4);
        assert_eq!(out.content[0], thinking);
        assert!(matches!(&out.content[1], ContentPart::Text(t) if t.contains("git-force-push")));
        assert_eq!(
            out.content[2],
            call("c2", "Read", r#"{"path": "rm -rf /"}"#)
        );
        assert_eq!(
            out.content[3],
            call("c3", "Bash", r#"{"command": "cargo test"}"#)
        );
        assert_eq!(out.finish_reason, Some(FinishReason::ToolCalls));
    }

    #[test]
    fn reject_fails_the_answer() {
        let mut j = judge(r#"{"action": "reject"}"#);
        let resp = response(
            vec![call(
                "c1",
                "shell",
                r#"{"command": ["bash", "-lc", "mkfs.ext4 /dev/sda1"]}"#,
            )],
            FinishReason::ToolCalls,
        );
        let e = guard(&mut j, resp)
            .err()
            .unwrap_or_else(|| panic!("passed"));
        assert_eq!(e.status, 400);
        assert!(e.message.contains("`mkfs`"), "{}", e.message);
    }
}
