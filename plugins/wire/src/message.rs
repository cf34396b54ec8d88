//! The message of an upstream error: from its JSON error object when it has
//! one, else from the body text, and never longer than
//! [`MAX_MESSAGE_CHARS`].

use serde_json::Value;

use crate::text::truncate_chars;

/// Longest upstream text (in characters) copied into an error message.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// `text` cut to [`MAX_MESSAGE_CHARS`] characters.
pub fn clip(text: &str) -> String {
    truncate_chars(text, MAX_MESSAGE_CHARS)
}

/// The text of an error object: the object itself when it is a string, else
/// its `message` string; `None` when that is missing or empty.
pub fn error_text(err: &Value) -> Option<&str> {
    let text = match err {
        Value::String(s) => s.as_str(),
        _ => err.get("message").and_then(Value::as_str)?,
    };
    (!text.is_empty()).then_some(text)
}

/// The clipped [`error_text`] of `err`, else `"{fallback}: {err}"` (the
/// whole object as JSON), clipped.
pub fn describe(err: &Value, fallback: &str) -> String {
    match error_text(err) {
        Some(text) => clip(text),
        None => clip(&format!("{fallback}: {err}")),
    }
}

/// An error body as a message: its trimmed text (invalid UTF-8 replaced),
/// clipped, or `upstream returned HTTP {status}` when it is empty.
pub fn body_text(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("upstream returned HTTP {status}")
    } else {
        clip(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_text_of_strings_and_objects() {
        assert_eq!(error_text(&json!("plain")), Some("plain"));
        assert_eq!(error_text(&json!({"message": "m", "type": "t"})), Some("m"));
        assert_eq!(error_text(&json!("")), None);
        assert_eq!(error_text(&json!({"message": ""})), None);
        assert_eq!(error_text(&json!({"message": 3})), None);
        assert_eq!(error_text(&json!([1])), None);
        assert_eq!(error_text(&Value::Null), None);
    }

    #[test]
    fn describe_falls_back_to_the_object() {
        assert_eq!(describe(&json!({"message": "m"}), "upstream error"), "m");
        assert_eq!(
            describe(&json!({"type": "new"}), "upstream error"),
            r#"upstream error: {"type":"new"}"#
        );
        let long = json!({"message": "y".repeat(3000)});
        assert_eq!(describe(&long, "x").chars().count(), MAX_MESSAGE_CHARS);
        let odd = json!({"z": "y".repeat(3000)});
        assert_eq!(describe(&odd, "x").chars().count(), MAX_MESSAGE_CHARS);
    }

    #[test]
    fn body_text_is_safe() {
        assert_eq!(body_text(500, b""), "upstream returned HTTP 500");
        assert_eq!(body_text(502, b"  \n"), "upstream returned HTTP 502");
        assert_eq!(body_text(400, b" nope\n"), "nope");
        let mut body = vec![0xff, 0xfe];
        body.extend(std::iter::repeat_n(b'x', 5000));
        assert_eq!(body_text(500, &body).chars().count(), MAX_MESSAGE_CHARS);
    }
}
