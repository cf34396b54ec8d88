//! Rewriting a request: rules over the conversation, then system prompts.

use crate::apply::apply_rule;
use crate::config::{Config, Rule, SystemEntry, SystemMode};
use crate::types::{ContentPart, Message, Request, Role, ToolResultPart};

/// Apply every rule and system entry that covers `model` to `req`; true
/// when `req` changed (false lets the filter answer `pass`).
pub fn rewrite_request(config: &Config, model: &str, req: &mut Request) -> bool {
    let mut changed = false;
    for rule in config.rules.iter().filter(|r| r.scope.covers(model)) {
        for message in &mut req.messages {
            changed |= apply_to_message(rule, message);
        }
    }
    for entry in config.system.iter().filter(|e| e.scope.covers(model)) {
        apply_system(entry, &mut req.messages);
        changed = true;
    }
    changed
}

/// Apply `rule` to every text it targets in `message`; true when one changed.
fn apply_to_message(rule: &Rule, message: &mut Message) -> bool {
    let mut changed = false;
    let t = rule.targets;
    let by_role = match message.role {
        Role::System => t.system,
        Role::Developer => t.developer,
        Role::User => t.user,
        Role::Assistant => t.assistant,
        // Plain text in a tool message is tool output too.
        Role::Tool => t.tool,
    };
    if by_role {
        let mut pieces: Vec<&mut String> = message
            .content
            .iter_mut()
            .filter_map(|p| match p {
                ContentPart::Text(text) => Some(text),
                _ => None,
            })
            .collect();
        changed |= apply_rule(rule, &mut pieces);
    }
    if t.thinking && message.role == Role::Assistant {
        let mut pieces: Vec<&mut String> = message
            .content
            .iter_mut()
            .filter_map(|p| match p {
                ContentPart::Thinking(th) if !th.redacted => Some(&mut th.text),
                _ => None,
            })
            .collect();
        changed |= apply_rule(rule, &mut pieces);
    }
    if t.tool {
        // Each tool result is a message of its own for prepend/append.
        for part in &mut message.content {
            if let ContentPart::ToolResult(result) = part {
                let mut pieces: Vec<&mut String> = result
                    .content
                    .iter_mut()
                    .filter_map(|p| match p {
                        ToolResultPart::Text(text) => Some(text),
                        ToolResultPart::Image(_) => None,
                    })
                    .collect();
                changed |= apply_rule(rule, &mut pieces);
            }
        }
    }
    changed
}

/// Is this message part of the system prompt?
fn is_system(m: &Message) -> bool {
    matches!(m.role, Role::System | Role::Developer)
}

/// A new system message holding `text`.
fn system_message(text: &str) -> Message {
    Message {
        role: Role::System,
        content: vec![ContentPart::Text(text.to_string())],
        name: None,
        extra: None,
    }
}

