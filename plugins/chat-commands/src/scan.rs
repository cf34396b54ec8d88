//! Finding command tokens in text, and cutting them out.
//!
//! A token is `<prefix><name>`, optionally followed by `(<arguments>)`:
//!
//! - it starts the text or follows whitespace (so `https://x/!/a` or
//!   `if (!/re/.test(s))` are no commands);
//! - the name is an ASCII letter followed by letters, digits, `-` or `_`
//!   (so `!/ ` or `!/42` are none);
//! - the arguments run to the first `)` on the same line; a `(` without one
//!   is a malformed token reaching to the next whitespace;
//! - trailing `.,;:!?` belong to the token, after which the text must end or
//!   whitespace must follow (so `!/usr/bin` or `!/a/.test(s)` are none);
//! - text in backtick code spans or fences (a run of backticks up to the
//!   next run of the same length) is skipped.

use std::ops::Range;

/// One command token found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range in the text, trailing punctuation included.
    pub span: Range<usize>,
    /// The command's name, lower-cased.
    pub name: String,
    /// The text between the parentheses, trimmed; `None` without them.
    pub args: Option<String>,
    /// The `(` was never closed on its line.
    pub unclosed: bool,
    /// The token as written (without trailing punctuation), for messages.
    pub raw: String,
}

/// Punctuation that may follow a command and is removed with it.
const TRAILING: &[u8] = b".,;:!?";

/// The command tokens of `text`, in order. `prefix` is not empty.
pub fn tokens(text: &str, prefix: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let pre = prefix.as_bytes();
    let Some(&first) = pre.first() else {
        return out;
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'`' {
            let run = run_len(bytes, i, b'`');
            i = match closing_run(bytes, i + run, run) {
                Some(end) => end,
                None => i + run,
            };
            continue;
        }
        // A byte equal to the prefix's first byte is a char boundary: a
        // UTF-8 string never starts with a continuation byte.
        if b == first
            && bytes[i..].starts_with(pre)
            && boundary_before(text, i)
            && let Some(token) = parse_at(text, i, pre.len())
        {
            i = token.span.end;
            out.push(token);
            continue;
        }
        i += 1;
    }
    out
}

/// How many `c` bytes start at `at`.
fn run_len(bytes: &[u8], at: usize, c: u8) -> usize {
    bytes[at..].iter().take_while(|&&b| b == c).count()
}

/// The end of the next run of exactly `len` backticks from `from`.
fn closing_run(bytes: &[u8], from: usize, len: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = run_len(bytes, i, b'`');
            if run == len {
                return Some(i + run);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// Does a token at `at` (a char boundary) start a word?
fn boundary_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace)
}

/// Does the text at `at` (a char boundary) end or continue with whitespace?
fn boundary_after(text: &str, at: usize) -> bool {
    text[at..].chars().next().is_none_or(char::is_whitespace)
}

