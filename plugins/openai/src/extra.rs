//! Helpers for the canonical `extra` JSON objects and for JSON numbers.

use serde_json::{Map, Number, Value};

/// This wire's key in canonical `extra` objects (docs/canonical.md): the
/// plugin reads and writes only the fields under it.
pub const WIRE: &str = "openai-chat";

/// The fields under [`WIRE`] in the `extra` text; absent, invalid or
/// non-object text gives an empty object (extra fields are best effort,
/// never fatal), and other wires' fields are ignored.
pub fn parse_object(extra: Option<&str>) -> Map<String, Value> {
    match extra.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(mut outer))) => match outer.remove(WIRE) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        },
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

/// A JSON object as `extra` text under [`WIRE`], or `None` when it is empty.
pub fn to_text(map: Map<String, Value>) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    let mut outer = Map::with_capacity(1);
    outer.insert(WIRE.to_owned(), Value::Object(map));
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
    fn parse_object_is_lenient() {
        assert!(parse_object(None).is_empty());
        assert!(parse_object(Some("[1]")).is_empty());
        assert!(parse_object(Some("{bad")).is_empty());
        assert!(parse_object(Some(r#"{"anthropic":{"a":1}}"#)).is_empty());
        assert_eq!(
            parse_object(Some(r#"{"openai-chat":{"a":1}}"#)).get("a"),
            Some(&json!(1))
        );
    }

    #[test]
    fn merge_keeps_existing_keys() {
        let mut target = parse_object(Some(r#"{"openai-chat":{"a":1}}"#));
        merge_missing(
            &mut target,
            parse_object(Some(r#"{"openai-chat":{"a":2,"b":3}}"#)),
        );
        assert_eq!(Value::Object(target), json!({"a":1,"b":3}));
    }

    #[test]
    fn floats_are_short() {
        assert_eq!(f32_number(0.7), Some(json!(0.7)));
        assert_eq!(f32_number(1.0), Some(json!(1.0)));
        assert_eq!(f32_number(f32::NAN), None);
    }
}
