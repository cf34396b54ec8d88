//! Recognising JSON text that is already in canonical form, the form
//! `serde_json` writes a `Value` in: no blanks, object keys in increasing
//! byte order, strings escaped the way serde escapes them, integers without
//! leading zeros. Arguments a model writes are usually in that form
//! already, and then hashing the text itself gives the same hash as parsing
//! and re-serialising it, without the allocations.
//!
//! The check is conservative: anything it is unsure of (`\u` escapes,
//! floats, keys with escapes, deep nesting) is "not canonical", and the
//! caller takes the slow path.

/// Deepest nesting checked; deeper text takes the slow path.
const MAX_DEPTH: usize = 64;

/// True when `text` is exactly what `serde_json` would write for the value
/// it parses to.
pub fn is_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    matches!(value(b, 0, 0), Some(end) if end == b.len())
}

/// The end of the canonical value starting at `i`.
fn value(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    match *b.get(i)? {
        b'{' => object(b, i, depth),
        b'[' => array(b, i, depth),
        b'"' => string(b, i).map(|(end, _)| end),
        b't' => literal(b, i, b"true"),
        b'f' => literal(b, i, b"false"),
        b'n' => literal(b, i, b"null"),
        b'-' | b'0'..=b'9' => integer(b, i),
        _ => None,
    }
}

/// The end of `word` at `i`.
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b.get(i..)?.starts_with(word).then_some(i + word.len())
}

/// An integer serde keeps as one (at most 18 digits, no `-0`).
fn integer(b: &[u8], i: usize) -> Option<usize> {
    let negative = b[i] == b'-';
    let start = i + usize::from(negative);
    let digits = b
        .get(start..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = start + digits;
    let leading_zero = digits > 1 && b[start] == b'0';
    let minus_zero = negative && digits == 1 && b[start] == b'0';
    let fraction = matches!(b.get(end), Some(b'.' | b'e' | b'E'));
    ((1..=18).contains(&digits) && !leading_zero && !minus_zero && !fraction).then_some(end)
}

/// The end of the string literal at `i`, and whether it holds an escape.
fn string(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        match *b.get(j)? {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                // serde writes these characters with these escapes, and
                // every other character as itself except other controls
                // (`\u00XX`), which are left to the slow path.
                if !matches!(
                    b.get(j + 1)?,
                    b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f'
                ) {
                    return None;
                }
                escaped = true;
                j += 2;
            }
            c if c < 0x20 => return None,
            _ => j += 1,
        }
    }
}

/// The end of the object at `i`, keys strictly increasing.
fn object(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j) == Some(&b'}') {
        return Some(j + 1);
    }
    let mut previous: Option<&[u8]> = None;
    loop {
        if b.get(j) != Some(&b'"') {
            return None;
        }
        let (key_end, escaped) = string(b, j)?;
        let key = &b[j + 1..key_end - 1];
        // A key with escapes would have to be decoded to be ordered.
        if escaped || previous.is_some_and(|p| p >= key) {
            return None;
        }
        previous = Some(key);
        if b.get(key_end) != Some(&b':') {
            return None;
        }
        j = value(b, key_end + 1, depth + 1)?;
        match b.get(j)? {
            b',' => j += 1,
            b'}' => return Some(j + 1),
            _ => return None,
        }
    }
}

/// The end of the array at `i`.
fn array(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j) == Some(&b']') {
        return Some(j + 1);
    }
    loop {
        j = value(b, j, depth + 1)?;
        match b.get(j)? {
            b',' => j += 1,
            b']' => return Some(j + 1),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// What serde writes for `text`, when it parses.
    fn serde_form(text: &str) -> Option<String> {
        serde_json::from_str::<Value>(text)
            .ok()
            .map(|v| v.to_string())
    }

    #[test]
    fn agrees_with_serde() {
        let cases = [
            r#"{"command":"ls -la"}"#,
            r#"{"command":"ls","cwd":"/"}"#,
            r#"{"cwd":"/","command":"ls"}"#,
            r#"{"command": "ls"}"#,
            r#"{"a":{"x":null,"y":[1,2,-3]},"b":true,"c":false}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":007}"#,
            r#"{"a":123456789012345678}"#,
            r#"{"a":12345678901234567890}"#,
            r#"{"s":"line\nnext \"q\" back\\slash\ttab"}"#,
            r#"{"s":"\/"}"#,
            r#"{"s":"\u0041"}"#,
            r#"{"s":"\u001f"}"#,
            r#"{"s":"héllo ✓"}"#,
            r#"{"a\"b":1}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"b":1,"a":2}"#,
            r#"{"B":1,"a":2}"#,
            r#"{}"#,
            r#"[]"#,
            r#"[{},[],"",0]"#,
            r#""just a string""#,
            r#"42"#,
            r#"{"a":[1,2,]}"#,
            r#"{"a":1}x"#,
            r#"{"a":tru}"#,
            "{\"a\":\"raw\u{1}control\"}",
            "not json",
        ];
        for text in cases {
            let canonical = is_canonical(text);
            let serde = serde_form(text);
            if canonical {
                assert_eq!(serde.as_deref(), Some(text), "{text}");
            }
        }
        // The usual shapes of arguments take the fast path.
        for text in [
            r#"{"command":"ls -la"}"#,
            r#"{"command":"ls","cwd":"/"}"#,
            r#"{"a":{"x":null,"y":[1,2,-3]},"b":true,"c":false}"#,
            r#"{"a":123456789012345678}"#,
            r#"{"s":"line\nnext \"q\" back\\slash\ttab"}"#,
            r#"{"s":"héllo ✓"}"#,
            r#"{"B":1,"a":2}"#,
            r#"[{},[],"",0]"#,
        ] {
            assert!(is_canonical(text), "{text}");
        }
        // Deep nesting is left to the slow path rather than recursing on.
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(!is_canonical(&deep));
    }
}
