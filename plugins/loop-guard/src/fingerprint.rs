//! Stable fingerprints: FNV-1a hashes of canonicalised tool calls, tool
//! results and conversation identities.

use serde_json::Value;

use crate::canonical_json::is_canonical;

/// The longest call description put in messages, in characters.
const DESCRIPTION_CHARS: usize = 160;

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

impl std::io::Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Fnv::write(self, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Arguments as one canonical value: JSON (re-serialised compactly with
/// sorted object keys, so key order and whitespace do not matter), or the
/// trimmed text when it is not JSON or already in that form (the usual case:
/// no parse, no allocation); empty arguments are `{}`.
enum Canonical<'a> {
    Json(Value),
    Text(&'a str),
}

impl<'a> Canonical<'a> {
    fn of(arguments: &'a str) -> Self {
        let trimmed = arguments.trim();
        if trimmed.is_empty() {
            return Canonical::Text("{}");
        }
        if is_canonical(trimmed) {
            return Canonical::Text(trimmed);
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value) => Canonical::Json(value),
            Err(_) => Canonical::Text(trimmed),
        }
    }
}

/// Arguments in one canonical text (see [`Canonical`]).
pub fn canonical_arguments(arguments: &str) -> String {
    match Canonical::of(arguments) {
        // serde_json's map is ordered by key (no `preserve_order`), so this
        // sorts every object's keys.
        Canonical::Json(value) => value.to_string(),
        Canonical::Text(text) => text.to_string(),
    }
}

/// Hash of a call's name and canonical arguments, without building the
/// canonical text.
pub fn call_hash(name: &str, arguments: &str) -> u64 {
    let mut h = Fnv::default();
    h.field(name);
    match Canonical::of(arguments) {
        Canonical::Json(value) => {
            // Writing into the hasher cannot fail.
            let _ = serde_json::to_writer(&mut h, &value);
        }
        Canonical::Text(text) => h.write(text.as_bytes()),
    }
    h.write(&[0xff]);
    h.finish()
}

/// `name {arguments}`, canonical and shortened, for messages.
pub fn describe(name: &str, arguments: &str) -> String {
    shorten(
        &format!("{name} {}", canonical_arguments(arguments)),
        DESCRIPTION_CHARS,
    )
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// Hash of a tool result's text, ignoring differences that do not mean
/// progress: whitespace runs and digit runs (timestamps, durations, ids).
pub fn result_hash(parts: &[&str], is_error: bool) -> u64 {
    let mut h = Fnv::default();
    h.write(&[u8::from(is_error)]);
    let mut last = ' ';
    for part in parts {
        for c in part.chars() {
            let c = if c.is_whitespace() {
                ' '
            } else if c.is_ascii_digit() {
                '#'
            } else {
                c
            };
            if (c == ' ' || c == '#') && c == last {
                continue;
            }
            let mut buf = [0u8; 4];
            h.write(c.encode_utf8(&mut buf).as_bytes());
            last = c;
        }
        h.write(&[0xff]);
    }
    h.finish()
}

/// Phrases that mark a tool result as a failure when the result does not
/// say so itself (`is-error`). Matched on lower-cased text.
const ERROR_PREFIXES: &[&str] = &[
    "error",
    "err:",
    "fatal",
    "failed",
    "failure",
    "exception",
    "traceback",
    "panic",
];
const ERROR_PHRASES: &[&str] = &[
    "error:",
    "error[",
    "\"error\"",
    "exception:",
    "traceback (most recent call last)",
    "command not found",
    "no such file or directory",
    "permission denied",
    "panicked at",
    "timed out",
];

/// True when a tool result's text looks like a failure: it starts with an
/// error word, contains a typical error phrase, or reports a non-zero exit
/// code. Only the first 2000 bytes are looked at.
pub fn looks_like_error(text: &str) -> bool {
    let head = &text[..text.floor_char_boundary(2000)];
    // The phrases are ASCII, so ASCII case folding is enough (and cheap).
    let lower = head.to_ascii_lowercase();
    // A JSON-wrapped result (Gemini's `{"output": …}`) starts after the key.
    let start = lower
        .trim_start()
        .trim_start_matches(|c: char| c == '{' || c == '[' || c == '"' || c.is_whitespace());
    let start = start
        .strip_prefix("output\":")
        .map(|s| s.trim_start_matches(|c: char| c == '"' || c.is_whitespace()))
        .unwrap_or(start);
    if ERROR_PREFIXES.iter().any(|p| start.starts_with(p)) {
        return true;
    }
    match scan_phrases(lower.as_bytes()) {
        Phrases::Error => true,
        Phrases::Exit => nonzero_exit(&lower),
        Phrases::None => false,
    }
}

/// What one pass over a result's text found.
enum Phrases {
    /// One of [`ERROR_PHRASES`].
    Error,
    /// No error phrase, but `exit`: the exit code decides.
    Exit,
    /// Neither.
    None,
}

/// The first bytes of [`ERROR_PHRASES`] (and `e` of `exit`).
static PHRASE_STARTS: [bool; 256] = {
    let mut t = [false; 256];
    t[b'e' as usize] = true;
    let mut i = 0;
    while i < ERROR_PHRASES.len() {
        t[ERROR_PHRASES[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    t
};

/// Look for [`ERROR_PHRASES`] and `exit` in `lower` in one pass, trying
/// them only where one can start.
fn scan_phrases(lower: &[u8]) -> Phrases {
    let mut exit = false;
    for i in 0..lower.len() {
        let c = lower[i];
        if !PHRASE_STARTS[usize::from(c)] {
            continue;
        }
        let rest = &lower[i..];
        if ERROR_PHRASES.iter().any(|p| {
            let p = p.as_bytes();
            p[0] == c && rest.starts_with(p)
        }) {
            return Phrases::Error;
        }
        exit |= rest.starts_with(b"exit");
    }
    if exit { Phrases::Exit } else { Phrases::None }
}

/// `exit code 2`, `exit status: 1`, `exited with code 127`, …
fn nonzero_exit(lower: &str) -> bool {
    ["exit code", "exit status", "exited with code", "exit_code"]
        .iter()
        .any(|marker| {
            lower.match_indices(marker).any(|(at, m)| {
                let rest = &lower[at + m.len()..];
                let rest = rest.trim_start_matches([' ', ':', '=', '"']);
                let digits: &str = &rest[..rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len())];
                !digits.trim_start_matches('0').is_empty()
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fnv1a(bytes: &[u8]) -> u64 {
        let mut h = Fnv::default();
        h.write(bytes);
        h.finish()
    }

    #[test]
    fn fnv_known_values() {
        // Reference values of 64-bit FNV-1a.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn arguments_are_canonical() {
        assert_eq!(
            canonical_arguments(r#" { "b": 1,  "a": {"y": [1, 2], "x": null} } "#),
            r#"{"a":{"x":null,"y":[1,2]},"b":1}"#
        );
        assert_eq!(canonical_arguments(""), "{}");
        assert_eq!(canonical_arguments("  not json "), "not json");
        assert_eq!(
            call_hash("Bash", r#"{"command":"ls","cwd":"/"}"#),
            call_hash("Bash", "{\"cwd\": \"/\",\n \"command\": \"ls\"}")
        );
        assert_eq!(
            describe("Bash", r#"{"command":"ls","cwd":"/"}"#),
            describe("Bash", "{\"cwd\": \"/\",\n \"command\": \"ls\"}")
        );
        assert_ne!(
            call_hash("Bash", r#"{"command":"ls"}"#),
            call_hash("Bash", r#"{"command":"ls -a"}"#)
        );
        assert_ne!(call_hash("Bash", "{}"), call_hash("Shell", "{}"));
        assert_eq!(
            describe("Bash", r#"{"command":"ls"}"#),
            r#"Bash {"command":"ls"}"#
        );
    }

    #[test]
    fn shorten_counts_characters() {
        assert_eq!(shorten("héllo", 10), "héllo");
        assert_eq!(shorten("héllo", 2), "hé…");
    }

    #[test]
    fn result_hash_ignores_numbers_and_spacing() {
        assert_eq!(
            result_hash(&["took 12 ms\n\nat 2024-01-01"], false),
            result_hash(&["took 3 ms at 2025-12-31"], false)
        );
        assert_ne!(result_hash(&["a"], false), result_hash(&["a"], true));
        assert_ne!(
            result_hash(&["no such file"], true),
            result_hash(&["permission denied"], true)
        );
    }

    /// The hash through serde alone, as before the canonical fast path.
    fn slow_hash(name: &str, arguments: &str) -> u64 {
        let mut h = Fnv::default();
        h.field(name);
        let trimmed = arguments.trim();
        match serde_json::from_str::<Value>(trimmed) {
            _ if trimmed.is_empty() => h.write(b"{}"),
            Ok(value) => {
                let _ = serde_json::to_writer(&mut h, &value);
            }
            Err(_) => h.write(trimmed.as_bytes()),
        }
        h.write(&[0xff]);
        h.finish()
    }

    #[test]
    fn the_fast_path_hashes_as_serde_does() {
        for arguments in [
            r#"{"command":"ls -la src/module_1 && cat src/module_1/mod.rs | head -50"}"#,
            r#"  {"command":"ls"}  "#,
            r#"{"command": "ls"}"#,
            r#"{"path":"a.rs","old":"x\ny","new":"\"q\"","replace_all":false,"n":3}"#,
            r#"{"new":"y","old":"x","path":"a.rs"}"#,
            r#"{"b":[1,{"d":null,"c":-2}],"a":"é"}"#,
            r#"{"x":1.0}"#,
            r#"{"s":"\u0041"}"#,
            "",
            "not json",
        ] {
            assert_eq!(
                call_hash("Bash", arguments),
                slow_hash("Bash", arguments),
                "{arguments}"
            );
        }
    }

    #[test]
    fn only_the_first_2000_bytes_are_read() {
        assert!(looks_like_error(&format!(
            "{}permission denied",
            "x".repeat(1900)
        )));
        assert!(!looks_like_error(&format!(
            "{}permission denied",
            "x".repeat(2000)
        )));
        // The cut falls inside a two-byte character without splitting it.
        assert!(!looks_like_error(&format!(
            "x{}exit code 1",
            "é".repeat(1000)
        )));
    }

    #[test]
    fn error_looking_text() {
        for text in [
            "Error: file not found",
            "error[E0425]: cannot find value",
            "  fatal: not a git repository",
            "Traceback (most recent call last):\n  File …",
            "bash: foo: command not found",
            "cat: x: No such file or directory",
            "build finished\nexit code: 2",
            "Process exited with code 127",
            r#"{"output":"Error: boom"}"#,
            r#"{"error":"no clock"}"#,
            "thread 'main' panicked at src/main.rs:3",
        ] {
            assert!(looks_like_error(text), "{text}");
        }
        for text in [
            "total 0\nfoo.txt",
            "test result: ok. 5 passed; 0 failed",
            "exit code 0",
            r#"{"output":"sunny"}"#,
            "",
        ] {
            assert!(!looks_like_error(text), "{text}");
        }
    }
}
