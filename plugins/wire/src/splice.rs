//! A JSON object written from a `serde_json` map plus one entry that is not
//! a `Value`: the list of tools, or a tool's schema kept as the raw JSON
//! text it came in as. Reading a schema into a tree only to write it back
//! cost more than the rest of a coding agent's request (20 tools, 43 KB of
//! schemas), and so did checking that the text is JSON: the host already
//! has (docs/plugins.md: a tool's `parameters` is one JSON value, read by
//! the host's own parser or checked when a filter changed it), so the text
//! is written as it stands.

use serde_json::{Map, Value};

use crate::json_string;

/// Something written as JSON into a byte buffer.
pub trait WriteJson {
    /// Append `self` as JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;

    /// Whether `self`, spliced into an object by [`write_object`], is
    /// written there; an absent entry is left out.
    fn is_present(&self) -> bool {
        true
    }
}

/// `value` as JSON bytes.
pub fn to_vec(value: &impl WriteJson) -> serde_json::Result<Vec<u8>> {
    to_vec_sized(value, 1024)
}

/// `value` as JSON bytes, written into a buffer of `size_hint` bytes to
/// begin with (see [`body_size_hint!`](crate::body_size_hint)).
pub fn to_vec_sized(value: &impl WriteJson, size_hint: usize) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size_hint);
    value.write_json(&mut out)?;
    Ok(out)
}

/// JSON text the host checked (a tool's schema), written as it stands.
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a>(pub &'a str);

impl WriteJson for Raw<'_> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(self.0.trim().as_bytes());
        Ok(())
    }
}

impl WriteJson for Value {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        write_value(out, self)
    }
}

/// `value` as compact JSON, byte for byte as `serde_json` writes it, with
/// strings (keys too) escaped by [`json_string`]: a coding agent's tools
/// carry kilobytes of descriptions, which `serde_json` escapes a byte at a
/// time.
pub fn write_value(out: &mut Vec<u8>, value: &Value) -> serde_json::Result<()> {
    match value {
        Value::String(text) => json_string::write_str(out, text),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_string::write_str(out, key);
                out.push(b':');
                write_value(out, item)?;
            }
            out.push(b'}');
        }
        // Numbers, booleans and null: as `serde_json` writes them.
        other => serde_json::to_writer(&mut *out, other)?,
    }
    Ok(())
}

impl WriteJson for str {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        json_string::write_str(out, self);
        Ok(())
    }
}

impl<T: WriteJson + ?Sized> WriteJson for &T {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        (**self).write_json(out)
    }

    fn is_present(&self) -> bool {
        (**self).is_present()
    }
}

/// A value that may be absent: spliced into an object, `None` is left out
/// (anywhere else it is `null`).
impl<T: WriteJson> WriteJson for Option<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Some(value) => value.write_json(out),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn is_present(&self) -> bool {
        self.as_ref().is_some_and(WriteJson::is_present)
    }
}

/// `items` when there are any: a list spliced into an object only then.
pub fn non_empty<T>(items: &[T]) -> Option<&[T]> {
    (!items.is_empty()).then_some(items)
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
        Ok(())
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out)?;
        }
        out.push(b']');
        Ok(())
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        self.as_slice().write_json(out)
    }
}

/// `map` written as a JSON object with `key: value` added. The entry takes
/// the key's sorted place, where the map's own keys are, and wins over an
/// entry of the same key in `map`. With no value, `map` alone is written.
#[derive(Debug)]
pub struct Spliced<V> {
    /// Every other entry.
    pub map: Map<String, Value>,
    /// The spliced entry's key.
    pub key: &'static str,
    /// The spliced entry's value, if any.
    pub value: Option<V>,
}

impl<V: WriteJson> WriteJson for Spliced<V> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        write_object(out, &self.map, &[(self.key, &self.value)])
    }
}

/// `map` written as a JSON object with the `spliced` entries added, each in
/// its key's sorted place among the map's own keys (`spliced` is in key
/// order) and winning over an entry of the same key in `map`. An absent
/// entry (see [`WriteJson::is_present`]) is left out, and the map's entry
/// of its key, if any, is written instead.
pub fn write_object(
    out: &mut Vec<u8>,
    map: &Map<String, Value>,
    spliced: &[(&str, &dyn WriteJson)],
) -> serde_json::Result<()> {
    let mut object = Object::start(out);
    let mut pending = spliced.iter().filter(|(_, v)| v.is_present()).peekable();
    for (key, value) in map {
        if spliced.iter().any(|(k, v)| k == key && v.is_present()) {
            continue;
        }
        while let Some((k, v)) = pending.next_if(|(k, _)| *k < key.as_str()) {
            v.write_json(object.key(k)?)?;
        }
        write_value(object.key(key)?, value)?;
    }
    for (k, v) in pending {
        v.write_json(object.key(k)?)?;
    }
    object.end();
    Ok(())
}

