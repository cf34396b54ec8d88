//! A request body parsed into a JSON tree, except the values at a few
//! paths, which are kept as the text they came in: the tools' JSON Schemas
//! (the gateway passes a schema on and never reads it, and a coding agent
//! sends tens of kilobytes of them with every turn; reading them into a
//! tree and writing them out again cost more than all the rest of such a
//! request; kept as text, they also reach the upstream in the client's own
//! key order), and what a front-end reads into typed records itself (the
//! Chat messages).

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

/// One step of a path into a JSON document.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// The value of this key of an object.
    Key(&'static str),
    /// Every element of an array.
    Each,
}

/// `body` as a JSON tree in which each value at one of `paths` is a
/// `Value::String` holding that value's JSON text (a JSON `null` there
/// stays `Value::Null`). Where the document does not have a path's shape
/// (an object where an array was expected), it is a plain tree.
pub fn parse(body: &[u8], paths: &[&[Step]]) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = Node(paths.to_vec()).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// The value at the rests of the paths that reach it.
struct Node<'p>(Vec<&'p [Step]>);

impl<'p> Node<'p> {
    /// The rests of the paths whose next step `matches`.
    fn next(&self, matches: impl Fn(&Step) -> bool) -> Vec<&'p [Step]> {
        self.0
            .iter()
            .filter_map(|path| match path.split_first() {
                Some((step, rest)) if matches(step) => Some(rest),
                _ => None,
            })
            .collect()
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.0.iter().any(|path| path.is_empty()) {
            let raw = <&RawValue>::deserialize(deserializer)?;
            return Ok(match raw.get() {
                "null" => Value::Null,
                text => Value::String(text.to_owned()),
            });
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let next = self.next(|step| matches!(step, Step::Each));
        if next.is_empty() {
            while let Some(item) = seq.next_element::<Value>()? {
                items.push(item);
            }
        } else {
            while let Some(item) = seq.next_element_seed(Node(next.clone()))? {
                items.push(item);
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let next = self.next(|step| matches!(step, Step::Key(wanted) if key == *wanted));
            let value = if next.is_empty() {
                map.next_value::<Value>()?
            } else {
                map.next_value_seed(Node(next))?
            };
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMAS: &[Step] = &[
        Step::Key("tools"),
        Step::Each,
        Step::Key("function"),
        Step::Key("parameters"),
    ];

    fn parsed(body: &str) -> serde_json::Result<Value> {
        parse(body.as_bytes(), &[SCHEMAS])
    }

    #[test]
    fn schemas_are_kept_as_their_text() -> serde_json::Result<()> {
        let body = r#"{"model": "m", "n": -1.5, "ok": true, "tools": [
            {"type": "function", "function": {"name": "a", "parameters": {"z": 1, "a": [1, 2.5, "x\u00e9"]}}},
            {"type": "function", "function": {"name": "b", "parameters": null}},
            {"type": "function", "function": {"name": "c"}}
        ], "messages": [{"role": "user", "content": "hi \"there\""}]}"#;
        assert_eq!(
            parsed(body)?,
            json!({"model": "m", "n": -1.5, "ok": true, "tools": [
                {"type": "function", "function": {"name": "a", "parameters": r#"{"z": 1, "a": [1, 2.5, "x\u00e9"]}"#}},
                {"type": "function", "function": {"name": "b", "parameters": null}},
                {"type": "function", "function": {"name": "c"}}
            ], "messages": [{"role": "user", "content": "hi \"there\""}]})
        );
        Ok(())
    }

    #[test]
    fn several_paths_are_kept() -> serde_json::Result<()> {
        let body = r#"{"messages": [{"role": "user"}], "tools": [{"function": {"parameters": {"a": 1}}}], "x": {"messages": [1]}}"#;
        assert_eq!(
            parse(body.as_bytes(), &[&[Step::Key("messages")], SCHEMAS])?,
            json!({
                "messages": r#"[{"role": "user"}]"#,
                "tools": [{"function": {"parameters": r#"{"a": 1}"#}}],
                "x": {"messages": [1]},
            })
        );
        Ok(())
    }

    #[test]
    fn off_the_path_it_is_the_plain_tree() -> serde_json::Result<()> {
        for body in [
            r#"{"tools": {"function": {"parameters": {"a": 1}}}}"#,
            r#"{"tools": [{"function": "parameters"}, 3, null]}"#,
            r#"{"other": [{"function": {"parameters": {"a": 1}}}], "u": 18446744073709551615}"#,
            r#"[{"tools": []}]"#,
            r#""just a string""#,
        ] {
            let tree: Value = serde_json::from_str(body)?;
            assert_eq!(parsed(body)?, tree, "{body}");
        }
        Ok(())
    }

    #[test]
    fn bad_json_is_refused_as_before() {
        for body in [
            r#"{"tools": [{"function": {"parameters": {"a": }}}]}"#,
            r#"{"a": 1} trailing"#,
            r#"{"a": 1"#,
            "",
        ] {
            let ours = parsed(body).err().map(|e| e.to_string());
            let theirs = serde_json::from_str::<Value>(body)
                .err()
                .map(|e| e.to_string());
            assert!(ours.is_some(), "accepted {body}");
            assert_eq!(ours, theirs, "{body}");
        }
    }
}
