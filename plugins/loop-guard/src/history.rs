//! What a request's conversation says about loops: the tool calls since the
//! user last spoke (with their results), and the conversation's identity.

use crate::fingerprint::{Fnv, call_hash, describe, looks_like_error, result_hash};
use crate::types::{ContentPart, Message, Role, ToolCall, ToolResult, ToolResultPart};

/// The outcome of one tool call, as the client reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Hash of the (normalised) result.
    pub hash: u64,
    /// The result is flagged as an error or reads like one.
    pub error: bool,
}

impl Outcome {
    /// Judge a tool result: hashing and error-sniffing its text costs a
    /// scan of it, so this runs only for the results a check looks at.
    pub fn of(result: &ToolResult) -> Self {
        let texts = texts(result);
        let error = failed(result, &texts);
        Outcome {
            hash: result_hash(&texts, error),
            error,
        }
    }

    /// Whether a tool result failed, without hashing it.
    pub fn failed(result: &ToolResult) -> bool {
        failed(result, &texts(result))
    }
}

/// The result is flagged as an error, or one of its `texts` reads like one.
fn failed(result: &ToolResult, texts: &[&str]) -> bool {
    result.is_error || texts.iter().any(|t| looks_like_error(t))
}

/// A tool result's parts as text (an image as `[image]`).
fn texts(result: &ToolResult) -> Vec<&str> {
    result
        .content
        .iter()
        .map(|p| match p {
            ToolResultPart::Text(t) => t.as_str(),
            ToolResultPart::Image(_) => "[image]",
        })
        .collect()
}

/// One tool call of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Call<'a> {
    /// Hash of the name and canonical arguments.
    pub hash: u64,
    /// The call itself.
    pub call: &'a ToolCall,
    /// The call's result, when the history holds one.
    pub result: Option<&'a ToolResult>,
}

impl Call<'_> {
    /// `name {arguments}`, for messages (built only when a loop is told).
    pub fn description(&self) -> String {
        describe(&self.call.name, &self.call.arguments)
    }

    /// What the call's result says, when the history holds one.
    pub fn outcome(&self) -> Option<Outcome> {
        self.result.map(Outcome::of)
    }
}

/// The tool calls made since the last user prompt, oldest first. A user
/// prompt (a user message with text and no tool results) starts a new
/// task, so calls before it never count towards a loop.
pub fn agent_calls(messages: &[Message]) -> Vec<Call<'_>> {
    let mut calls: Vec<(&str, Call<'_>)> = Vec::new();
    for message in messages {
        if is_user_prompt(message) {
            calls.clear();
        }
        for part in &message.content {
            match part {
                ContentPart::ToolCall(call) => calls.push((
                    call.id.as_str(),
                    Call {
                        hash: call_hash(&call.name, &call.arguments),
                        call,
                        result: None,
                    },
                )),
                ContentPart::ToolResult(result) => {
                    // The latest call with that id (ids may be reused).
                    if let Some((_, call)) =
                        calls.iter_mut().rev().find(|(id, _)| *id == result.call_id)
                    {
                        call.result = Some(result);
                    }
                }
                _ => {}
            }
        }
    }
    calls.into_iter().map(|(_, call)| call).collect()
}

/// A user message that carries text and no tool results: a new instruction
/// from the person, not the client reporting tool output.
fn is_user_prompt(message: &Message) -> bool {
    message.role == Role::User
        && !message
            .content
            .iter()
            .any(|p| matches!(p, ContentPart::ToolResult(_)))
        && message
            .content
            .iter()
            .any(|p| matches!(p, ContentPart::Text(t) if !t.trim().is_empty()))
}

/// The conversation's identity: FNV-1a of every system/developer prompt
/// before the first user message, and that first user message's text. It
/// stays the same while the conversation grows (or is truncated in the
/// middle), so it keys per-conversation state in the key-value store.
pub fn conversation_id(messages: &[Message]) -> u64 {
    let mut h = Fnv::default();
    let mut first_user = None;
    for message in messages {
        match message.role {
            Role::System | Role::Developer => {
                for part in &message.content {
                    if let ContentPart::Text(t) = part {
                        h.field(t);
                    }
                }
            }
            Role::User if is_user_prompt(message) => {
                first_user = Some(message);
                break;
            }
            _ => {}
        }
    }
    h.write(&[0xfe]);
    if let Some(message) = first_user {
        for part in &message.content {
            if let ContentPart::Text(t) = part {
                h.field(t);
            }
        }
    }
    h.finish()
}

