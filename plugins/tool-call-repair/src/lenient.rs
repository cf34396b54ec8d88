//! A forgiving JSON parser for what models write when they mean JSON.
//!
//! It accepts strict JSON and, depending on [`Leniency`], also: trailing
//! commas, single-quoted strings, unquoted keys, raw control characters
//! (newlines, tabs) inside strings and input cut off mid-value (closed the
//! way the writer most likely meant). It always tolerates a few harmless
//! slips: missing commas between members, Python literals (`True`, `False`,
//! `None`), unknown escapes (kept literally) and surplus closing brackets at
//! the end. It runs in linear time and refuses nesting deeper than
//! [`MAX_DEPTH`], so it cannot blow the stack.

use std::collections::BTreeSet;

use serde_json::{Map, Number, Value};

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 128;

/// Which non-JSON forms the parser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leniency {
    /// `[1, 2,]`, `{"a": 1,}` and doubled commas.
    pub trailing_commas: bool,
    /// `'text'` strings.
    pub single_quotes: bool,
    /// `{key: 1}`.
    pub unquoted_keys: bool,
    /// Raw newlines, tabs and other control characters inside strings.
    pub raw_newlines: bool,
    /// Input that stops mid-value: open strings and containers are closed,
    /// a dangling key is dropped.
    pub truncated: bool,
}

impl Leniency {
    /// Every leniency on.
    #[cfg(test)]
    pub const ALL: Leniency = Leniency {
        trailing_commas: true,
        single_quotes: true,
        unquoted_keys: true,
        raw_newlines: true,
        truncated: true,
    };
}

/// Names of the repairs a parse needed (for logs and tests).
pub type Applied = BTreeSet<&'static str>;

/// Why parsing stopped.
#[derive(Debug)]
enum Fail {
    /// The input ended where a value was expected (truncation allowed).
    Eof,
    /// Not repairable.
    Bad(String),
}