/// The token whose prefix (of `prefix_len` bytes) starts at `start`.
fn parse_at(text: &str, start: usize, prefix_len: usize) -> Option<Token> {
    let bytes = text.as_bytes();
    let name_start = start + prefix_len;
    if !bytes.get(name_start)?.is_ascii_alphabetic() {
        return None;
    }
    let name_len = bytes[name_start..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        .count();
    let mut end = name_start + name_len;
    let name = text[name_start..end].to_ascii_lowercase();
    let mut args = None;
    if bytes.get(end) == Some(&b'(') {
        let open = end;
        match bytes[open + 1..]
            .iter()
            .position(|&b| b == b')' || b == b'\n')
            .map(|p| open + 1 + p)
        {
            Some(close) if bytes[close] == b')' => {
                args = Some(text[open + 1..close].trim().to_string());
                end = close + 1;
            }
            _ => {
                // Malformed: up to the next whitespace (both ends are char
                // boundaries: whitespace or the end of the text).
                let stop = text[open..]
                    .find(char::is_whitespace)
                    .map_or(text.len(), |p| open + p);
                return Some(Token {
                    span: start..stop,
                    name,
                    args: Some(text[open + 1..stop].to_string()),
                    unclosed: true,
                    raw: text[start..stop].to_string(),
                });
            }
        }
    }
    let raw_end = end;
    end += bytes[end..]
        .iter()
        .take_while(|b| TRAILING.contains(b))
        .count();
    if !boundary_after(text, end) {
        return None;
    }
    Some(Token {
        span: start..end,
        name,
        args,
        unclosed: false,
        raw: text[start..raw_end].to_string(),
    })
}

/// `text` without `tokens` (found in it, in order). Spaces and tabs after a
/// token go with it, and so does its line when nothing else was on it; the
/// result is trimmed.
pub fn strip(text: &str, tokens: &[Token]) -> String {
    if tokens.is_empty() {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for token in tokens {
        if token.span.start < last || token.span.end > text.len() {
            continue;
        }
        out.push_str(&text[last..token.span.start]);
        let mut end = token.span.end;
        end += bytes[end..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let line_end = end == bytes.len() || bytes[end] == b'\n' || bytes[end] == b'\r';
        if line_end {
            let kept = out.trim_end_matches([' ', '\t']).len();
            out.truncate(kept);
            if out.is_empty() || out.ends_with('\n') {
                if bytes[end..].starts_with(b"\r\n") {
                    end += 2;
                } else if bytes[end..].starts_with(b"\n") {
                    end += 1;
                }
            }
        }
        last = end;
    }
    out.push_str(&text[last..]);
    out.trim().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(String, Option<String>)> {
        tokens(text, "!/")
            .into_iter()
            .map(|t| (t.name, t.args))
            .collect()
    }

    fn one(name: &str, args: Option<&str>) -> Vec<(String, Option<String>)> {
        vec![(name.to_string(), args.map(str::to_string))]
    }

    #[test]
    fn finds_commands_anywhere() {
        assert_eq!(names("!/status"), one("status", None));
        assert_eq!(names("!/model(gpt-4o) hi"), one("model", Some("gpt-4o")));
        assert_eq!(names("hi !/model( gpt-4o )"), one("model", Some("gpt-4o")));
        assert_eq!(names("hi\n!/Model(x)\nthere"), one("model", Some("x")));
        assert_eq!(names("please !/help."), one("help", None));
        assert_eq!(
            names("!/oneoff(alt:llama3:8b)"),
            one("oneoff", Some("alt:llama3:8b"))
        );
        assert_eq!(
            names("!/backend(alt) !/model(x)\n!/status"),
            vec![
                ("backend".into(), Some("alt".into())),
                ("model".into(), Some("x".into())),
                ("status".into(), None),
            ]
        );
        assert_eq!(names("é !/foo"), one("foo", None));
        assert_eq!(names("!/model()"), one("model", Some("")));
    }

    #[test]
    fn ignores_lookalikes() {
        for text in [
            "see https://example.com/!/status",
            "if (!/abc/.test(s)) {}",
            "x = !/abc/.test(s)",
            "ls !/usr/bin",
            "wow !/ that",
            "!/42",
            "a!/status",
            "run `!/status` to see",
            "run `` x !/status `` to see",
            "```\n!/model(x)\n```",
            "!/model(x)y",
            "!/status/",
            "",
            "!/",
        ] {
            assert_eq!(names(text), vec![], "{text}");
        }
        // An unclosed backtick is literal.
        assert_eq!(names("it's ` odd !/help"), one("help", None));
        // After a closed span scanning goes on.
        assert_eq!(names("`code` !/help"), one("help", None));
    }

    #[test]
    fn unclosed_parenthesis_is_a_malformed_token() {
        let t = tokens("use !/model(gpt-4 please", "!/");
        assert_eq!(t.len(), 1);
        assert!(t[0].unclosed);
        assert_eq!(t[0].raw, "!/model(gpt-4");
        let t = tokens("!/model(x\n)", "!/");
        assert!(t[0].unclosed);
        assert_eq!(t[0].raw, "!/model(x");
    }

    #[test]
    fn other_prefixes() {
        let t = tokens("hi ::model(x) !/help", "::");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].name, "model");
        let t = tokens("→→help", "→→");
        assert_eq!(t.len(), 1);
    }

    fn stripped(text: &str) -> String {
        strip(text, &tokens(text, "!/"))
    }

    #[test]
    fn strips_cleanly() {
        assert_eq!(
            stripped("!/model(x) Explain recursion."),
            "Explain recursion."
        );
        assert_eq!(
            stripped("Explain recursion. !/model(x)"),
            "Explain recursion."
        );
        assert_eq!(
            stripped("Explain !/model(x) recursion."),
            "Explain recursion."
        );
        assert_eq!(
            stripped("!/model(x)\nExplain\nrecursion."),
            "Explain\nrecursion."
        );
        assert_eq!(
            stripped("Explain\n!/model(x)\nrecursion."),
            "Explain\nrecursion."
        );
        assert_eq!(stripped("Explain\r\n!/model(x)\r\nit"), "Explain\r\nit");
        assert_eq!(stripped("Explain  !/model(x)\nit"), "Explain\nit");
        assert_eq!(stripped("!/model(x), then explain"), "then explain");
        assert_eq!(stripped("!/backend(a) !/model(b)"), "");
        assert_eq!(stripped("  !/status  \n\n"), "");
        assert_eq!(stripped("no commands  "), "no commands  ");
        assert_eq!(
            stripped("keep `!/status` here !/help"),
            "keep `!/status` here"
        );
    }
}
