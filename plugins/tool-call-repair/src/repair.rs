//! Repairing the argument text of one tool call into a JSON object.

use serde_json::{Map, Value};

use crate::config::Config;
use crate::lenient::{self, Applied};

/// How deep arguments may be JSON-encoded inside JSON strings.
const MAX_ENCODINGS: usize = 3;

/// Arguments that parse (possibly after repair) into a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    /// The argument object.
    pub value: Map<String, Value>,
    /// The repairs needed; empty when the text was already a JSON object.
    pub applied: Applied,
}

/// Parse `text` as a tool call's arguments, repairing what `config` allows.
/// The error says why the text cannot be read as a JSON object.
pub fn arguments(text: &str, config: &Config) -> Result<Repaired, String> {
    let mut applied = Applied::new();
    let value = decode(text, config, &mut applied, 0)?;
    match value {
        Value::Object(value) => Ok(Repaired { value, applied }),
        other => Err(format!(
            "the arguments are a JSON {}, not an object",
            kind(&other)
        )),
    }
}

fn decode(
    text: &str,
    config: &Config,
    applied: &mut Applied,
    depth: usize,
) -> Result<Value, String> {
    if text.trim().is_empty() {
        applied.insert("empty");
        return Ok(Value::Object(Map::new()));
    }
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(strict) => {
            let mut body = text;
            if config.fences
                && let Some(inner) = strip_fence(text)
            {
                applied.insert("fences");
                body = inner;
            }
            match serde_json::from_str::<Value>(body) {
                Ok(v) => v,
                Err(_) => {
                    let (v, more) = lenient::parse(body, &config.leniency()).map_err(|e| {
                        if body.len() == text.len() {
                            format!("the arguments are not valid JSON ({strict})")
                        } else {
                            format!("the arguments are not valid JSON ({e})")
                        }
                    })?;
                    applied.extend(more);
                    v
                }
            }
        }
    };
    // `"{\"a\": 1}"`: the object was encoded twice.
    if let Value::String(inner) = &value
        && config.double_encoded
        && depth < MAX_ENCODINGS
        && looks_like_json_container(inner)
    {
        let mut inner_applied = Applied::new();
        if let Ok(v) = decode(inner, config, &mut inner_applied, depth + 1)
            && v.is_object()
        {
            applied.insert("double_encoded");
            applied.extend(inner_applied);
            return Ok(v);
        }
    }
    Ok(value)
}

/// Text that opens like a JSON object or array (maybe inside a fence, or
/// encoded once more).
fn looks_like_json_container(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with(['{', '[', '"']) || t.starts_with("```")
}

/// The text inside a markdown code fence around the whole of `text`.
pub fn strip_fence(text: &str) -> Option<&str> {
    let t = text.trim();
    let rest = t.strip_prefix("```")?;
    // The info string (`json`, …) runs to the end of the first line.
    let (info, body) = match rest.find('\n') {
        Some(nl) => (rest.get(..nl)?, rest.get(nl + 1..)?),
        None => ("", rest),
    };
    let body = if info.trim_start().starts_with(['{', '[']) {
        // ```{"a": 1}```: the JSON starts on the fence line.
        rest
    } else if info.trim().contains(char::is_whitespace) {
        return None;
    } else {
        body
    };
    let body = body.trim_end();
    Some(body.strip_suffix("```").unwrap_or(body))
}

/// A JSON value's kind, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repaired(text: &str) -> (Value, Vec<&'static str>) {
        match arguments(text, &Config::default()) {
            Ok(r) => (Value::Object(r.value), r.applied.into_iter().collect()),
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    #[test]
    fn clean_object_needs_nothing() {
        assert_eq!(
            repaired(r#"{"command": "ls"}"#),
            (json!({"command": "ls"}), vec![])
        );
    }

    #[test]
    fn empty_is_an_empty_object() {
        assert_eq!(repaired("  "), (json!({}), vec!["empty"]));
    }

    #[test]
    fn fences_are_stripped() {
        assert_eq!(
            repaired("```json\n{\"command\": \"ls\"}\n```"),
            (json!({"command": "ls"}), vec!["fences"])
        );
        assert_eq!(repaired("```\n{'a': 1,}\n```").0, json!({"a": 1}));
        assert_eq!(repaired("```{\"a\": 1}```").0, json!({"a": 1}));
        let off = Config {
            fences: false,
            ..Config::default()
        };
        assert!(arguments("```json\n{\"a\": 1}\n```", &off).is_err());
    }

    #[test]
    fn double_encoding_is_undone() {
        assert_eq!(
            repaired(r#""{\"command\": \"ls\"}""#),
            (json!({"command": "ls"}), vec!["double_encoded"])
        );
        // Twice over, and with a broken inner object.
        let twice = serde_json::to_string(&json!(
            serde_json::to_string(&json!("{'a': 1,}")).unwrap_or_default()
        ))
        .unwrap_or_default();
        assert_eq!(repaired(&twice).0, json!({"a": 1}));
        let off = Config {
            double_encoded: false,
            ..Config::default()
        };
        assert!(arguments(r#""{\"a\": 1}""#, &off).is_err());
    }

    #[test]
    fn each_leniency_is_reported() {
        for (text, kind) in [
            ("{\"a\": 1,}", "trailing_commas"),
            ("{'a': 1}", "single_quotes"),
            ("{a: 1}", "unquoted_keys"),
            ("{\"a\": \"x\ny\"}", "raw_newlines"),
            ("{\"a\": \"x", "truncated"),
        ] {
            let (_, applied) = repaired(text);
            assert!(applied.contains(&kind), "{text}: {applied:?}");
        }
    }

    #[test]
    fn non_objects_are_errors() {
        let err = |t: &str| arguments(t, &Config::default()).err().unwrap_or_default();
        assert!(err("[1, 2]").contains("array"));
        assert!(err("\"plain words\"").contains("string"));
        assert!(err("ls -la").contains("not valid JSON"));
    }
}
