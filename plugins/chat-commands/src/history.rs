//! Cutting commands out of the conversation before it goes upstream.
//!
//! - Commands are removed from the text of every user message; a text part
//!   left empty is removed (with its `$parts` entry), and so is a history
//!   message left without content.
//! - A history user message with commands that the filter answered directly
//!   (the next message is an assistant message starting with
//!   [`DIRECT_MARK`]) is dropped together with that answer: the upstream
//!   never saw either.
//! - A confirmation line (`[wasmgate: …]`) starting an assistant message is
//!   removed.

use serde_json::Value;

use crate::reply::{CONFIRM_MARK, DIRECT_MARK};
use crate::scan::{Token, strip, tokens};
use crate::types::{ContentPart, Message, Role};

/// The conversation after stripping.
#[derive(Debug)]
pub struct Stripped {
    /// The messages to send on.
    pub messages: Vec<Message>,
    /// The command tokens of the last user prompt.
    pub commands: Vec<Token>,
    /// The last user prompt still has content after stripping.
    pub prompt_left: bool,
}

/// Does any user message's text contain `prefix`? (The cheap pre-check.)
pub fn mentions(messages: &[Message], prefix: &str) -> bool {
    messages.iter().any(|m| {
        m.role == Role::User
            && m.content
                .iter()
                .any(|p| matches!(p, ContentPart::Text(t) if t.contains(prefix)))
    })
}

/// Strip `messages`; `last` is the index of the last user prompt.
pub fn strip_history(messages: Vec<Message>, last: Option<usize>, prefix: &str) -> Stripped {
    let mut out = Vec::with_capacity(messages.len());
    let mut commands = Vec::new();
    let mut prompt_left = false;
    let mut iter = messages.into_iter().enumerate().peekable();
    while let Some((i, mut message)) = iter.next() {
        match message.role {
            Role::User => {
                let found = strip_message(&mut message, prefix);
                if Some(i) == last {
                    prompt_left = !message.content.is_empty();
                    commands = found;
                    out.push(message);
                    continue;
                }
                if !found.is_empty() {
                    if iter.peek().is_some_and(|(_, next)| is_direct_reply(next)) {
                        iter.next();
                        continue;
                    }
                    if message.content.is_empty() {
                        continue;
                    }
                }
                out.push(message);
            }
            Role::Assistant => {
                strip_confirmation(&mut message);
                out.push(message);
            }
            _ => out.push(message),
        }
    }
    Stripped {
        messages: out,
        commands,
        prompt_left,
    }
}

/// Remove the commands from `message`'s text parts; the tokens found.
pub fn strip_message(message: &mut Message, prefix: &str) -> Vec<Token> {
    let mut found = Vec::new();
    let mut emptied = Vec::new();
    for (index, part) in message.content.iter_mut().enumerate() {
        let ContentPart::Text(text) = part else {
            continue;
        };
        if !text.contains(prefix) {
            continue;
        }
        let here = tokens(text, prefix);
        if here.is_empty() {
            continue;
        }
        *text = strip(text, &here);
        if text.is_empty() {
            emptied.push(index);
        }
        found.extend(here);
    }
    remove_parts(message, &emptied);
    found
}

/// Remove the content parts at `indices` (ascending), keeping the `$parts`
/// lists in `extra` aligned with the content.
fn remove_parts(message: &mut Message, indices: &[usize]) {
    if indices.is_empty() {
        return;
    }
    let mut index = 0;
    message.content.retain(|_| {
        let keep = !indices.contains(&index);
        index += 1;
        keep
    });
    if let Some(extra) = &message.extra
        && extra.contains("$parts")
        && let Ok(Value::Object(mut wires)) = serde_json::from_str::<Value>(extra)
    {
        for wire in wires.values_mut() {
            if let Some(Value::Array(parts)) = wire.get_mut("$parts") {
                for &i in indices.iter().rev() {
                    if i < parts.len() {
                        parts.remove(i);
                    }
                }
            }
        }
        message.extra = Some(Value::Object(wires).to_string());
    }
}

/// An answer the filter gave directly: assistant text starting with
/// [`DIRECT_MARK`].
fn is_direct_reply(message: &Message) -> bool {
    message.role == Role::Assistant
        && !message.content.is_empty()
        && message
            .content
            .iter()
            .all(|p| matches!(p, ContentPart::Text(_)))
        && matches!(message.content.first(), Some(ContentPart::Text(t)) if t.starts_with(DIRECT_MARK))
}

