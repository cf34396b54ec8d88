//! The plugin's own configuration: the upstream's `config` table.
//!
//! ```toml
//! [[upstreams]]
//! provider = "ollama-provider"
//! config = { keep_alive = "10m", options = { num_ctx = 8192 }, think_levels = true }
//! ```

use serde_json::{Map, Value};

use crate::error;
use crate::types::Error;

/// Keys the config may have.
const KEYS: &[&str] = &["keep_alive", "options", "think_levels"];

/// The parsed config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Ollama's `keep_alive` (a duration string such as `"10m"`, or seconds),
    /// sent with every request when set.
    pub keep_alive: Option<Value>,
    /// Extra Ollama `options` (`num_ctx`, `repeat_penalty`, …) sent with
    /// every request; the client's own sampling settings win on conflict.
    pub options: Map<String, Value>,
    /// Send a reasoning effort (`low`, `medium`, `high`) as `think: "<effort>"`
    /// rather than `think: true` (models such as gpt-oss take levels).
    pub think_levels: bool,
}

/// Parse and check the config text (`{}` when empty). Unknown keys and
/// wrongly typed values are `invalid-request` errors naming the key.
pub fn parse(text: &str) -> Result<Config, Error> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        error::invalid_request(format!("ollama-provider config is not valid JSON: {e}"))
    })?;
    let Value::Object(obj) = value else {
        return Err(error::invalid_request(
            "ollama-provider config must be a JSON object",
        ));
    };
    let mut config = Config::default();
    for (key, value) in obj {
        match key.as_str() {
            "keep_alive" => match value {
                Value::String(_) | Value::Number(_) => config.keep_alive = Some(value),
                _ => return Err(bad_type("keep_alive", "a duration string or a number")),
            },
            "options" => match value {
                Value::Object(options) => config.options = options,
                _ => return Err(bad_type("options", "a table")),
            },
            "think_levels" => match value {
                Value::Bool(b) => config.think_levels = b,
                _ => return Err(bad_type("think_levels", "a boolean")),
            },
            other => {
                return Err(error::invalid_request(format!(
                    "ollama-provider config has an unknown key `{other}` (known: {})",
                    KEYS.join(", ")
                )));
            }
        }
    }
    Ok(config)
}

/// The error for a key whose value has the wrong type.
fn bad_type(key: &str, want: &str) -> Error {
    error::invalid_request(format!("ollama-provider config `{key}` must be {want}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_and_full() {
        assert_eq!(parse("").ok(), Some(Config::default()));
        assert_eq!(parse("{}").ok(), Some(Config::default()));
        let config =
            parse(r#"{"keep_alive":"10m","options":{"num_ctx":8192},"think_levels":true}"#)
                .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(config.keep_alive, Some(json!("10m")));
        assert_eq!(config.options.get("num_ctx"), Some(&json!(8192)));
        assert!(config.think_levels);
        assert!(parse(r#"{"keep_alive":-1}"#).is_ok());
    }

    #[test]
    fn refuses_bad_configs() {
        for (text, needle) in [
            ("[]", "JSON object"),
            ("{nope", "not valid JSON"),
            (r#"{"num_ctx":1}"#, "unknown key `num_ctx`"),
            (r#"{"options":1}"#, "`options` must be a table"),
            (r#"{"keep_alive":true}"#, "`keep_alive`"),
            (r#"{"think_levels":"yes"}"#, "`think_levels`"),
        ] {
            match parse(text) {
                Err(e) => {
                    assert_eq!(e.status, 400);
                    assert!(e.message.contains(needle), "{text}: {}", e.message);
                }
                Ok(c) => panic!("{text} was accepted: {c:?}"),
            }
        }
    }
}
