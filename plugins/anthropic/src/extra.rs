//! Helpers for the canonical `extra` JSON objects (namespaced by wire, see
//! `docs/canonical.md`) and for JSON numbers.

use serde_json::{Map, Number, Value};

/// This plugin's wire name: the only key of `extra` it reads or writes.
pub const WIRE: &str = "anthropic";

/// Header names never taken from `$headers`: credentials, and headers the
/// plugin or the host sets itself.
const BLOCKED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "cookie",
    "host",
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
];

/// The `anthropic` object of an `extra` text; absent, invalid or non-object
/// text (or key) gives an empty object: extra fields are best effort, never
/// fatal.
pub fn wire_object(extra: Option<&str>) -> Map<String, Value> {
    match extra.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(mut map))) => match map.remove(WIRE) {
            Some(Value::Object(wire)) => wire,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// Remove every reserved (`$`-prefixed) key from `map`, returning the
/// value of `key` (one of them) if it was there.
pub fn take_reserved(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let wanted = map.remove(key);
    strip_reserved(map);
    wanted
}

/// Remove every reserved (`$`-prefixed) key from `map`.
pub fn strip_reserved(map: &mut Map<String, Value>) {
    map.retain(|k, _| !k.starts_with('$'));
}

/// Copy every key of `extra` into `target` that `target` does not have yet,
/// so canonical fields always win over pass-through ones.
pub fn merge_missing(target: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (key, value) in extra {
        target.entry(key).or_insert(value);
    }
}

/// `{"anthropic": map}` as `extra` text, or `None` when `map` is empty.
pub fn to_text(map: Map<String, Value>) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    let mut outer = Map::new();
    outer.insert(WIRE.into(), Value::Object(map));
    Some(Value::Object(outer).to_string())
}

/// The HTTP headers of a `$headers` object: lower-cased names, string
/// values, never credentials or framing headers.
pub fn headers(value: Option<Value>) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = value else {
        return Vec::new();
    };
    map.into_iter()
        .filter_map(|(name, value)| {
            let name = name.trim().to_ascii_lowercase();
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.!#$%&'*+^`|~".contains(&b));
            let value = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            let clean = !value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0);
            (valid && clean && !BLOCKED_HEADERS.contains(&name.as_str())).then_some((name, value))
        })
        .collect()
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

    #[test]
    fn wire_object_reads_only_our_key() {
        assert!(wire_object(None).is_empty());
        assert!(wire_object(Some("[1]")).is_empty());
        assert!(wire_object(Some("{bad")).is_empty());
        assert!(wire_object(Some(r#"{"anthropic": 3}"#)).is_empty());
        assert!(wire_object(Some(r#"{"gemini": {"a": 1}}"#)).is_empty());
        let map = wire_object(Some(r#"{"anthropic": {"a": 1}, "openai-chat": {"b": 2}}"#));
        assert_eq!(Value::Object(map), json!({"a": 1}));
    }

    #[test]
    fn reserved_keys_are_removed() {
        let mut map = wire_object(Some(
            r#"{"anthropic": {"$headers": {"x": "1"}, "$parts": [], "$future": 1, "top_k": 5}}"#,
        ));
        assert_eq!(take_reserved(&mut map, "$headers"), Some(json!({"x": "1"})));
        assert_eq!(Value::Object(map), json!({"top_k": 5}));
    }

    #[test]
    fn merge_keeps_existing_keys() {
        let mut target = Map::new();
        target.insert("a".into(), json!(1));
        let mut extra = Map::new();
        extra.insert("a".into(), json!(2));
        extra.insert("b".into(), json!(3));
        merge_missing(&mut target, extra);
        assert_eq!(Value::Object(target), json!({"a": 1, "b": 3}));
    }

    #[test]
    fn to_text_wraps_in_our_key() {
        assert_eq!(to_text(Map::new()), None);
        let mut map = Map::new();
        map.insert("stop_sequence".into(), Value::Null);
        assert_eq!(
            to_text(map).as_deref(),
            Some(r#"{"anthropic":{"stop_sequence":null}}"#)
        );
    }

    #[test]
    fn headers_are_filtered() {
        let got = headers(Some(json!({
            "Anthropic-Beta": "a,b",
            "x-api-key": "secret",
            "authorization": "Bearer secret",
            "content-type": "text/plain",
            "x-num": 3,
            "x-obj": {},
            "bad name": "v",
            "x-inject": "a\r\nx: y",
        })));
        assert_eq!(
            got,
            vec![
                ("anthropic-beta".to_string(), "a,b".to_string()),
                ("x-num".to_string(), "3".to_string()),
            ]
        );
        assert!(headers(Some(json!("x"))).is_empty());
        assert!(headers(None).is_empty());
    }

    #[test]
    fn floats_are_short() {
        assert_eq!(f32_number(0.7), Some(json!(0.7)));
        assert_eq!(f32_number(1.0), Some(json!(1.0)));
        assert_eq!(f32_number(f32::NAN), None);
    }
}