/// Remove a confirmation line starting the first text part of an assistant
/// message (unless nothing else is left of it).
fn strip_confirmation(message: &mut Message) {
    let Some(text) = message.content.iter_mut().find_map(|p| match p {
        ContentPart::Text(t) => Some(t),
        _ => None,
    }) else {
        return;
    };
    if !text.starts_with(CONFIRM_MARK) {
        return;
    }
    let line_end = text.find('\n').unwrap_or(text.len());
    let Some(close) = text[..line_end].rfind(']') else {
        return;
    };
    let rest = text[close + 1..].trim_start_matches(['\r', '\n']);
    if !rest.trim().is_empty() {
        *text = rest.to_string();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;
    use crate::identity::last_prompt;
    use crate::identity::tests::text;
    use crate::types::{Image, ImageSource};

    fn texts(messages: &[Message]) -> Vec<(Role, String)> {
        messages
            .iter()
            .map(|m| {
                let t: Vec<&str> = m
                    .content
                    .iter()
                    .map(|p| match p {
                        ContentPart::Text(t) => t.as_str(),
                        _ => "<part>",
                    })
                    .collect();
                (m.role, t.join("|"))
            })
            .collect()
    }

    fn run(messages: Vec<Message>) -> Stripped {
        let last = last_prompt(&messages);
        strip_history(messages, last, "!/")
    }

    #[test]
    fn strips_every_user_message_and_returns_the_last_commands() {
        let s = run(vec![
            text(Role::System, "sys !/help"),
            text(Role::User, "!/model(a) first"),
            text(Role::Assistant, "[wasmgate: model → a]\n\nanswer one"),
            text(Role::User, "second !/backend(alt)"),
        ]);
        assert_eq!(
            texts(&s.messages),
            vec![
                (Role::System, "sys !/help".into()),
                (Role::User, "first".into()),
                (Role::Assistant, "answer one".into()),
                (Role::User, "second".into()),
            ]
        );
        assert_eq!(s.commands.len(), 1);
        assert_eq!(s.commands[0].name, "backend");
        assert!(s.prompt_left);
    }

    #[test]
    fn drops_directly_answered_turns() {
        let s = run(vec![
            text(Role::User, "!/model(a)"),
            text(
                Role::Assistant,
                "[wasmgate] model → a (sticks for this conversation).",
            ),
            text(Role::User, "!/status what now?"),
            text(Role::Assistant, "[wasmgate] Status of this conversation: …"),
            text(Role::User, "hello"),
            text(
                Role::Assistant,
                "[wasmgate] looks like ours but follows no command",
            ),
            text(Role::User, "!/status"),
        ]);
        assert_eq!(
            texts(&s.messages),
            vec![
                (Role::User, "hello".into()),
                (
                    Role::Assistant,
                    "[wasmgate] looks like ours but follows no command".into()
                ),
                (Role::User, "".into()),
            ]
        );
        assert!(!s.prompt_left);
        assert_eq!(s.commands.len(), 1);
    }

    #[test]
    fn drops_emptied_history_messages_without_an_answer() {
        let s = run(vec![
            text(Role::User, "!/model(a)"),
            text(Role::User, "real question"),
        ]);
        assert_eq!(
            texts(&s.messages),
            vec![(Role::User, "real question".into())]
        );
    }

    #[test]
    fn keeps_other_parts_and_their_wire_fields() {
        let image = ContentPart::Image(Image {
            source: ImageSource::Url("https://x/y.png".into()),
            media_type: None,
            detail: None,
        });
        let mut m = Message {
            role: Role::User,
            content: vec![
                ContentPart::Text("!/model(a)".into()),
                image.clone(),
                ContentPart::Text("look".into()),
            ],
            name: None,
            extra: Some(
                r#"{"anthropic":{"$parts":[{"cache_control":1},null,{"k":2}]},"gemini":{"x":1}}"#
                    .into(),
            ),
        };
        let found = strip_message(&mut m, "!/");
        assert_eq!(found.len(), 1);
        assert_eq!(m.content, vec![image, ContentPart::Text("look".into())]);
        let extra: Value = serde_json::from_str(m.extra.as_deref().unwrap()).unwrap();
        assert_eq!(
            extra,
            serde_json::json!({"anthropic": {"$parts": [null, {"k": 2}]}, "gemini": {"x": 1}})
        );
        // A message with only an image left still has content.
        let s = run(vec![Message {
            role: Role::User,
            content: vec![
                ContentPart::Text("!/model(a)".into()),
                ContentPart::Image(Image {
                    source: ImageSource::Base64("AA==".into()),
                    media_type: None,
                    detail: None,
                }),
            ],
            name: None,
            extra: None,
        }]);
        assert!(s.prompt_left);
    }

    #[test]
    fn confirmation_lines() {
        let mut m = text(
            Role::Assistant,
            "[wasmgate: backend → alt; model → x]\n\nHi",
        );
        strip_confirmation(&mut m);
        assert_eq!(texts(&[m]), vec![(Role::Assistant, "Hi".into())]);
        // Only a confirmation: left alone rather than emptied.
        let mut m = text(Role::Assistant, "[wasmgate: model → x]\n\n");
        strip_confirmation(&mut m);
        assert_eq!(
            texts(&[m]),
            vec![(Role::Assistant, "[wasmgate: model → x]\n\n".into())]
        );
        let mut m = text(Role::Assistant, "[wasmgate: no close\nHi");
        strip_confirmation(&mut m);
        assert_eq!(
            texts(&[m]),
            vec![(Role::Assistant, "[wasmgate: no close\nHi".into())]
        );
    }

    #[test]
    fn mentions_only_looks_at_user_text() {
        assert!(mentions(&[text(Role::User, "a !/b")], "!/"));
        assert!(!mentions(&[text(Role::System, "a !/b")], "!/"));
        assert!(!mentions(&[text(Role::User, "a b")], "!/"));
    }
}