/// Parse `text` leniently; on success also say which repairs were needed.
pub fn parse(text: &str, opts: &Leniency) -> Result<(Value, Applied), String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        opts,
        depth: 0,
        applied: Applied::new(),
    };
    p.skip_ws();
    let value = match p.value() {
        Ok(v) => v,
        Err(Fail::Eof) => return Err("no JSON value".into()),
        Err(Fail::Bad(e)) => return Err(e),
    };
    p.skip_ws();
    // Surplus closing brackets after a complete value are a common slip.
    while matches!(p.peek(), Some(b'}' | b']')) {
        p.i += 1;
        p.applied.insert("extra_brackets");
        p.skip_ws();
    }
    if p.i < p.s.len() {
        return Err(format!(
            "unexpected text after the JSON value at byte {}",
            p.i
        ));
    }
    Ok((value, p.applied))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    opts: &'a Leniency,
    depth: usize,
    applied: Applied,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// The input ended early: a repair when truncation is allowed.
    fn eof(&mut self) -> Fail {
        if self.opts.truncated {
            self.applied.insert("truncated");
            Fail::Eof
        } else {
            Fail::Bad("the JSON ends early".into())
        }
    }

    fn bad<T>(&self, what: &str) -> Result<T, Fail> {
        Err(Fail::Bad(format!("{what} at byte {}", self.i)))
    }

    fn value(&mut self) -> Result<Value, Fail> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.eof()),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string(b'"').map(Value::String),
            Some(b'\'') if self.opts.single_quotes => {
                self.applied.insert("single_quotes");
                self.string(b'\'').map(Value::String)
            }
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => self.number(),
            Some(c) if c.is_ascii_alphabetic() => self.literal(),
            Some(_) => self.bad("unexpected character"),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, Fail>) -> Result<Value, Fail> {
        if self.depth >= MAX_DEPTH {
            return self.bad("nesting too deep");
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// After a comma: is a closing bracket (or another comma) next?
    fn surplus_comma(&mut self) -> Result<(), Fail> {
        if self.opts.trailing_commas {
            self.applied.insert("trailing_commas");
            Ok(())
        } else {
            self.bad("trailing comma")
        }
    }

    fn object(&mut self) -> Result<Value, Fail> {
        self.i += 1; // `{`
        let mut map = Map::new();
        let mut after_comma = false;
        loop {
            self.skip_ws();
            let key = match self.peek() {
                None => return self.close(Value::Object(map)),
                Some(b'}') => {
                    if after_comma {
                        self.surplus_comma()?;
                    }
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                Some(b',') => {
                    self.surplus_comma()?;
                    self.i += 1;
                    continue;
                }
                Some(b'"') => self.string(b'"'),
                Some(b'\'') if self.opts.single_quotes => {
                    self.applied.insert("single_quotes");
                    self.string(b'\'')
                }
                Some(c) if self.opts.unquoted_keys && is_ident_start(c) => {
                    self.applied.insert("unquoted_keys");
                    Ok(self.ident().to_string())
                }
                Some(_) => return self.bad("expected an object key"),
            };
            let key = match key {
                Ok(k) => k,
                // A key cut off: drop it.
                Err(Fail::Eof) => return self.close(Value::Object(map)),
                Err(e) => return Err(e),
            };
            self.skip_ws();
            match self.peek() {
                None => return self.close(Value::Object(map)),
                Some(b':') => self.i += 1,
                Some(_) => return self.bad("expected `:` after an object key"),
            }
            match self.value() {
                Ok(v) => {
                    map.insert(key, v);
                }
                Err(Fail::Eof) => return self.close(Value::Object(map)),
                Err(e) => return Err(e),
            }
            self.skip_ws();
            after_comma = false;
            match self.peek() {
                None => return self.close(Value::Object(map)),
                Some(b',') => {
                    self.i += 1;
                    after_comma = true;
                }
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                Some(c) if c == b'"' || c == b'\'' || is_ident_start(c) => {
                    self.applied.insert("missing_commas");
                }
                Some(_) => return self.bad("expected `,` or `}`"),
            }
        }
    }

    fn array(&mut self) -> Result<Value, Fail> {
        self.i += 1; // `[`
        let mut items = Vec::new();
        let mut after_comma = false;
        loop {
            self.skip_ws();
            match self.peek() {
                None => return self.close(Value::Array(items)),
                Some(b']') => {
                    if after_comma {
                        self.surplus_comma()?;
                    }
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                Some(b',') => {
                    self.surplus_comma()?;
                    self.i += 1;
                    continue;
                }
                Some(_) => {}
            }
            match self.value() {
                Ok(v) => items.push(v),
                Err(Fail::Eof) => return self.close(Value::Array(items)),
                Err(e) => return Err(e),
            }
            self.skip_ws();
            after_comma = false;
            match self.peek() {
                None => return self.close(Value::Array(items)),
                Some(b',') => {
                    self.i += 1;
                    after_comma = true;
                }
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                Some(b'{' | b'[' | b'"' | b'\'' | b'-' | b'0'..=b'9') => {
                    self.applied.insert("missing_commas");
                }
                Some(_) => return self.bad("expected `,` or `]`"),
            }
        }
    }

    /// A container the input ended inside: close it if truncation is allowed.
    fn close(&mut self, v: Value) -> Result<Value, Fail> {
        match self.eof() {
            Fail::Eof => Ok(v),
            bad => Err(bad),
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.i;
        while self.peek().is_some_and(is_ident_char) {
            self.i += 1;
        }
        // Identifier bytes are ASCII, so this slice is valid UTF-8.
        std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default()).unwrap_or_default()
    }

    fn literal(&mut self) -> Result<Value, Fail> {
        let at_end_before = self.i;
        let word = self.ident().to_string();
        let value = match word.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            "True" | "False" | "None" => {
                self.applied.insert("python_literals");
                match word.as_str() {
                    "True" => Value::Bool(true),
                    "False" => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            w if self.i >= self.s.len() && self.opts.truncated => {
                // `tru` at the very end: finish the literal.
                self.applied.insert("truncated");
                if "true".starts_with(w) {
                    Value::Bool(true)
                } else if "false".starts_with(w) {
                    Value::Bool(false)
                } else if "null".starts_with(w) {
                    Value::Null
                } else {
                    self.i = at_end_before;
                    return self.bad("unknown literal");
                }
            }
            _ => {
                self.i = at_end_before;
                return self.bad("unknown literal");
            }
        };
        Ok(value)
    }

    fn number(&mut self) -> Result<Value, Fail> {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.i += 1;
        }
        let text =
            std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default()).unwrap_or_default();
        if let Some(n) = to_number(text) {
            return Ok(n);
        }
        if self.i >= self.s.len() && self.opts.truncated {
            // `12.` or `1e` cut off: drop the unfinished tail.
            let trimmed = text.trim_end_matches(['.', 'e', 'E', '+', '-']);
            if let Some(n) = to_number(trimmed) {
                self.applied.insert("truncated");
                return Ok(n);
            }
            if trimmed.is_empty() {
                return Err(self.eof());
            }
        }
        self.i = start;
        self.bad("invalid number")
    }

    /// A string opened by `quote` (the parser is on the quote).
    fn string(&mut self, quote: u8) -> Result<String, Fail> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                // The input ended inside the string: close it.
                return match self.eof() {
                    Fail::Eof => Ok(bytes_to_string(out)),
                    bad => Err(bad),
                };
            };
            self.i += 1;
            match c {
                c if c == quote => return Ok(bytes_to_string(out)),
                b'\\' => self.escape(&mut out)?,
                c if c < 0x20 => {
                    if !self.opts.raw_newlines {
                        self.i -= 1;
                        return self.bad("raw control character in a string");
                    }
                    self.applied.insert("raw_newlines");
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }

    /// After a backslash inside a string.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), Fail> {
        let Some(c) = self.peek() else {
            // A lone backslash at the very end: drop it.
            return match self.eof() {
                Fail::Eof => Ok(()),
                bad => Err(bad),
            };
        };
        self.i += 1;
        let simple = match c {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'\'' => Some(b'\''),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        if c == b'u'
            && let Some(code) = self.hex4()
        {
            let ch = if (0xD800..0xDC00).contains(&code) {
                // A high surrogate: take the low one if it follows.
                let save = self.i;
                let low = if self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                    self.i += 2;
                    self.hex4().filter(|l| (0xDC00..0xE000).contains(l))
                } else {
                    None
                };
                match low {
                    Some(low) => char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)),
                    None => {
                        self.i = save;
                        None
                    }
                }
            } else {
                char::from_u32(code)
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.unwrap_or('\u{FFFD}').encode_utf8(&mut buf).as_bytes());
            return Ok(());
        }
        // An unknown escape such as `\d` in a regex or `C:\p` in a path:
        // keep it literally, which is what the writer meant.
        self.applied.insert("bad_escapes");
        out.push(b'\\');
        self.i -= 1;
        Ok(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        let code = u32::from_str_radix(text, 16).ok()?;
        self.i += 4;
        Some(code)
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'-')
}