/// Change the system prompt: the system and developer messages at the start
/// of the conversation.
///
/// - `override` drops every system and developer message (wherever it is)
///   and puts one system message with `text` first (none when `text` is
///   empty);
/// - `prepend` adds `text` + separator before the first text of the leading
///   system/developer message, `append` adds separator + `text` after the last
///   text of the last one; with no such message (or no text in it) a new
///   system message is put first.
fn apply_system(entry: &SystemEntry, messages: &mut Vec<Message>) {
    match entry.mode {
        SystemMode::Override => {
            messages.retain(|m| !is_system(m));
            if !entry.text.is_empty() {
                messages.insert(0, system_message(&entry.text));
            }
        }
        SystemMode::Prepend => {
            let first_text = messages.first_mut().filter(|m| is_system(m)).and_then(|m| {
                m.content.iter_mut().find_map(|p| match p {
                    ContentPart::Text(t) => Some(t),
                    _ => None,
                })
            });
            match first_text {
                Some(text) => text.insert_str(0, &format!("{}{}", entry.text, entry.separator)),
                None => messages.insert(0, system_message(&entry.text)),
            }
        }
        SystemMode::Append => {
            let leading = messages.iter().take_while(|m| is_system(m)).count();
            let last_text = leading
                .checked_sub(1)
                .and_then(|i| messages.get_mut(i))
                .and_then(|m| {
                    m.content.iter_mut().rev().find_map(|p| match p {
                        ContentPart::Text(t) => Some(t),
                        _ => None,
                    })
                });
            match last_text {
                Some(text) => {
                    text.push_str(&entry.separator);
                    text.push_str(&entry.text);
                }
                None => messages.insert(leading, system_message(&entry.text)),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
pub(crate) mod tests {
    use super::*;
    use crate::config::parse;
    use crate::types::{Image, ImageSource, Sampling, Thinking, ToolCall, ToolResult};

    pub(crate) fn msg(role: Role, parts: Vec<ContentPart>) -> Message {
        Message {
            role,
            content: parts,
            name: None,
            extra: None,
        }
    }

    pub(crate) fn text(s: &str) -> ContentPart {
        ContentPart::Text(s.into())
    }

    fn request(messages: Vec<Message>) -> Request {
        Request {
            model: "gpt-test".into(),
            messages,
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

    fn rewrite(config: &str, model: &str, messages: Vec<Message>) -> Vec<Message> {
        let config = parse(config).unwrap();
        let mut req = request(messages);
        rewrite_request(&config, model, &mut req);
        req.messages
    }

    #[test]
    fn says_whether_the_request_changed() {
        let config =
            parse(r#"{"rules":[{"match":"colour","target":"user","text":"color"}]}"#).unwrap();
        let mut req = request(vec![msg(Role::User, vec![text("a red car")])]);
        assert!(!rewrite_request(&config, "m", &mut req));
        req.messages
            .push(msg(Role::User, vec![text("what colour?")]));
        assert!(rewrite_request(&config, "m", &mut req));
        assert_eq!(req.messages[1].content, vec![text("what color?")]);
        let system = parse(r#"{"system":[{"text":"Be brief."}]}"#).unwrap();
        assert!(rewrite_request(&system, "m", &mut req));
    }

    fn thinking(s: &str, redacted: bool) -> ContentPart {
        ContentPart::Thinking(Thinking {
            text: s.into(),
            signature: None,
            redacted,
        })
    }

    fn tool_result(id: &str, texts: &[&str]) -> ContentPart {
        ContentPart::ToolResult(ToolResult {
            call_id: id.into(),
            content: texts
                .iter()
                .map(|t| ToolResultPart::Text(t.to_string()))
                .collect(),
            is_error: false,
        })
    }

    fn conversation() -> Vec<Message> {
        vec![
            msg(Role::System, vec![text("sys foo")]),
            msg(Role::Developer, vec![text("dev foo")]),
            msg(
                Role::User,
                vec![text("user foo"), tool_result("c0", &["grouped foo"])],
            ),
            msg(
                Role::Assistant,
                vec![
                    thinking("think foo", false),
                    thinking("foo", true),
                    text("asst foo"),
                    ContentPart::ToolCall(ToolCall {
                        id: "c1".into(),
                        name: "foo".into(),
                        arguments: r#"{"foo":1}"#.into(),
                    }),
                ],
            ),
            msg(
                Role::Tool,
                vec![tool_result("c1", &["tool foo", "more foo"])],
            ),
        ]
    }

    #[test]
    fn targets_pick_their_texts() {
        let only = |target: &str| {
            rewrite(
                &format!(r#"{{"rules": [{{"match": "foo", "target": "{target}", "text": "X"}}]}}"#),
                "m",
                conversation(),
            )
        };
        let m = only("system");
        assert_eq!(m[0].content, vec![text("sys X")]);
        assert_eq!(m[1].content, vec![text("dev foo")]);
        let m = only("developer");
        assert_eq!(
            (m[0].content.clone(), m[1].content.clone()),
            (vec![text("sys foo")], vec![text("dev X")])
        );
        let m = only("user");
        assert_eq!(
            m[2].content,
            vec![text("user X"), tool_result("c0", &["grouped foo"])]
        );
        let m = only("assistant");
        assert_eq!(m[3].content[0], thinking("think foo", false));
        assert_eq!(m[3].content[2], text("asst X"));
        assert!(
            matches!(&m[3].content[3], ContentPart::ToolCall(c) if c.name == "foo" && c.arguments.contains("foo"))
        );
        let m = only("thinking");
        assert_eq!(m[3].content[0], thinking("think X", false));
        assert_eq!(
            m[3].content[1],
            thinking("foo", true),
            "redacted thinking is opaque"
        );
        assert_eq!(m[3].content[2], text("asst foo"));
        let m = only("tool");
        assert_eq!(
            m[2].content,
            vec![text("user foo"), tool_result("c0", &["grouped X"])]
        );
        assert_eq!(m[4].content, vec![tool_result("c1", &["tool X", "more X"])]);
    }

    #[test]
    fn nothing_configured_changes_nothing() {
        assert_eq!(rewrite("{}", "m", conversation()), conversation());
    }

    #[test]
    fn rules_run_in_order() {
        let m = rewrite(
            r#"{"rules": [
                {"match": "a", "target": "user", "text": "b"},
                {"match": "b", "target": "user", "text": "c"},
                {"target": "user", "action": "append", "text": "!"},
                {"match": "c!", "target": "user", "action": "prepend", "text": "> "}
            ]}"#,
            "m",
            vec![msg(Role::User, vec![text("ab")])],
        );
        assert_eq!(m[0].content, vec![text("> cc!")]);
    }

    #[test]
    fn prepend_append_per_message_and_per_tool_result() {
        let m = rewrite(
            r#"{"rules": [
                {"match": "foo", "target": ["user", "tool"], "action": "append", "text": " [seen]"},
                {"target": "tool", "action": "prepend", "text": "RESULT: "}
            ]}"#,
            "m",
            conversation(),
        );
        assert_eq!(
            m[2].content,
            vec![
                text("user foo [seen]"),
                tool_result("c0", &["RESULT: grouped foo [seen]"])
            ]
        );
        assert_eq!(
            m[4].content,
            vec![tool_result("c1", &["RESULT: tool foo", "more foo [seen]"])]
        );
    }

    #[test]
    fn images_and_tool_calls_are_untouched() {
        let image = ContentPart::Image(Image {
            source: ImageSource::Url("http://x/foo.png".into()),
            media_type: None,
            detail: None,
        });
        let m = rewrite(
            r#"{"rules": [{"match": "foo", "target": "user", "text": "X"}, {"target": "user", "action": "append", "text": "!"}]}"#,
            "m",
            vec![msg(Role::User, vec![image.clone()])],
        );
        assert_eq!(m[0].content, vec![image]);
    }

    #[test]
    fn scope_limits_rules() {
        let config = r#"{"rules": [
            {"match": "foo", "target": "user", "text": "GPT", "models": ["gpt-*"]},
            {"match": "foo", "target": "user", "text": "LOCAL", "upstreams": ["local"]}
        ]}"#;
        let user = || vec![msg(Role::User, vec![text("foo")])];
        assert_eq!(
            rewrite(config, "gpt-4o", user())[0].content,
            vec![text("GPT")]
        );
        assert_eq!(
            rewrite(config, "local/llama", user())[0].content,
            vec![text("LOCAL")]
        );
        assert_eq!(
            rewrite(config, "local/gpt-4o", user())[0].content,
            vec![text("GPT")]
        );
        assert_eq!(
            rewrite(config, "claude-3", user())[0].content,
            vec![text("foo")]
        );
    }

    #[test]
    fn system_override_per_model() {
        let config = r#"{"system": [{"models": ["claude-*"], "mode": "override", "text": "NEW"}]}"#;
        let m = rewrite(config, "claude-sonnet", conversation());
        assert_eq!(m.len(), 4);
        assert_eq!(m[0], msg(Role::System, vec![text("NEW")]));
        assert_eq!(m[1].role, Role::User);
        assert_eq!(rewrite(config, "gpt-4o", conversation()), conversation());
        // An empty override removes the system prompt.
        let m = rewrite(
            r#"{"system": [{"mode": "override", "text": ""}]}"#,
            "m",
            conversation(),
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].role, Role::User);
    }

    #[test]
    fn system_append_and_prepend() {
        let m = rewrite(
            r#"{"system": [{"mode": "append", "text": "A"}, {"mode": "prepend", "text": "P", "separator": " | "}]}"#,
            "m",
            conversation(),
        );
        assert_eq!(m[0].content, vec![text("P | sys foo")]);
        assert_eq!(m[1].content, vec![text("dev foo\n\nA")]);
        assert_eq!(m.len(), 5);
        // No system prompt: a new one is put first.
        let user = vec![msg(Role::User, vec![text("hi")])];
        for mode in ["append", "prepend"] {
            let m = rewrite(
                &format!(r#"{{"system": [{{"mode": "{mode}", "text": "S"}}]}}"#),
                "m",
                user.clone(),
            );
            assert_eq!(
                m,
                vec![msg(Role::System, vec![text("S")]), user[0].clone()],
                "{mode}"
            );
        }
    }

    #[test]
    fn system_entries_run_after_rules() {
        let m = rewrite(
            r#"{"rules": [{"match": "Claude", "target": "system", "text": "an assistant"}],
                "system": [{"mode": "append", "text": "Claude rules."}]}"#,
            "m",
            vec![
                msg(Role::System, vec![text("You are Claude.")]),
                msg(Role::User, vec![text("hi")]),
            ],
        );
        assert_eq!(
            m[0].content,
            vec![text("You are an assistant.\n\nClaude rules.")]
        );
    }
}