/// A JSON object being written: `{`, then keys, each followed by its value
/// (written by the caller into the buffer `key` returns), then `}`.
pub struct Object<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Object<'o> {
    /// Open an object in `out`.
    pub fn start(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Write `key` and its colon; the value goes into the returned buffer.
    pub fn key(&mut self, key: &str) -> serde_json::Result<&mut Vec<u8>> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        json_string::write_str(self.out, key);
        self.out.push(b':');
        Ok(self.out)
    }

    /// Close the object.
    pub fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn text(value: &impl WriteJson) -> String {
        String::from_utf8(to_vec(value).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_entry_takes_its_sorted_place() {
        for (keys, expected) in [
            (json!({}), r#"{"m":{"type": "object"}}"#),
            (json!({"a": 1}), r#"{"a":1,"m":{"type": "object"}}"#),
            (json!({"z": 1}), r#"{"m":{"type": "object"},"z":1}"#),
            (
                json!({"a": 1, "m": "shadowed", "z": [2]}),
                r#"{"a":1,"m":{"type": "object"},"z":[2]}"#,
            ),
        ] {
            let spliced = Spliced {
                map: map(keys),
                key: "m",
                value: Some(Raw(" {\"type\": \"object\"}\n")),
            };
            assert_eq!(text(&spliced), expected);
        }
    }

    #[test]
    fn the_same_text_as_the_tree() {
        let spliced = Spliced {
            map: map(json!({"model": "m", "messages": [], "user": "u", "tool_choice": "auto"})),
            key: "tools",
            value: Some(vec![
                json!({"type": "function"}),
                json!({"type": "web_search"}),
            ]),
        };
        let mut tree = spliced.map.clone();
        tree.insert(
            "tools".into(),
            json!([{"type": "function"}, {"type": "web_search"}]),
        );
        assert_eq!(text(&spliced), Value::Object(tree).to_string());
    }

    #[test]
    fn no_value_writes_the_map_alone() {
        let spliced: Spliced<Raw> = Spliced {
            map: map(json!({"tools": "from the map", "b": 1})),
            key: "tools",
            value: None,
        };
        assert_eq!(text(&spliced), r#"{"b":1,"tools":"from the map"}"#);
        let empty: Spliced<Raw> = Spliced {
            map: Map::new(),
            key: "tools",
            value: None,
        };
        assert_eq!(text(&empty), "{}");
        assert_eq!(text(&Vec::<Raw>::new()), "[]");
    }

    #[test]
    fn several_entries_each_take_their_place() {
        let mut out = Vec::new();
        let map = map(json!({"a": 1, "messages": "shadowed", "n": 2, "z": 3}));
        write_object(
            &mut out,
            &map,
            &[("messages", &Raw("[]")), ("tools", &Raw("[1]"))],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"a":1,"messages":[],"n":2,"tools":[1],"z":3}"#
        );
    }

    #[test]
    fn an_absent_entry_is_left_out() {
        let map = map(json!({"a": 1, "system": "from the map"}));
        let (none, some): (&[Raw], &[Raw]) = (&[], &[Raw("1")]);
        for (entries, expected) in [
            (
                [
                    ("messages", &non_empty(none) as &dyn WriteJson),
                    ("tools", &non_empty(some)),
                ],
                r#"{"a":1,"system":"from the map","tools":[1]}"#,
            ),
            (
                [("b", &Some(true)), ("system", &None::<bool>)],
                r#"{"a":1,"b":true,"system":"from the map"}"#,
            ),
            (
                [("b", &Some(None::<bool>)), ("system", &Some("spliced"))],
                r#"{"a":1,"system":"spliced"}"#,
            ),
        ] {
            let mut out = Vec::new();
            write_object(&mut out, &map, &entries).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(String::from_utf8_lossy(&out), expected);
        }
        assert_eq!(text(&None::<bool>), "null");
    }

    #[test]
    fn keys_are_escaped() {
        let spliced = Spliced {
            map: map(json!({"a\"b": "\n"})),
            key: "z",
            value: Some(Raw("1")),
        };
        assert_eq!(text(&spliced), r#"{"a\"b":"\n","z":1}"#);
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let every_byte: String = (0u8..128).map(char::from).collect();
        let values = [
            json!(null),
            json!(true),
            json!(-12),
            json!(18446744073709551615u64),
            json!(1.5e300),
            json!(0.1),
            json!(""),
            json!(every_byte),
            json!("é ✓ 𝄞 \u{2028} \u{7f}"),
            json!([]),
            json!({}),
            json!({"z": [1, "two", {"three": null}], "a\u{1}b": {"": ["\"\\"]}}),
            json!([[[[{"deep": [false, 2.25, "x\ty"]}]]]]),
        ];
        for value in values {
            let mut ours = Vec::new();
            write_value(&mut ours, &value).unwrap_or_else(|e| panic!("{e}"));
            let theirs = serde_json::to_vec(&value).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
}