/// How many calls at the end of the history are the same failing call with
/// the same error (0 when the latest call did not fail).
pub fn error_streak(calls: &[Call]) -> usize {
    let Some(last) = calls.last() else {
        return 0;
    };
    // Only a failure starts a streak; most results are not, and are not hashed.
    if !last.result.is_some_and(Outcome::failed) {
        return 0;
    }
    let Some(outcome) = last.outcome() else {
        return 0;
    };
    // Only the trailing run of the same call is judged.
    calls
        .iter()
        .rev()
        .take_while(|c| c.hash == last.hash && c.outcome() == Some(outcome))
        .count()
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::types::{ToolCall, ToolResult};

    pub fn text(role: Role, text: &str) -> Message {
        Message {
            role,
            content: vec![ContentPart::Text(text.into())],
            name: None,
            extra: None,
        }
    }

    pub fn call(id: &str, name: &str, arguments: &str) -> Message {
        Message {
            role: Role::Assistant,
            content: vec![ContentPart::ToolCall(ToolCall {
                id: id.into(),
                name: name.into(),
                arguments: arguments.into(),
            })],
            name: None,
            extra: None,
        }
    }

    pub fn result(role: Role, id: &str, text: &str, is_error: bool) -> Message {
        Message {
            role,
            content: vec![ContentPart::ToolResult(ToolResult {
                call_id: id.into(),
                content: vec![ToolResultPart::Text(text.into())],
                is_error,
            })],
            name: None,
            extra: None,
        }
    }

    /// A conversation where the agent ran `commands` in order, each with a
    /// result "ok <command>".
    pub fn bash_history(commands: &[&str]) -> Vec<Message> {
        let mut m = vec![
            text(Role::System, "You are an agent."),
            text(Role::User, "Fix the build."),
        ];
        for (i, c) in commands.iter().enumerate() {
            let id = format!("call_{i}");
            m.push(call(&id, "Bash", &format!(r#"{{"command":"{c}"}}"#)));
            m.push(result(Role::Tool, &id, &format!("ok {c}"), false));
        }
        m
    }

    #[test]
    fn calls_since_the_last_prompt() {
        let mut m = bash_history(&["ls", "pwd"]);
        assert_eq!(agent_calls(&m).len(), 2);
        m.push(text(Role::User, "Now run the tests."));
        assert!(agent_calls(&m).is_empty());
        m.push(call("c9", "Bash", r#"{"command":"cargo test"}"#));
        let calls = agent_calls(&m);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].outcome(), None);
        // A tool result in a user message (Anthropic, Gemini) is no prompt.
        m.push(result(Role::User, "c9", "Error: 3 tests failed", false));
        let calls = agent_calls(&m);
        assert_eq!(calls.len(), 1);
        assert!(calls[0].outcome().is_some_and(|o| o.error));
    }

    #[test]
    fn identity_ignores_growth() {
        let a = bash_history(&["ls"]);
        let b = bash_history(&["ls", "pwd", "cat x"]);
        assert_eq!(conversation_id(&a), conversation_id(&b));
        let mut c = a.clone();
        c[1] = text(Role::User, "Fix the tests.");
        assert_ne!(conversation_id(&a), conversation_id(&c));
        let mut d = a.clone();
        d[0] = text(Role::System, "You are a different agent.");
        assert_ne!(conversation_id(&a), conversation_id(&d));
    }

    #[test]
    fn error_streaks() {
        let mut m = bash_history(&[]);
        for i in 0..3 {
            let id = format!("e{i}");
            m.push(call(&id, "Bash", r#"{"command":"make"}"#));
            m.push(result(
                Role::Tool,
                &id,
                &format!("Error: build failed after {i} s"),
                false,
            ));
        }
        assert_eq!(error_streak(&agent_calls(&m)), 3);
        // A different error breaks the streak.
        m.push(call("e3", "Bash", r#"{"command":"make"}"#));
        m.push(result(Role::Tool, "e3", "permission denied", true));
        assert_eq!(error_streak(&agent_calls(&m)), 1);
        // Successes never form a streak.
        assert_eq!(error_streak(&agent_calls(&bash_history(&["ls", "ls"]))), 0);
        assert_eq!(error_streak(&[]), 0);
    }
}
