//! Checking arguments against a tool's JSON Schema, coercing what is safe.
//!
//! Understood keywords: `type` (a name or a list of names: `object`,
//! `array`, `string`, `integer`, `number`, `boolean`, `null`),
//! `properties`, `required`, `items` (one schema), `enum`. Other keywords
//! (`anyOf`, `oneOf`, `$ref`, `pattern`, bounds, `additionalProperties`, …)
//! are not checked: a value under such a schema is accepted as it is.

use serde_json::{Map, Number, Value};

use crate::repair::kind;

/// What checking did to the arguments.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Checked {
    /// What was coerced, e.g. "`count`: \"5\" → 5".
    pub coercions: Vec<String>,
    /// What is still wrong, e.g. "missing required field `command`".
    pub problems: Vec<String>,
}

/// Check `args` against `schema` in place. `coerce` allows safe changes;
/// `validate` collects problems.
pub fn check(
    args: &mut Map<String, Value>,
    schema: &Value,
    coerce: bool,
    validate: bool,
) -> Checked {
    let mut out = Checked::default();
    let mut ctx = Ctx {
        coerce,
        validate,
        out: &mut out,
    };
    ctx.object(args, schema, "");
    out
}

struct Ctx<'a> {
    coerce: bool,
    validate: bool,
    out: &'a mut Checked,
}

/// The declared type names of a schema (inferred from `properties`/`items`
/// when `type` is absent; empty means "anything").
/// Names are lowercased (OpenAPI-style `STRING` means `string`).
fn types(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.to_ascii_lowercase()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect(),
        _ if schema.get("properties").is_some() => vec!["object".into()],
        _ if schema.get("items").is_some() => vec!["array".into()],
        _ => Vec::new(),
    }
}

fn matches(value: &Value, ty: &str) -> bool {
    match (ty, value) {
        ("object", Value::Object(_))
        | ("array", Value::Array(_))
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_))
        | ("null", Value::Null)
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        // Unknown type names are not checked.
        (t, _) => !matches!(
            t,
            "object" | "array" | "string" | "boolean" | "null" | "number" | "integer"
        ),
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A short rendering of a value for messages.
fn show(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        let short: String = text.chars().take(37).collect();
        format!("{short}...")
    } else {
        text
    }
}

impl Ctx<'_> {
    fn problem(&mut self, text: String) {
        if self.validate {
            self.out.problems.push(text);
        }
    }

    /// The properties and required fields of an object value.
    fn object(&mut self, obj: &mut Map<String, Value>, schema: &Value, path: &str) {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (key, sub) in props {
                let field = join_path(path, key);
                let drop_null = matches!(obj.get(key), Some(Value::Null))
                    && self.coerce
                    && !required.contains(&key.as_str())
                    && {
                        let t = types(sub);
                        !t.is_empty() && !t.iter().any(|t| t == "null")
                    };
                if drop_null {
                    // `"timeout": null` for an optional integer means "not given".
                    obj.remove(key);
                    self.out.coercions.push(format!("`{field}`: dropped null"));
                    continue;
                }
                if let Some(value) = obj.get_mut(key) {
                    self.value(value, sub, &field);
                }
            }
        }
        for key in required {
            if !obj.contains_key(key) {
                let field = join_path(path, key);
                self.problem(format!("missing required field `{field}`"));
            }
        }
    }

    fn value(&mut self, value: &mut Value, schema: &Value, path: &str) {
        if !schema.is_object() {
            return;
        }
        let tys = types(schema);
        if !tys.is_empty() && !tys.iter().any(|t| matches(value, t)) {
            let coerced = if self.coerce {
                tys.iter().find_map(|t| coerce(value, t))
            } else {
                None
            };
            match coerced {
                Some(new) => {
                    self.out
                        .coercions
                        .push(format!("`{path}`: {} → {}", show(value), show(&new)));
                    *value = new;
                }
                None => {
                    let got = match value {
                        Value::Null => "null".to_string(),
                        v => format!("{} {}", kind(v), show(v)),
                    };
                    self.problem(format!("`{path}` must be {}, not {got}", tys.join(" or ")));
                    return;
                }
            }
        }
        match value {
            Value::Object(obj) => self.object(obj, schema, path),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.value(item, item_schema, &format!("{path}[{i}]"));
                    }
                }
            }
            _ => {}
        }
        if let Some(Value::Array(allowed)) = schema.get("enum") {
            self.enumeration(value, allowed, path);
        }
    }

    fn enumeration(&mut self, value: &mut Value, allowed: &[Value], path: &str) {
        if allowed.contains(value) {
            return;
        }
        if self.coerce {
            let candidates: Vec<&Value> = allowed
                .iter()
                .filter(|a| match (a, &*value) {
                    (Value::String(a), Value::String(v)) => a.eq_ignore_ascii_case(v.trim()),
                    (Value::String(a), Value::Number(n)) => *a == n.to_string(),
                    (Value::Number(a), Value::String(s)) => {
                        Some(a) == s.trim().parse::<Number>().ok().as_ref()
                            || serde_json::from_str::<Value>(s.trim()).ok().as_ref()
                                == Some(&Value::Number(a.clone()))
                    }
                    (Value::Bool(a), Value::String(s)) => {
                        s.trim()
                            .eq_ignore_ascii_case(if *a { "true" } else { "false" })
                    }
                    _ => false,
                })
                .collect();
            if let [one] = candidates.as_slice() {
                self.out
                    .coercions
                    .push(format!("`{path}`: {} → {}", show(value), show(one)));
                *value = (*one).clone();
                return;
            }
        }
        let list: Vec<String> = allowed.iter().map(show).collect();
        let shown = show(value);
        self.problem(format!(
            "`{path}` must be one of {}, not {shown}",
            list.join(", ")
        ));
    }
}

