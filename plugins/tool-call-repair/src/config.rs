//! The filter's configuration: which repairs are on and what happens to a
//! call that cannot be repaired.

use serde_json::Value;

use crate::lenient::Leniency;

/// What to do with a tool call that is still invalid after repair (a missing
/// required field, a type that cannot be coerced, an unknown tool, arguments
/// that are not JSON at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Replace the call with assistant text that says what is wrong, in the
    /// style of a tool error, so the model fixes it on the next turn.
    Text,
    /// Pass the call on as repaired as it gets (log a warning).
    Pass,
    /// Fail the request with an upstream error.
    Reject,
}

/// Settings; every repair defaults to on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Trailing commas in argument JSON.
    pub trailing_commas: bool,
    /// Single-quoted strings in argument JSON.
    pub single_quotes: bool,
    /// Unquoted object keys in argument JSON.
    pub unquoted_keys: bool,
    /// Raw newlines (control characters) inside argument strings.
    pub raw_newlines: bool,
    /// Argument JSON cut off mid-value.
    pub truncated: bool,
    /// Arguments sent as a JSON string holding the JSON object.
    pub double_encoded: bool,
    /// Markdown code fences around the argument JSON.
    pub fences: bool,
    /// Turn tool calls written as text into structured calls.
    pub textual_calls: bool,
    /// Match tool names case-insensitively and by edit distance.
    pub fix_names: bool,
    /// Coerce argument values to the declared JSON Schema types when safe.
    pub coerce_types: bool,
    /// Report required fields, types and enums the arguments get wrong.
    pub check_schema: bool,
    /// Largest edit distance for a tool-name match.
    pub max_distance: usize,
    /// What happens to a call that stays invalid.
    pub on_invalid: OnInvalid,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            trailing_commas: true,
            single_quotes: true,
            unquoted_keys: true,
            raw_newlines: true,
            truncated: true,
            double_encoded: true,
            fences: true,
            textual_calls: true,
            fix_names: true,
            coerce_types: true,
            check_schema: true,
            max_distance: 2,
            on_invalid: OnInvalid::Text,
        }
    }
}

impl Config {
    /// The JSON leniencies this config turns on.
    pub fn leniency(&self) -> Leniency {
        Leniency {
            trailing_commas: self.trailing_commas,
            single_quotes: self.single_quotes,
            unquoted_keys: self.unquoted_keys,
            raw_newlines: self.raw_newlines,
            truncated: self.truncated,
        }
    }
}

/// The boolean keys, in documentation order.
const FLAGS: [&str; 11] = [
    "trailing_commas",
    "single_quotes",
    "unquoted_keys",
    "raw_newlines",
    "truncated",
    "double_encoded",
    "fences",
    "textual_calls",
    "fix_names",
    "coerce_types",
    "check_schema",
];

/// Read the config JSON text; the message says what is wrong with it.
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value = serde_json::from_str(text)
        .map_err(|e| format!("tool-call-repair config is not valid JSON: {e}"))?;
    let Value::Object(obj) = json else {
        return Err("tool-call-repair config must be a JSON object".into());
    };
    let mut config = Config::default();
    for (key, value) in &obj {
        match key.as_str() {
            "max_distance" => {
                config.max_distance = value
                    .as_u64()
                    .filter(|n| *n <= 10)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        format!(
                            "tool-call-repair config `max_distance` must be an integer from 0 to 10, not {value}"
                        )
                    })?;
            }
            "on_invalid" => {
                config.on_invalid = match value.as_str() {
                    Some("text") => OnInvalid::Text,
                    Some("pass") => OnInvalid::Pass,
                    Some("reject") => OnInvalid::Reject,
                    _ => {
                        return Err(format!(
                            "tool-call-repair config `on_invalid` must be \"text\", \"pass\" or \"reject\", not {value}"
                        ));
                    }
                };
            }
            flag if FLAGS.contains(&flag) => {
                let Value::Bool(on) = value else {
                    return Err(format!(
                        "tool-call-repair config `{flag}` must be true or false, not {value}"
                    ));
                };
                let slot = match flag {
                    "trailing_commas" => &mut config.trailing_commas,
                    "single_quotes" => &mut config.single_quotes,
                    "unquoted_keys" => &mut config.unquoted_keys,
                    "raw_newlines" => &mut config.raw_newlines,
                    "truncated" => &mut config.truncated,
                    "double_encoded" => &mut config.double_encoded,
                    "fences" => &mut config.fences,
                    "textual_calls" => &mut config.textual_calls,
                    "fix_names" => &mut config.fix_names,
                    "coerce_types" => &mut config.coerce_types,
                    _ => &mut config.check_schema,
                };
                *slot = *on;
            }
            other => {
                return Err(format!(
                    "tool-call-repair config has an unknown key `{other}`; known keys: {}, max_distance, on_invalid",
                    FLAGS.join(", ")
                ));
            }
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_all_on() {
        let c = parse("{}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, Config::default());
        assert_eq!(parse(""), Ok(Config::default()));
        assert!(c.trailing_commas && c.textual_calls && c.check_schema);
        assert_eq!((c.max_distance, c.on_invalid), (2, OnInvalid::Text));
        assert_eq!(c.leniency(), Leniency::ALL);
    }

    #[test]
    fn every_key_is_read() {
        let c = parse(
            r#"{"trailing_commas": false, "single_quotes": false, "unquoted_keys": false,
                "raw_newlines": false, "truncated": false, "double_encoded": false,
                "fences": false, "textual_calls": false, "fix_names": false,
                "coerce_types": false, "check_schema": false, "max_distance": 0,
                "on_invalid": "reject"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c,
            Config {
                trailing_commas: false,
                single_quotes: false,
                unquoted_keys: false,
                raw_newlines: false,
                truncated: false,
                double_encoded: false,
                fences: false,
                textual_calls: false,
                fix_names: false,
                coerce_types: false,
                check_schema: false,
                max_distance: 0,
                on_invalid: OnInvalid::Reject,
            }
        );
        assert_eq!(
            parse(r#"{"on_invalid": "pass"}"#).map(|c| c.on_invalid),
            Ok(OnInvalid::Pass)
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        let err = |text: &str| parse(text).err().unwrap_or_default();
        assert!(err("[]").contains("object"));
        assert!(err("{oops").contains("not valid JSON"));
        assert!(err(r#"{"fences": "yes"}"#).contains("`fences`"));
        assert!(err(r#"{"max_distance": -1}"#).contains("max_distance"));
        assert!(err(r#"{"max_distance": 11}"#).contains("max_distance"));
        assert!(err(r#"{"on_invalid": "drop"}"#).contains("on_invalid"));
        assert!(err(r#"{"fix_name": true}"#).contains("unknown key `fix_name`"));
    }
}
