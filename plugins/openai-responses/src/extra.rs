//! Helpers for the canonical `extra` JSON objects (namespaced by wire, see
//! `docs/canonical.md`) and for JSON numbers.

use serde_json::{Map, Number, Value};

use crate::WIRE;

/// Reserved key: HTTP headers to send upstream.
pub const HEADERS_KEY: &str = "$headers";

/// Reserved key: per-part wire fields aligned with `message.content`.
pub const PARTS_KEY: &str = "$parts";

/// Header names never taken from `$headers`: credentials, and headers this
/// plugin or the HTTP layer owns.
const BLOCKED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "cookie",
    "set-cookie",
    "host",
    "content-type",
    "content-length",
    "accept",
    "accept-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
];

/// This wire's object inside an `extra` text: `extra["openai-responses"]`.
/// Absent, invalid or non-object text (at either level) gives an empty
/// object; extra fields are best effort, never fatal.
pub fn wire_object(extra: Option<&str>) -> Map<String, Value> {
    let Some(Ok(Value::Object(mut outer))) = extra.map(serde_json::from_str::<Value>) else {
        return Map::new();
    };
    match outer.remove(WIRE) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Remove and return the reserved `$…` keys of `map`, leaving only wire
/// fields in it.
pub fn take_reserved(map: &mut Map<String, Value>) -> Map<String, Value> {
    let reserved: Vec<String> = map.keys().filter(|k| k.starts_with('$')).cloned().collect();
    reserved
        .into_iter()
        .filter_map(|k| map.remove(&k).map(|v| (k, v)))
        .collect()
}

/// The `$headers` of a reserved-key map as `(lower-case name, value)`
/// pairs, without credentials or headers the plugin sets itself. Non-string
/// values and invalid names are skipped.
pub fn headers(reserved: &Map<String, Value>) -> Vec<(String, String)> {
    let Some(Value::Object(headers)) = reserved.get(HEADERS_KEY) else {
        return Vec::new();
    };
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = value.as_str()?;
            let valid_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            let valid_value = !value.contains(['\r', '\n']);
            (valid_name && valid_value && !BLOCKED_HEADERS.contains(&name.as_str()))
                .then(|| (name, value.to_string()))
        })
        .collect()
}

/// The `$parts` array of a reserved-key map (entry *i* belongs to content
/// part *i*); empty when absent or not an array.
pub fn parts(reserved: &Map<String, Value>) -> Vec<Value> {
    match reserved.get(PARTS_KEY) {
        Some(Value::Array(parts)) => parts.clone(),
        _ => Vec::new(),
    }
}

/// The wire fields of `$parts` entry `index` (an empty object when there is
/// none or it is not an object).
pub fn part_fields(parts: &[Value], index: usize) -> Map<String, Value> {
    match parts.get(index) {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    }
}

/// Copy every key of `extra` into `target` that `target` does not have yet,
/// so canonical fields always win over pass-through ones.
pub fn merge_missing(target: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (key, value) in extra {
        target.entry(key).or_insert(value);
    }
}

/// Wire fields as namespaced `extra` text (`{"openai-responses": {…}}`), or
/// `None` when there are none.
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

    #[test]
    fn wire_object_reads_only_this_wire() {
        assert!(wire_object(None).is_empty());
        assert!(wire_object(Some("[1]")).is_empty());
        assert!(wire_object(Some("{bad")).is_empty());
        assert!(wire_object(Some(r#"{"openai-responses": 3}"#)).is_empty());
        assert!(wire_object(Some(r#"{"anthropic": {"a": 1}}"#)).is_empty());
        let map = wire_object(Some(
            r#"{"openai-responses": {"a": 1}, "gemini": {"b": 2}}"#,
        ));
        assert_eq!(Value::Object(map), json!({"a": 1}));
    }

    #[test]
    fn reserved_keys_are_split_off() {
        let mut map = wire_object(Some(
            r#"{"openai-responses": {"user": "u", "$headers": {"X-Trace": "1"}, "$parts": [null, {"id": "rs_1"}]}}"#,
        ));
        let reserved = take_reserved(&mut map);
        assert_eq!(Value::Object(map), json!({"user": "u"}));
        assert_eq!(headers(&reserved), vec![("x-trace".into(), "1".into())]);
        let parts = parts(&reserved);
        assert_eq!(part_fields(&parts, 0), Map::new());
        assert_eq!(Value::Object(part_fields(&parts, 1)), json!({"id": "rs_1"}));
        assert_eq!(part_fields(&parts, 7), Map::new());
    }

    #[test]
    fn credentials_and_bad_headers_are_never_forwarded() {
        let mut map = wire_object(Some(
            r#"{"openai-responses": {"$headers": {
                "Authorization": "Bearer client", "x-api-key": "k", "cookie": "c",
                "content-type": "text/plain", "openai-beta": "responses=v1",
                "bad name": "x", "x-num": 3, "x-inject": "a\r\nb: c"}}}"#,
        ));
        let reserved = take_reserved(&mut map);
        assert_eq!(
            headers(&reserved),
            vec![("openai-beta".into(), "responses=v1".into())]
        );
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
    fn to_text_is_namespaced() {
        assert_eq!(to_text(Map::new()), None);
        let mut map = Map::new();
        map.insert("store".into(), json!(true));
        assert_eq!(
            to_text(map).as_deref(),
            Some(r#"{"openai-responses":{"store":true}}"#)
        );
    }

    #[test]
    fn floats_are_short() {
        assert_eq!(f32_number(0.7), Some(json!(0.7)));
        assert_eq!(f32_number(1.0), Some(json!(1.0)));
        assert_eq!(f32_number(f32::NAN), None);
    }
}