/// A safe conversion of `value` to type `ty`, if there is one.
fn coerce(value: &Value, ty: &str) -> Option<Value> {
    match (ty, value) {
        ("integer", Value::String(s)) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                return Some(Value::from(i));
            }
            if let Ok(u) = s.parse::<u64>() {
                return Some(Value::from(u));
            }
            let f = s
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && f.fract() == 0.0)?;
            // In range, so the cast is exact.
            (f.abs() < 9.0e15).then(|| Value::from(f as i64))
        }
        ("number", Value::String(s)) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                return Some(Value::from(i));
            }
            s.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
        }
        ("boolean", Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        ("string", Value::Number(n)) => Some(Value::String(n.to_string())),
        ("string", Value::Bool(b)) => Some(Value::String(b.to_string())),
        ("array", Value::String(s)) if s.trim_start().starts_with('[') => {
            match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Array(_)) => Some(v),
                _ => Some(Value::Array(vec![value.clone()])),
            }
        }
        ("array", Value::Null) => None,
        ("array", v) => Some(Value::Array(vec![v.clone()])),
        ("object", Value::String(s)) if s.trim_start().starts_with('{') => {
            match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(args: Value, schema: Value) -> (Value, Checked) {
        let Value::Object(mut map) = args else {
            panic!("not an object")
        };
        let checked = check(&mut map, &schema, true, true);
        (Value::Object(map), checked)
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "timeout": {"type": "integer"},
                "ratio": {"type": "number"},
                "force": {"type": "boolean"},
                "paths": {"type": "array", "items": {"type": "string"}},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "level": {"enum": [1, 2, 3]},
                "opts": {"type": "object", "properties": {"depth": {"type": "integer"}}, "required": ["depth"]},
                "note": {"type": ["string", "null"]}
            },
            "required": ["command"]
        })
    }

    #[test]
    fn valid_arguments_are_untouched() {
        let args = json!({"command": "ls", "timeout": 5, "ratio": 0.5, "force": false,
            "paths": ["a"], "mode": "fast", "level": 2, "opts": {"depth": 1}, "note": null, "extra": [1]});
        let (out, checked) = run(args.clone(), schema());
        assert_eq!(out, args);
        assert_eq!(checked, Checked::default());
    }

    #[test]
    fn safe_coercions() {
        let (out, checked) = run(
            json!({"command": 42, "timeout": "5", "ratio": "2.5", "force": "TRUE",
                "paths": "src", "mode": "Fast", "level": "3", "opts": "{\"depth\": \"4\"}"}),
            schema(),
        );
        assert_eq!(
            out,
            json!({"command": "42", "timeout": 5, "ratio": 2.5, "force": true,
                "paths": ["src"], "mode": "fast", "level": 3, "opts": {"depth": 4}})
        );
        assert!(checked.problems.is_empty(), "{checked:?}");
        assert_eq!(checked.coercions.len(), 9, "{checked:?}");
        assert!(
            checked
                .coercions
                .contains(&"`timeout`: \"5\" → 5".to_string())
        );
    }

    #[test]
    fn arrays_from_json_text_and_items() {
        let (out, _) = run(json!({"command": "x", "paths": "[\"a\", \"b\"]"}), schema());
        assert_eq!(out["paths"], json!(["a", "b"]));
        let s = json!({"properties": {"ids": {"type": "array", "items": {"type": "integer"}}}});
        let (out, checked) = run(json!({"ids": ["1", 2, "x"]}), s);
        assert_eq!(out["ids"], json!([1, 2, "x"]));
        assert_eq!(
            checked.problems,
            vec!["`ids[2]` must be integer, not string \"x\""]
        );
    }

    #[test]
    fn null_for_an_optional_field_is_dropped() {
        let (out, checked) = run(json!({"command": "ls", "timeout": null}), schema());
        assert_eq!(out, json!({"command": "ls"}));
        assert!(checked.problems.is_empty());
        // But not for a required one.
        let (_, checked) = run(json!({"command": null}), schema());
        assert_eq!(checked.problems, vec!["`command` must be string, not null"]);
    }

    #[test]
    fn problems_are_reported() {
        let (_, checked) = run(
            json!({"timeout": "soon", "ratio": 1.5, "force": "maybe", "mode": "medium",
                "opts": {}, "level": 7}),
            schema(),
        );
        assert_eq!(
            checked.problems,
            vec![
                "`force` must be boolean, not string \"maybe\"",
                "`level` must be one of 1, 2, 3, not 7",
                "`mode` must be one of \"fast\", \"slow\", not \"medium\"",
                "missing required field `opts.depth`",
                "`timeout` must be integer, not string \"soon\"",
                "missing required field `command`",
            ]
        );
    }

    #[test]
    fn not_coercing_still_reports() {
        let Value::Object(mut map) = json!({"command": "ls", "timeout": "5"}) else {
            panic!()
        };
        let checked = check(&mut map, &schema(), false, true);
        assert_eq!(map["timeout"], json!("5"));
        assert_eq!(
            checked.problems,
            vec!["`timeout` must be integer, not string \"5\""]
        );
        let checked = check(&mut map, &schema(), false, false);
        assert!(checked.problems.is_empty());
    }

    #[test]
    fn integers_and_unusual_schemas() {
        let s = json!({"properties": {"n": {"type": "integer"}}});
        assert_eq!(run(json!({"n": 5.0}), s.clone()).1, Checked::default());
        assert_eq!(run(json!({"n": "7.0"}), s.clone()).0, json!({"n": 7}));
        assert_eq!(run(json!({"n": 5.5}), s.clone()).1.problems.len(), 1);
        // OpenAPI-style upper-case type names.
        let upper = json!({"properties": {"n": {"type": "INTEGER"}, "b": {"type": "BOOLEAN"}}});
        assert_eq!(
            run(json!({"n": "2", "b": "false"}), upper).0,
            json!({"n": 2, "b": false})
        );
        // Schemas that say nothing, or use keywords we skip, accept anything.
        assert_eq!(run(json!({"n": [1]}), json!({})).1, Checked::default());
        assert_eq!(run(json!({"n": [1]}), json!(true)).1, Checked::default());
        let any = json!({"properties": {"n": {"anyOf": [{"type": "string"}]}}});
        assert_eq!(run(json!({"n": 1}), any).1, Checked::default());
    }
}
