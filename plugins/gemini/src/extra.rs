//! Helpers for the canonical `extra` JSON objects, which are namespaced by
//! wire (`{"gemini": {…}}`, see docs/canonical.md), and for JSON numbers.

use serde_json::{Map, Number, Value};

/// This plugin's wire name: the only `extra` key it reads and writes.
pub const WIRE: &str = "gemini";

/// The `extra` text as a JSON object; absent, invalid or non-object text
/// gives an empty object (extra fields are best effort, never fatal).
pub fn parse_object(extra: Option<&str>) -> Map<String, Value> {
    match extra.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    }
}

/// The Gemini fields of a canonical `extra`: `extra["gemini"]` when it is an
/// object, else nothing. Other wires' keys are ignored.
pub fn wire_object(extra: Option<&str>) -> Map<String, Value> {
    match parse_object(extra).remove(WIRE) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Split off the reserved `$…` keys: returns them, leaving only wire fields
/// in `fields`.
pub fn take_reserved(fields: &mut Map<String, Value>) -> Map<String, Value> {
    let reserved: Vec<String> = fields
        .keys()
        .filter(|k| k.starts_with('$'))
        .cloned()
        .collect();
    reserved
        .into_iter()
        .filter_map(|k| fields.remove(&k).map(|v| (k, v)))
        .collect()
}

/// Copy every key of `extra` into `target` that `target` does not have yet,
/// so canonical fields always win over pass-through ones.
pub fn merge_missing(target: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (key, value) in extra {
        target.entry(key).or_insert(value);
    }
}

/// Like [`merge_missing`], but where both sides hold an object under the
/// same key the objects are merged the same way, so pass-through fields
/// nested in an object the plugin also writes (say
/// `generationConfig.responseMimeType`) survive. Keys in `atomic` are never
/// merged into: the canonical value replaces the pass-through one whole.
pub fn merge_deep(target: &mut Map<String, Value>, extra: Map<String, Value>, atomic: &[&str]) {
    for (key, value) in extra {
        match (target.get_mut(&key), value) {
            (None, value) => {
                target.insert(key, value);
            }
            (Some(Value::Object(inner)), Value::Object(more))
                if !atomic.contains(&key.as_str()) =>
            {
                merge_deep(inner, more, atomic);
            }
            _ => {}
        }
    }
}

/// A JSON object of Gemini fields as canonical `extra` text
/// (`{"gemini": {…}}`), or `None` when it is empty.
pub fn to_text(map: Map<String, Value>) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    let mut outer = Map::new();
    outer.insert(WIRE.into(), Value::Object(map));
    Some(Value::Object(outer).to_string())
}

/// An `f32` as the JSON number a person would write (`0.7`, not
/// `0.699999988079071`); `None` for NaN and infinities.
pub fn f32_number(value: f32) -> Option<Value> {
    if !value.is_finite() {
        return None;
    }
    let shortest: f64 = value.to_string().parse().ok()?;
    Number::from_f64(shortest).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn wire_object_reads_only_the_gemini_key() {
        assert!(wire_object(None).is_empty());
        assert!(wire_object(Some("[1]")).is_empty());
        assert!(wire_object(Some("{bad")).is_empty());
        assert!(wire_object(Some(r#"{"gemini": 3}"#)).is_empty());
        assert!(wire_object(Some(r#"{"anthropic": {"metadata": {}}}"#)).is_empty());
        assert_eq!(
            Value::Object(wire_object(Some(
                r#"{"anthropic": {"x": 1}, "gemini": {"cachedContent": "c"}}"#
            ))),
            json!({"cachedContent": "c"})
        );
    }

    #[test]
    fn reserved_keys_are_split_off() {
        let mut fields = obj(json!({"$headers": {"a": "b"}, "safetySettings": [], "$parts": []}));
        let reserved = take_reserved(&mut fields);
        assert_eq!(Value::Object(fields), json!({"safetySettings": []}));
        assert_eq!(
            Value::Object(reserved),
            json!({"$headers": {"a": "b"}, "$parts": []})
        );
    }

    #[test]
    fn merges_keep_canonical_values() {
        let mut target = obj(json!({"a": 1}));
        merge_missing(&mut target, obj(json!({"a": 2, "b": 3})));
        assert_eq!(Value::Object(target), json!({"a": 1, "b": 3}));

        let mut target = obj(json!({"g": {"t": 1, "k": {"x": 1}}, "n": 1}));
        merge_deep(
            &mut target,
            obj(json!({"g": {"t": 2, "m": "json", "k": {"y": 2}}, "n": {"z": 1}, "o": 4})),
            &["k"],
        );
        assert_eq!(
            Value::Object(target),
            json!({"g": {"t": 1, "m": "json", "k": {"x": 1}}, "n": 1, "o": 4})
        );
    }

    #[test]
    fn to_text_namespaces() {
        assert_eq!(to_text(Map::new()), None);
        assert_eq!(
            to_text(obj(json!({"promptFeedback": {}}))),
            Some(r#"{"gemini":{"promptFeedback":{}}}"#.into())
        );
    }

    #[test]
    fn floats_are_short() {
        assert_eq!(f32_number(0.7), Some(json!(0.7)));
        assert_eq!(f32_number(1.0), Some(json!(1.0)));
        assert_eq!(f32_number(f32::NAN), None);
    }
}
