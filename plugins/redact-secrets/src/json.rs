//! Redaction inside JSON text (tool-call arguments), keeping every byte that
//! is not a secret.
//!
//! A small lexer walks the text: each string literal is decoded, redacted as
//! plain text and re-encoded only when something changed; a string value
//! whose key names a secret (`"password": "…"`) is replaced whole. Text
//! outside string literals, and literals that do not decode (malformed
//! arguments), are redacted as raw text, so nothing escapes the scan.

use std::borrow::Cow;
use std::ops::Range;

use crate::assign::{key_class, quoted_value_ok};
use crate::redact::Redactor;

/// Redact the JSON `text`; `None` when nothing changed.
pub fn redact_json(red: &mut Redactor<'_>, text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = Rewrite::new(text);
    let mut i = 0;
    // The class of the last key, while only `:` and blanks followed it.
    let mut pending_key = None;
    while i < b.len() {
        let Some(q) = b[i..].iter().position(|&c| c == b'"').map(|p| p + i) else {
            redact_raw(red, &mut out, i..b.len());
            break;
        };
        let between = &text[i..q];
        if !between
            .bytes()
            .all(|c| c == b':' || c.is_ascii_whitespace())
        {
            pending_key = None;
        }
        redact_raw(red, &mut out, i..q);
        let Some(close) = literal_end(b, q) else {
            // An unterminated string: treat the rest as raw text.
            redact_raw(red, &mut out, q..b.len());
            break;
        };
        let literal = &text[q..=close];
        i = close + 1;
        let is_key = b[i..]
            .iter()
            .find(|c| !c.is_ascii_whitespace())
            .is_some_and(|&c| c == b':');
        let Some(decoded) = decode(literal) else {
            // Inside its quotes, as raw text.
            redact_raw(red, &mut out, q + 1..close);
            pending_key = None;
            continue;
        };
        if is_key {
            pending_key = key_class(decoded.as_bytes());
            continue;
        }
        let key = pending_key.take();
        let replaced = match red.redact_text(&decoded) {
            Some(text) => Some(text),
            None => key.and_then(|class| {
                let value = decoded.as_bytes();
                if quoted_value_ok(value) {
                    red.redact_whole(class.kind(value), &decoded)
                } else {
                    None
                }
            }),
        };
        if let Some(encoded) = replaced.and_then(|r| serde_json::to_string(&r).ok()) {
            out.replace(q..close + 1, &encoded);
        }
    }
    out.finish()
}

/// A copy of a text with some ranges replaced, made only once the first
/// range is: a text with no secret is never copied.
struct Rewrite<'t> {
    /// The original.
    text: &'t str,
    /// The copy up to `done`, when something was replaced.
    out: Option<String>,
    /// How much of `text` the copy covers.
    done: usize,
}

impl<'t> Rewrite<'t> {
    fn new(text: &'t str) -> Self {
        Rewrite {
            text,
            out: None,
            done: 0,
        }
    }

    /// Replace `range` (after every range replaced so far) with `with`.
    fn replace(&mut self, range: Range<usize>, with: &str) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.text.len() + with.len()));
        out.push_str(&self.text[self.done..range.start]);
        out.push_str(with);
        self.done = range.end;
    }

    /// The rewritten text, or `None` when nothing was replaced.
    fn finish(self) -> Option<String> {
        let mut out = self.out?;
        out.push_str(&self.text[self.done..]);
        Some(out)
    }
}

/// The text of the string literal `literal` (quotes included), or `None`
/// when it is not valid JSON. Most literals hold no escape and are
/// borrowed as they are.
fn decode(literal: &str) -> Option<Cow<'_, str>> {
    let inner = literal.get(1..literal.len().checked_sub(1)?)?;
    if inner.bytes().all(|c| c != b'\\' && c >= 0x20) {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(literal).ok().map(Cow::Owned)
}

