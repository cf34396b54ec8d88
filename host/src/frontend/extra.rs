//! Canonical `extra` objects, namespaced by wire (docs/canonical.md): a
//! front-end writes and reads only its own format's key.

use serde_json::{Map, Value};

use super::Format;

/// `fields` as `extra` text under `format`'s key; `None` when empty.
pub fn wrap(format: Format, fields: Map<String, Value>) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let mut outer = Map::with_capacity(1);
    outer.insert(format.name().to_owned(), Value::Object(fields));
    Some(Value::Object(outer).to_string())
}

/// The fields of `obj` other than `known`: what a front-end keeps as
/// `extra` once it has read the fields it knows (cloned field by field, so
/// the known ones, a message's text say, are not copied).
pub fn leftovers(obj: &Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `obj` without the `known` keys: what a front-end keeps as `extra` once it
/// has taken out the fields it knows (the owned twin of [`leftovers`]).
pub fn without(mut obj: Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    for key in known {
        obj.remove(*key);
    }
    obj
}

/// The fields under `format`'s key of `extra`; empty when absent or malformed.
pub fn unwrap(format: Format, extra: Option<&str>) -> Map<String, Value> {
    let Some(text) = extra else {
        return Map::new();
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut outer)) => take_object(&mut outer, format.name()),
        _ => Map::new(),
    }
}

/// Remove `key` from `map` and give its object; empty when it was absent
/// or not an object.
pub fn take_object(map: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    match map.remove(key) {
        Some(Value::Object(fields)) => fields,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_is_per_format() {
        let mut fields = Map::new();
        fields.insert("user".into(), json!("u1"));
        let text = wrap(Format::Anthropic, fields.clone());
        assert_eq!(unwrap(Format::Anthropic, text.as_deref()), fields);
        assert!(unwrap(Format::Gemini, text.as_deref()).is_empty());
        assert!(wrap(Format::Gemini, Map::new()).is_none());
        assert!(unwrap(Format::Gemini, Some("[1]")).is_empty());
    }
}
