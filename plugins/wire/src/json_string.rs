//! JSON strings written straight into a body, escaped as `serde_json`
//! escapes them but scanned eight bytes at a time: a coding agent's turn
//! carries tens of kilobytes of text (prompts, file contents, command
//! output), nearly all of it needing no escape, and a byte-at-a-time scan
//! is slow in Wasm.

/// Append `text` to `out` as a JSON string, quotes included.
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    escape_into(out, text);
    out.push(b'"');
}

/// Append `text` to `out` JSON-escaped, without quotes: several pieces
/// written one after another between one pair of quotes make one string.
pub fn escape_into(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    // `start..at` is a run of bytes that need no escape, not yet copied.
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(word) = bytes
            .get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            && !needs_escape(u64::from_le_bytes(word))
        {
            at += 8;
            continue;
        }
        if let Some(escape) = bytes.get(at).copied().and_then(escape) {
            out.extend_from_slice(bytes.get(start..at).unwrap_or_default());
            out.extend_from_slice(escape.as_bytes());
            start = at + 1;
        }
        at += 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// Whether any byte of `word` is a control character, `"` or `\`. Bytes of
/// multi-byte UTF-8 sequences (0x80 and up) never match.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte below n sets its high bit in (w - n) & !w (n <= 0x80).
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGHS;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    control | quote | backslash != 0
}

/// The escape for `byte`, if it needs one.
fn escape(byte: u8) -> Option<&'static str> {
    const CONTROL: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ];
    match byte {
        b'"' => Some("\\\""),
        b'\\' => Some("\\\\"),
        _ => CONTROL.get(usize::from(byte)).copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_same_text_as_serde_json() {
        let mut every_byte = String::new();
        for c in (0u8..0x80).map(char::from) {
            every_byte.push(c);
        }
        let cases = [
            String::new(),
            "plain".to_string(),
            "exactly8".to_string(),
            "sixteen bytes!!!".to_string(),
            "a \"quoted\" word and a back\\slash at 8: \\".to_string(),
            "line\nbreaks\r\n\ttabs\u{8}\u{c}\u{0}\u{1f}\u{7f}".to_string(),
            "héllo wörld — ✓ 日本語 🎉 with \"quotes\" after multibyte".to_string(),
            every_byte.clone(),
            every_byte.repeat(3)[5..].to_string(),
            "fn main() {\n    println!(\"hello\");\n}\n".repeat(20),
        ];
        for text in cases {
            let expected = serde_json::to_string(&text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(written(&text), expected, "{text:?}");
            // Every offset, so each byte is met both in a word and alone.
            for from in 0..text.len().min(9) {
                if let Some(tail) = text.get(from..) {
                    let expected = serde_json::to_string(tail).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(written(tail), expected);
                }
            }
        }
    }

    #[test]
    fn pieces_make_one_string() {
        let mut out = vec![b'"'];
        escape_into(&mut out, "a\"b");
        escape_into(&mut out, "\nc");
        out.push(b'"');
        assert_eq!(out, br#""a\"b\nc""#);
    }

    #[test]
    fn the_word_test_finds_each_byte_in_each_lane() {
        for lane in 0..8 {
            for byte in 0u8..=255 {
                let mut word = [b'a'; 8];
                word[lane] = byte;
                let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
                assert_eq!(
                    needs_escape(u64::from_le_bytes(word)),
                    expected,
                    "byte {byte:#x} in lane {lane}"
                );
            }
        }
    }
}