/// True for text between literals that is only JSON punctuation and
/// blanks: no built-in detector finds anything there.
fn punctuation(raw: &str) -> bool {
    raw.bytes().all(|c| {
        matches!(
            c,
            b'{' | b'}' | b'[' | b']' | b',' | b':' | b' ' | b'\t' | b'\r' | b'\n'
        )
    })
}

/// Redact `range` of the text as raw (not decoded) text.
fn redact_raw(red: &mut Redactor<'_>, out: &mut Rewrite<'_>, range: Range<usize>) {
    let raw = &out.text[range.clone()];
    if punctuation(raw) && !red.has_patterns() {
        return;
    }
    if let Some(text) = red.redact_text(raw) {
        out.replace(range, &text);
    }
}

/// Index of the `"` closing the string literal that opens at `open`.
fn literal_end(b: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use serde_json::Value;

    fn redact(text: &str) -> Option<String> {
        let config = Config::default();
        let mut red = Redactor::new(&config);
        redact_json(&mut red, text)
    }

    #[test]
    fn untouched_without_secrets() {
        for text in [
            r#"{"command": "ls -la", "n": 3}"#,
            r#"{ "a" : [1, "two", {"b": null}] }"#,
            r#"{"password": {"type": "string"}}"#,
            r#"{"password": ""}"#,
            r#"{"password": "${PW}"}"#,
            r#"{"note": "use \u00e9 and \"quotes\""}"#,
            "not json at all",
            "{\"unterminated\": \"abc",
        ] {
            assert_eq!(redact(text), None, "{text}");
        }
    }

    #[test]
    fn redacts_inside_strings() {
        let key = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z";
        let text = format!(r#"{{"command": "OPENAI_API_KEY={key} ./run.sh",  "n":1}}"#);
        let out = redact(&text).unwrap();
        assert_eq!(
            out,
            r#"{"command": "OPENAI_API_KEY=[[REDACTED:openai_key:1]] ./run.sh",  "n":1}"#
        );
    }

    #[test]
    fn keyed_values_whole() {
        let out =
            redact(r#"{"user": "bob", "password": "hunter2!", "db_token":"x y z w"}"#).unwrap();
        assert_eq!(
            out,
            r#"{"user": "bob", "password": "[[REDACTED:password:1]]", "db_token":"[[REDACTED:token:1]]"}"#
        );
    }

    #[test]
    fn several_replacements_keep_the_bytes_between() {
        let gh = "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";
        let text = format!(
            r#"{{"password": "hunter2!", "cmd": "echo {gh}" , raw {gh} , "n" : 5, "bad": "\x {gh}"}}"#
        );
        assert_eq!(
            redact(&text).unwrap(),
            r#"{"password": "[[REDACTED:password:1]]", "cmd": "echo [[REDACTED:github_token:1]]" , raw [[REDACTED:github_token:1]] , "n" : 5, "bad": "\x [[REDACTED:github_token:1]]"}"#
        );
    }

    #[test]
    fn escaped_pem_is_whole() {
        let pem =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
        let text =
            serde_json::json!({"content": format!("key:\n{pem}\n"), "path": "id_rsa"}).to_string();
        let out = redact(&text).unwrap();
        assert!(!out.contains("MIIEpAIBAAKCAQEA"), "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["content"], "key:\n[[REDACTED:private_key:1]]\n");
    }

    #[test]
    fn malformed_still_scanned() {
        let key = "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";
        let out = redact(&format!("{{command: 'echo {key}'")).unwrap();
        assert_eq!(out, "{command: 'echo [[REDACTED:github_token:1]]'");
        let out = redact(&format!("{{\"a\": \"{key}")).unwrap();
        assert_eq!(out, "{\"a\": \"[[REDACTED:github_token:1]]");
        let out = redact(&format!("{{\"a\": \"bad \\x {key}\"}}")).unwrap();
        assert_eq!(out, "{\"a\": \"bad \\x [[REDACTED:github_token:1]]\"}");
    }
}
