//! Rewriting a whole (non-streamed) answer.

use crate::apply::apply_rule;
use crate::config::Config;
use crate::types::{ContentPart, Response};

/// Apply every rule that targets the answer (`assistant` text, `thinking`)
/// and covers `model`, in order.
pub fn rewrite_response(config: &Config, model: &str, resp: &mut Response) {
    for rule in config.rules.iter().filter(|r| r.scope.covers(model)) {
        if rule.targets.assistant {
            let mut pieces: Vec<&mut String> = resp
                .content
                .iter_mut()
                .filter_map(|p| match p {
                    ContentPart::Text(text) => Some(text),
                    _ => None,
                })
                .collect();
            apply_rule(rule, &mut pieces);
        }
        if rule.targets.thinking {
            let mut pieces: Vec<&mut String> = resp
                .content
                .iter_mut()
                .filter_map(|p| match p {
                    ContentPart::Thinking(th) if !th.redacted => Some(&mut th.text),
                    _ => None,
                })
                .collect();
            apply_rule(rule, &mut pieces);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::types::{FinishReason, Thinking, ToolCall};

    pub(crate) fn response(content: Vec<ContentPart>) -> Response {
        Response {
            id: "r".into(),
            model: "m".into(),
            created: None,
            content,
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            extra: None,
        }
    }

    fn thinking(s: &str) -> ContentPart {
        ContentPart::Thinking(Thinking {
            text: s.into(),
            signature: Some("sig".into()),
            redacted: false,
        })
    }

    fn rewrite(config: &str, model: &str, content: Vec<ContentPart>) -> Vec<ContentPart> {
        let mut resp = response(content);
        rewrite_response(&parse(config).unwrap(), model, &mut resp);
        resp.content
    }

    #[test]
    fn assistant_and_thinking_targets() {
        let call = ContentPart::ToolCall(ToolCall {
            id: "c".into(),
            name: "foo".into(),
            arguments: r#"{"foo": 1}"#.into(),
        });
        let content = vec![
            thinking("I think foo"),
            ContentPart::Text("say foo".into()),
            call.clone(),
        ];
        let out = rewrite(
            r#"{"rules": [{"match": "foo", "target": "assistant", "text": "bar"}]}"#,
            "m",
            content.clone(),
        );
        assert_eq!(
            out,
            vec![
                thinking("I think foo"),
                ContentPart::Text("say bar".into()),
                call.clone()
            ]
        );
        let out = rewrite(
            r#"{"rules": [{"match": "foo", "target": "thinking", "text": "bar"}]}"#,
            "m",
            content.clone(),
        );
        assert_eq!(
            out,
            vec![
                thinking("I think bar"),
                ContentPart::Text("say foo".into()),
                call.clone()
            ]
        );
        // User-side targets leave the answer alone.
        let out = rewrite(
            r#"{"rules": [{"match": "foo", "target": ["user", "system", "tool"], "text": "bar"}]}"#,
            "m",
            content.clone(),
        );
        assert_eq!(out, content);
    }

    #[test]
    fn append_prepend_and_scope() {
        let config = r#"{"rules": [
            {"target": "assistant", "action": "prepend", "text": "[gpt] ", "models": "gpt-*"},
            {"regex": "(?i)sorry", "target": "assistant", "action": "append", "text": " (apology noted)"}
        ]}"#;
        let text = |s: &str| vec![ContentPart::Text(s.into())];
        assert_eq!(rewrite(config, "gpt-4o", text("Hi")), text("[gpt] Hi"));
        assert_eq!(rewrite(config, "claude", text("Hi")), text("Hi"));
        assert_eq!(
            rewrite(config, "claude", text("Sorry!")),
            text("Sorry! (apology noted)")
        );
        assert_eq!(
            rewrite(config, "gpt-4o", vec![]),
            vec![],
            "no text, nothing added"
        );
    }
}
