//! Small readers and writers of JSON values: string fields and `f32`
//! numbers.

use serde_json::{Number, Value};

/// A string field, or `""` when absent or not a string.
pub fn str_or_empty(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A non-empty string field.
pub fn non_empty_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The unsigned integer at `value[outer][inner]` (as `pointer` would find
/// it, without parsing a pointer and allocating its tokens).
pub fn nested_u64(value: &Value, outer: &str, inner: &str) -> Option<u64> {
    value.get(outer)?.get(inner)?.as_u64()
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
    fn string_fields() {
        let v = json!({"a": "x", "e": "", "n": 1});
        assert_eq!(str_or_empty(&v, "a"), "x");
        assert_eq!(str_or_empty(&v, "n"), "");
        assert_eq!(str_or_empty(&v, "missing"), "");
        assert_eq!(non_empty_str(&v, "a"), Some("x"));
        assert_eq!(non_empty_str(&v, "e"), None);
        assert_eq!(non_empty_str(&v, "n"), None);
        assert_eq!(non_empty_str(&Value::Null, "a"), None);
    }

    #[test]
    fn floats_are_short() {
        assert_eq!(f32_number(0.7), Some(json!(0.7)));
        assert_eq!(f32_number(1.0), Some(json!(1.0)));
        assert_eq!(f32_number(f32::NAN), None);
        assert_eq!(f32_number(f32::INFINITY), None);
    }
}
