//! A conversation's identity: what stays the same while it grows, so it can
//! key the sticky state in the key-value store.

use crate::types::{ContentPart, Message, Role};

/// A 64-bit FNV-1a hasher (small, fast, stable; not cryptographic).
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Hash more bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Hash a field and a separator, so `("ab","c")` differs from `("a","bc")`.
    pub fn field(&mut self, text: &str) {
        self.write(text.as_bytes());
        self.write(&[0xff]);
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// A user message that carries text and no tool results: something the
/// person wrote, not the client reporting tool output.
pub fn is_user_prompt(message: &Message) -> bool {
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

/// The index of the last user prompt, if any.
pub fn last_prompt(messages: &[Message]) -> Option<usize> {
    messages.iter().rposition(is_user_prompt)
}

/// The conversation's identity: FNV-1a of every system/developer prompt
/// before the first user prompt, and that prompt's text, as the client sent
/// them (clients resend the same text every turn, commands included).
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

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::types::ToolResult;

    pub fn text(role: Role, text: &str) -> Message {
        Message {
            role,
            content: vec![ContentPart::Text(text.into())],
            name: None,
            extra: None,
        }
    }

    fn fnv1a(bytes: &[u8]) -> u64 {
        let mut h = Fnv::default();
        h.write(bytes);
        h.finish()
    }

    #[test]
    fn fnv_known_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn identity_is_stable_as_the_conversation_grows() {
        let start = vec![
            text(Role::System, "Be brief."),
            text(Role::User, "!/model(x) Hi"),
        ];
        let mut longer = start.clone();
        longer.push(text(Role::Assistant, "Hello"));
        longer.push(text(Role::User, "More"));
        assert_eq!(conversation_id(&start), conversation_id(&longer));
        let mut other = start.clone();
        other[0] = text(Role::System, "Be verbose.");
        assert_ne!(conversation_id(&start), conversation_id(&other));
        let mut other = start.clone();
        other[1] = text(Role::User, "Hi");
        assert_ne!(conversation_id(&start), conversation_id(&other));
    }

    #[test]
    fn prompts() {
        let result = Message {
            role: Role::User,
            content: vec![ContentPart::ToolResult(ToolResult {
                call_id: "c".into(),
                content: vec![],
                is_error: false,
            })],
            name: None,
            extra: None,
        };
        let m = vec![
            text(Role::User, "a"),
            text(Role::Assistant, "b"),
            result.clone(),
        ];
        assert_eq!(last_prompt(&m), Some(0));
        assert!(!is_user_prompt(&result));
        assert!(!is_user_prompt(&text(Role::User, "  ")));
        assert_eq!(last_prompt(&[]), None);
    }
}
