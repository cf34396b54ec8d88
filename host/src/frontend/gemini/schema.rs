//! Gemini's OpenAPI-style `Schema` (`"type": "OBJECT"`, `nullable`, 64-bit
//! integers as strings) → the JSON Schema the canonical model carries.

use serde_json::{Map, Value};

/// Keywords whose value is a 64-bit integer, which Google's JSON mapping
/// may write as a string.
const INTEGER_KEYWORDS: &[&str] = &[
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
];

/// Convert one schema (recursively). Anything that is not an object is
/// returned as it is.
pub fn to_json_schema(schema: Value) -> Value {
    let Value::Object(obj) = schema else {
        return schema;
    };
    let mut out = Map::with_capacity(obj.len());
    let mut nullable = false;
    for (key, value) in obj {
        let key = camel_case(&key);
        match key.as_str() {
            "type" => match value {
                Value::String(t) if t.eq_ignore_ascii_case("TYPE_UNSPECIFIED") => {}
                Value::String(t) => {
                    out.insert(key, Value::String(t.to_ascii_lowercase()));
                }
                other => {
                    out.insert(key, other);
                }
            },
            "nullable" => nullable = value.as_bool().unwrap_or(false),
            "properties" => {
                let value = match value {
                    Value::Object(props) => Value::Object(
                        props
                            .into_iter()
                            .map(|(name, s)| (name, to_json_schema(s)))
                            .collect(),
                    ),
                    other => other,
                };
                out.insert(key, value);
            }
            "items" => {
                out.insert(key, to_json_schema(value));
            }
            "anyOf" => {
                let value = match value {
                    Value::Array(items) => {
                        Value::Array(items.into_iter().map(to_json_schema).collect())
                    }
                    other => other,
                };
                out.insert(key, value);
            }
            k if INTEGER_KEYWORDS.contains(&k) => {
                let value = match &value {
                    Value::String(s) => s.trim().parse::<u64>().map(Value::from).unwrap_or(value),
                    _ => value,
                };
                out.insert(key, value);
            }
            _ => {
                out.insert(key, value);
            }
        }
    }
    if nullable {
        match out.remove("type") {
            Some(Value::String(t)) => {
                out.insert(
                    "type".into(),
                    Value::Array(vec![Value::String(t), Value::from("null")]),
                );
            }
            Some(other) => {
                out.insert("type".into(), other);
                out.insert("nullable".into(), Value::Bool(true));
            }
            None => {
                out.insert("nullable".into(), Value::Bool(true));
            }
        }
    }
    Value::Object(out)
}

/// The proto `snake_case` keyword names (`any_of`, `min_items`) in the
/// `lowerCamelCase` form JSON Schema uses.
fn camel_case(key: &str) -> String {
    if !key.contains('_') {
        return key.to_string();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openapi_types_become_json_schema() {
        let schema = json!({
            "type": "OBJECT",
            "properties": {
                "city": {"type": "STRING", "description": "City", "nullable": true},
                "days": {"type": "ARRAY", "items": {"type": "INTEGER"}, "max_items": "7"},
                "unit": {"anyOf": [{"type": "STRING", "enum": ["c", "f"]}, {"type": "NULL"}]}
            },
            "required": ["city"],
            "propertyOrdering": ["city", "days"]
        });
        assert_eq!(
            to_json_schema(schema),
            json!({
                "type": "object",
                "properties": {
                    "city": {"type": ["string", "null"], "description": "City"},
                    "days": {"type": "array", "items": {"type": "integer"}, "maxItems": 7},
                    "unit": {"anyOf": [{"type": "string", "enum": ["c", "f"]}, {"type": "null"}]}
                },
                "required": ["city"],
                "propertyOrdering": ["city", "days"]
            })
        );
    }

    #[test]
    fn unspecified_type_is_dropped() {
        assert_eq!(
            to_json_schema(json!({"type": "TYPE_UNSPECIFIED", "nullable": true})),
            json!({"nullable": true})
        );
        assert_eq!(to_json_schema(json!(true)), json!(true));
    }
}
