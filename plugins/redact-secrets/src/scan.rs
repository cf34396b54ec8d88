//! One pass over a text for both kinds of built-in detector: the
//! token-shaped secrets of [`detect`] and the generic assignments of
//! [`assign`](crate::assign).
//!
//! Both look at words only. A token starts where a run of base64url bytes
//! starts (or just after a `\n`, `\r` or `\t` escape), and a key is a whole
//! run of key bytes, which are the base64url bytes plus `.`. So one walk
//! over the runs of key bytes finds both kinds of start, where two walks
//! (one per detector) used to read every byte twice. Each detector keeps
//! its own resume point: after a token, no token starts inside it, and
//! after an assigned value, no key starts inside it. Neither skips the
//! other's finds. The tests hold this walk to each detector's own walk, as
//! they were before.

use crate::assign::{key_class, value_after};
use crate::detect::{self, Span, escape_letter, is_b64url, is_key_char, opens, run, token_at};

/// Push the token-shaped secrets in `text` onto `tokens` and the generic
/// assignments' values onto `assigned`, each in order.
pub fn builtin(text: &str, tokens: &mut Vec<Span<'static>>, assigned: &mut Vec<Span<'static>>) {
    let b = text.as_bytes();
    // The first byte each detector may still start at.
    let (mut token_from, mut key_from) = (0, 0);
    let mut i = 0;
    loop {
        i = run(b, i, |c| !is_key_char(c));
        if i >= b.len() {
            break;
        }
        // A run of key bytes, `start..end`: its base64url runs start at
        // `start` and after each `.`.
        let start = i;
        let mut p = start;
        loop {
            if p >= token_from
                && opens(b, p)
                && let Some(span) = token_at(text, p)
            {
                token_from = span.end;
                tokens.push(span);
            }
            // The token after a `\n` escape starts at the run's second byte.
            if p == start
                && p + 1 >= token_from
                && escape_letter(b, p)
                && opens(b, p + 1)
                && let Some(span) = token_at(text, p + 1)
            {
                token_from = span.end;
                tokens.push(span);
            }
            p = run(b, p, is_b64url);
            if b.get(p) != Some(&b'.') {
                break;
            }
            p += 1;
        }
        let end = p;
        if start >= key_from
            && let Some(class) = key_class(&b[start..end])
            && let Some(span) = value_after(b, start, end, class)
        {
            key_from = span.end;
            assigned.push(span);
        }
        i = end;
    }
    detect::url_passwords(text, tokens);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token detector alone, as it was before the walks were fused: an
    /// opening pair at any position, then the boundary check.
    fn specific(text: &str, out: &mut Vec<Span<'static>>) {
        let b = text.as_bytes();
        let next_opening = |from: usize| (from..b.len().saturating_sub(1)).find(|&i| opens(b, i));
        let token_boundary = |i: usize| {
            if i == 0 || !is_b64url(b[i - 1]) {
                return true;
            }
            i >= 2 && b[i - 2] == b'\\' && matches!(b[i - 1], b'n' | b'r' | b't')
        };
        let mut i = 0;
        while let Some(at) = next_opening(i) {
            i = at + 1;
            if token_boundary(at)
                && let Some(span) = token_at(text, at)
            {
                i = span.end.max(i);
                out.push(span);
            }
        }
        detect::url_passwords(text, out);
    }

    /// The assignment detector alone, as it was before the walks were fused.
    fn assignments(text: &str, out: &mut Vec<Span<'static>>) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if !is_key_char(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            i = run(b, i, is_key_char);
            let Some(class) = key_class(&b[start..i]) else {
                continue;
            };
            if let Some(span) = value_after(b, start, i, class) {
                i = span.end;
                out.push(span);
            }
        }
    }

    /// The walk agrees with each detector run alone.
    fn agrees(text: &str) {
        let (mut tokens, mut assigned) = (Vec::new(), Vec::new());
        builtin(text, &mut tokens, &mut assigned);
        let (mut want_tokens, mut want_assigned) = (Vec::new(), Vec::new());
        specific(text, &mut want_tokens);
        assignments(text, &mut want_assigned);
        assert_eq!(tokens, want_tokens, "{text:?}");
        assert_eq!(assigned, want_assigned, "{text:?}");
    }

    #[test]
    fn agrees_with_each_detector_alone() {
        let gh = "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let texts = [
            format!("token={gh} and password=hunter22"),
            format!(r"key:\n{gh}\tpassword: s3cr3t-value\n"),
            format!("x.{gh}.{gh} a.b.token={gh}"),
            format!("Authorization: Bearer {jwt}; api_key=\"{jwt}\""),
            "AKIAIOSFODNN7EXAMPLE_secret=abcd1234 AKIAIOSFODNN7EXAMPLE".to_string(),
            format!("--token {gh} --password 'x y z w' DB_PASS=pw12345"),
            "-----BEGIN RSA PRIVATE KEY-----\nsecret=abc123456\n-----END RSA PRIVATE KEY----- token=zzzz1234"
                .to_string(),
            format!("postgres://app:s3cr3tPw@db:5432/x password={gh}x"),
            format!("..{gh}..\\n\\r{gh}\\\\n{gh}"),
            String::new(),
            "...".into(),
        ];
        for text in &texts {
            agrees(text);
        }
        // Pseudo-random texts from the bytes that matter to both walks.
        let pieces = [
            "token",
            "=",
            ":",
            " ",
            ".",
            "\\",
            "n",
            "ghp_",
            "aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2",
            "sk-",
            "\"",
            "'",
            "password",
            "-",
            "_",
            "\n",
            "AKIA",
            "IOSFODNN7EXAMPLE",
            "eyJ",
            "hunter22",
            "Bearer ",
            "xoxb-",
            "1234567890",
            "://",
            "@",
            "--",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..12 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            agrees(&text);
        }
    }
}
