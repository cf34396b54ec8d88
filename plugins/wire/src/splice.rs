//! A JSON object written from a `serde_json` map plus one entry that is not
//! a `Value`: the list of tools, or a tool's schema kept as the raw JSON
//! text it came in as. Reading a schema into a tree only to write it back
//! cost more than the rest of a coding agent's request (20 tools, 43 KB of
//! schemas).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

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

impl<V: Serialize> Serialize for Spliced<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(value) = &self.value else {
            return self.map.serialize(serializer);
        };
        let shadowed = usize::from(self.map.contains_key(self.key));
        let mut out = serializer.serialize_map(Some(self.map.len() + 1 - shadowed))?;
        let mut pending = Some(value);
        for (key, entry) in &self.map {
            if key == self.key {
                continue;
            }
            if key.as_str() > self.key
                && let Some(value) = pending.take()
            {
                out.serialize_entry(self.key, value)?;
            }
            out.serialize_entry(key, entry)?;
        }
        if let Some(value) = pending {
            out.serialize_entry(self.key, value)?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::value::RawValue;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn text<V: Serialize>(spliced: &Spliced<V>) -> String {
        serde_json::to_string(spliced).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_entry_takes_its_sorted_place() {
        let raw: Box<RawValue> =
            serde_json::from_str(r#"{"type": "object"}"#).unwrap_or_else(|e| panic!("{e}"));
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
                value: Some(&*raw),
            };
            assert_eq!(text(&spliced), expected);
        }
    }

    #[test]
    fn the_same_text_as_the_tree() {
        let spliced = Spliced {
            map: map(json!({"model": "m", "messages": [], "user": "u", "tool_choice": "auto"})),
            key: "tools",
            value: Some(vec![json!({"type": "function"})]),
        };
        let mut tree = spliced.map.clone();
        tree.insert("tools".into(), json!([{"type": "function"}]));
        assert_eq!(text(&spliced), Value::Object(tree).to_string());
    }

    #[test]
    fn no_value_writes_the_map_alone() {
        let spliced: Spliced<u8> = Spliced {
            map: map(json!({"tools": "from the map", "b": 1})),
            key: "tools",
            value: None,
        };
        assert_eq!(text(&spliced), r#"{"b":1,"tools":"from the map"}"#);
    }
}