/// Parse a number text strictly; `.5` and `+1` are accepted as well.
fn to_number(text: &str) -> Option<Value> {
    let text = text.strip_prefix('+').unwrap_or(text);
    if let Ok(v @ Value::Number(_)) = serde_json::from_str::<Value>(text) {
        return Some(v);
    }
    let fixed = if let Some(rest) = text.strip_prefix("-.") {
        format!("-0.{rest}")
    } else if let Some(rest) = text.strip_prefix('.') {
        format!("0.{rest}")
    } else {
        return None;
    };
    serde_json::from_str::<f64>(&fixed)
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

/// Bytes copied from valid UTF-8 input (plus encoded escapes) are UTF-8;
/// be safe anyway.
fn bytes_to_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(text: &str) -> (Value, Vec<&'static str>) {
        match parse(text, &Leniency::ALL) {
            Ok((v, applied)) => (v, applied.into_iter().collect()),
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    const NONE: Leniency = Leniency {
        trailing_commas: false,
        single_quotes: false,
        unquoted_keys: false,
        raw_newlines: false,
        truncated: false,
    };

    #[test]
    fn strict_json_needs_no_repair() {
        let (v, applied) =
            ok(r#"{"a": [1, 2.5, -3e2, true, false, null, "x\n\u00e9\ud83d\ude00"]}"#);
        assert_eq!(
            v,
            json!({"a": [1, 2.5, -300.0, true, false, null, "x\né😀"]})
        );
        assert!(applied.is_empty());
        assert!(parse("{\"a\": 1}", &NONE).is_ok());
    }

    #[test]
    fn trailing_commas() {
        assert_eq!(
            ok(r#"{"a": [1, 2,], "b": 3,}"#),
            (json!({"a": [1, 2], "b": 3}), vec!["trailing_commas"])
        );
        assert_eq!(ok(r#"{"a": 1,, "b": 2}"#).0, json!({"a": 1, "b": 2}));
        assert!(parse(r#"{"a": 1,}"#, &NONE).is_err());
    }

    #[test]
    fn single_quotes() {
        assert_eq!(
            ok(r#"{'path': 'it\'s "here"'}"#),
            (json!({"path": "it's \"here\""}), vec!["single_quotes"])
        );
        assert!(parse("{'a': 1}", &NONE).is_err());
    }

    #[test]
    fn unquoted_keys() {
        assert_eq!(
            ok(r#"{command: "ls", max_depth: 2, $x-y: 1}"#),
            (
                json!({"command": "ls", "max_depth": 2, "$x-y": 1}),
                vec!["unquoted_keys"]
            )
        );
        assert!(parse("{a: 1}", &NONE).is_err());
    }

    #[test]
    fn raw_newlines() {
        assert_eq!(
            ok("{\"text\": \"line 1\nline 2\tend\"}"),
            (json!({"text": "line 1\nline 2\tend"}), vec!["raw_newlines"])
        );
        assert!(parse("{\"a\": \"x\ny\"}", &NONE).is_err());
    }

    #[test]
    fn truncated_input_is_closed() {
        let cases = [
            (r#"{"a": "hel"#, json!({"a": "hel"})),
            (r#"{"a": 1, "b"#, json!({"a": 1})),
            (r#"{"a": 1, "b":"#, json!({"a": 1})),
            (r#"{"a": 1, "b": "#, json!({"a": 1})),
            (r#"{"a": [1, {"b": tr"#, json!({"a": [1, {"b": true}]})),
            (r#"{"a": 12."#, json!({"a": 12})),
            (r#"{"a": -"#, json!({})),
            (r#"{"a": "x\"#, json!({"a": "x"})),
            (r#"{"a": [1, 2"#, json!({"a": [1, 2]})),
            (r#"{"a": 1,"#, json!({"a": 1})),
            ("{", json!({})),
        ];
        for (text, want) in cases {
            let (v, applied) = ok(text);
            assert_eq!(v, want, "{text}");
            assert!(applied.contains(&"truncated"), "{text}: {applied:?}");
            assert!(parse(text, &NONE).is_err(), "{text}");
        }
    }

    #[test]
    fn always_tolerated_slips() {
        assert_eq!(ok(r#"{"a": 1 "b": 2}"#).0, json!({"a": 1, "b": 2}));
        assert_eq!(ok(r#"[1 2]"#).0, json!([1, 2]));
        assert_eq!(
            ok(r#"{"a": True, "b": None}"#).0,
            json!({"a": true, "b": null})
        );
        assert_eq!(
            ok(r#"{"re": "\d+\.txt", "p": "C:\path"}"#).0,
            json!({"re": "\\d+\\.txt", "p": "C:\\path"})
        );
        assert_eq!(ok(r#"{"a": 1}}"#).0, json!({"a": 1}));
        assert_eq!(ok(r#"{"a": .5, "b": +2}"#).0, json!({"a": 0.5, "b": 2}));
    }

    #[test]
    fn refuses_garbage() {
        for text in [
            "",
            "   ",
            "hello",
            r#"{"a": 1} trailing"#,
            r#"{"a" 1}"#,
            "{\"a\": @}",
            "{\"a\": nul}x",
        ] {
            assert!(parse(text, &Leniency::ALL).is_err(), "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep, &Leniency::ALL).is_err());
        let ok_depth = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok_depth, &Leniency::ALL).is_ok());
    }

    #[test]
    fn keeps_unicode() {
        assert_eq!(
            ok("{'name': 'Zoë ✿ 東京'}").0,
            json!({"name": "Zoë ✿ 東京"})
        );
    }
}
