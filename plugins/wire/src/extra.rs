//! The canonical `extra` JSON objects: namespaced by wire name
//! (`{"anthropic": {…}}`, see docs/canonical.md), with reserved `$…` keys
//! inside a wire's object, and merged into upstream bodies without ever
//! overriding a canonical field.

use serde_json::{Map, Value};

/// Reserved key: HTTP headers to send upstream (see [`crate::headers`]).
pub const HEADERS_KEY: &str = "$headers";

/// Reserved key: per-part wire fields aligned with `message.content`.
pub const PARTS_KEY: &str = "$parts";

/// Reserved key (response): the wire fields of the answer's choice that
/// have no canonical home, such as OpenAI Chat's `logprobs`.
pub const CHOICE_KEY: &str = "$choice";

/// The object under `wire` in an `extra` text. Absent, invalid or
/// non-object text (at either level) gives an empty object: extra fields
/// are best effort, never fatal. Other wires' keys are ignored.
pub fn wire_object(extra: Option<&str>, wire: &str) -> Map<String, Value> {
    match extra.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(mut outer))) => match outer.remove(wire) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// Wire fields as namespaced `extra` text (`{wire: map}`), or `None` when
/// there are none.
pub fn to_text(map: Map<String, Value>, wire: &str) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    // `{wire: map}` written as it stands, not moved into an outer tree
    // (writing a string key and a map of JSON values cannot fail).
    let mut text = Vec::with_capacity(64);
    text.push(b'{');
    serde_json::to_writer(&mut text, wire).ok()?;
    text.push(b':');
    serde_json::to_writer(&mut text, &map).ok()?;
    text.push(b'}');
    String::from_utf8(text).ok()
}

/// Remove and return the reserved (`$`-prefixed) keys of `map`, leaving
/// only wire fields in it.
pub fn take_reserved(map: &mut Map<String, Value>) -> Map<String, Value> {
    let reserved: Vec<String> = map.keys().filter(|k| k.starts_with('$')).cloned().collect();
    reserved
        .into_iter()
        .filter_map(|k| map.remove(&k).map(|v| (k, v)))
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

/// The fields of `obj` whose keys are not in `known`: the wire fields a
/// plugin has no canonical home for, copied out for `extra`.
pub fn leftovers(obj: &Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
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
    fn leftovers_are_the_fields_not_known() {
        let response = obj(json!({"id": "x", "model": "m", "service_tier": "flex", "seed": null}));
        assert_eq!(
            leftovers(&response, &["id", "model"]),
            obj(json!({"service_tier": "flex", "seed": null}))
        );
        assert!(leftovers(&response, &["id", "model", "service_tier", "seed"]).is_empty());
    }

    #[test]
    fn wire_object_reads_only_this_wire() {
        assert!(wire_object(None, "anthropic").is_empty());
        assert!(wire_object(Some("[1]"), "anthropic").is_empty());
        assert!(wire_object(Some("{bad"), "anthropic").is_empty());
        assert!(wire_object(Some(r#"{"anthropic": 3}"#), "anthropic").is_empty());
        assert!(wire_object(Some(r#"{"gemini": {"a": 1}}"#), "anthropic").is_empty());
        let text = r#"{"anthropic": {"a": 1}, "openai-chat": {"b": 2}}"#;
        assert_eq!(
            Value::Object(wire_object(Some(text), "anthropic")),
            json!({"a": 1})
        );
        assert_eq!(
            Value::Object(wire_object(Some(text), "openai-chat")),
            json!({"b": 2})
        );
    }

    #[test]
    fn to_text_is_namespaced() {
        assert_eq!(to_text(Map::new(), "gemini"), None);
        assert_eq!(
            to_text(obj(json!({"stop_sequence": null})), "anthropic").as_deref(),
            Some(r#"{"anthropic":{"stop_sequence":null}}"#)
        );
        assert_eq!(
            to_text(obj(json!({"store": true})), "openai-responses").as_deref(),
            Some(r#"{"openai-responses":{"store":true}}"#)
        );
    }

    #[test]
    fn reserved_keys_are_split_off() {
        let mut map = wire_object(
            Some(
                r#"{"anthropic": {"user": "u", "$headers": {"X-Trace": "1"}, "$future": 1, "$parts": [null, {"id": "rs_1"}]}}"#,
            ),
            "anthropic",
        );
        let reserved = take_reserved(&mut map);
        assert_eq!(Value::Object(map), json!({"user": "u"}));
        assert_eq!(
            Value::Object(reserved.clone()),
            json!({"$headers": {"X-Trace": "1"}, "$future": 1, "$parts": [null, {"id": "rs_1"}]})
        );
        let parts = parts(&reserved);
        assert_eq!(part_fields(&parts, 0), Map::new());
        assert_eq!(Value::Object(part_fields(&parts, 1)), json!({"id": "rs_1"}));
        assert_eq!(part_fields(&parts, 7), Map::new());
        assert!(super::parts(&obj(json!({"$parts": {"not": "an array"}}))).is_empty());
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
}
