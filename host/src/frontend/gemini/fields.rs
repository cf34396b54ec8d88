//! Reading Gemini JSON objects field by field.
//!
//! Google's JSON mapping accepts each field under its `lowerCamelCase` name
//! and its proto `snake_case` name (`systemInstruction` and
//! `system_instruction`). The decoder *takes* fields out of a copy of each
//! object, so whatever is left has no canonical home and goes to `extra`.

use serde_json::{Map, Value};

use crate::api_error::ApiError;

/// Remove `camel` (or its `snake_case` spelling) from `obj`. A JSON `null`
/// counts as absent.
pub fn take(obj: &mut Map<String, Value>, camel: &str) -> Option<Value> {
    let value = match obj.remove(camel) {
        Some(value) => Some(value),
        None => {
            let snake = snake_case(camel);
            if snake == camel {
                None
            } else {
                obj.remove(&snake)
            }
        }
    };
    value.filter(|v| !v.is_null())
}

/// `lowerCamelCase` → `snake_case`.
fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `param` joined to a child field name.
pub fn join(param: &str, field: &str) -> String {
    if param.is_empty() {
        field.to_string()
    } else {
        format!("{param}.{field}")
    }
}

/// An object, or a 400 naming `param`.
pub fn object(param: &str, value: Value) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::bad_field(
            param,
            format!("`{param}` must be an object"),
        )),
    }
}

/// An array, or a 400 naming `param`.
pub fn array(param: &str, value: Value) -> Result<Vec<Value>, ApiError> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(ApiError::bad_field(
            param,
            format!("`{param}` must be an array"),
        )),
    }
}

/// A string, or a 400 naming `param`.
pub fn string(param: &str, value: Value) -> Result<String, ApiError> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(ApiError::bad_field(
            param,
            format!("`{param}` must be a string"),
        )),
    }
}

/// A boolean, or a 400 naming `param`.
pub fn boolean(param: &str, value: &Value) -> Result<bool, ApiError> {
    value
        .as_bool()
        .ok_or_else(|| ApiError::bad_field(param, format!("`{param}` must be a boolean")))
}

/// A number (Google's JSON mapping also allows numeric strings).
pub fn number(param: &str, value: &Value) -> Result<f64, ApiError> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| ApiError::bad_field(param, format!("`{param}` must be a number")))
}

/// An integer (Google's JSON mapping also allows numeric strings).
pub fn integer(param: &str, value: &Value) -> Result<i64, ApiError> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| ApiError::bad_field(param, format!("`{param}` must be an integer")))
}

/// A non-negative integer that fits in `u32`.
pub fn u32_field(param: &str, value: &Value) -> Result<u32, ApiError> {
    integer(param, value).and_then(|n| {
        u32::try_from(n).map_err(|_| {
            ApiError::bad_field(param, format!("`{param}` must be a non-negative integer"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn takes_either_spelling_and_skips_null() {
        let Value::Object(mut obj) = json!({"system_instruction": 1, "topP": null, "a": 2}) else {
            unreachable!()
        };
        assert_eq!(take(&mut obj, "systemInstruction"), Some(json!(1)));
        assert_eq!(take(&mut obj, "topP"), None);
        assert_eq!(take(&mut obj, "a"), Some(json!(2)));
        assert!(obj.is_empty());
    }

    #[test]
    fn numbers_accept_strings() {
        assert_eq!(integer("x", &json!("12")).ok(), Some(12));
        assert_eq!(
            u32_field("x", &json!(-1)).err().and_then(|e| e.param),
            Some("x".into())
        );
        assert_eq!(number("x", &json!(0.5)).ok(), Some(0.5));
        assert!(number("x", &json!(true)).is_err());
    }
}
