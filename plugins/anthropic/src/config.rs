//! The plugin's own configuration.
//!
//! ```json
//! {"default_max_tokens": 8192}
//! ```
//!
//! `default_max_tokens` is the `max_tokens` sent when the request has none
//! (the Messages API requires one). Unknown keys are accepted so newer
//! configs keep loading.

use serde_json::Value;

use crate::error;
use crate::types::Error;

/// `max_tokens` when neither the request nor the config gives one.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;

/// The validated plugin configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// `max_tokens` for requests that do not set one.
    pub default_max_tokens: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_max_tokens: DEFAULT_MAX_TOKENS,
        }
    }
}

/// Parse and validate the config text (a JSON object; empty means `{}`).
pub fn parse(config: &str) -> Result<Config, Error> {
    let text = if config.trim().is_empty() {
        "{}"
    } else {
        config
    };
    let map = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(error::invalid_request(
                "anthropic plugin config must be a JSON object",
            ));
        }
        Err(e) => {
            return Err(error::invalid_request(format!(
                "anthropic plugin config is not valid JSON: {e}"
            )));
        }
    };
    let mut out = Config::default();
    match map.get("default_max_tokens") {
        None | Some(Value::Null) => {}
        Some(value) => {
            out.default_max_tokens = value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    error::invalid_request(format!(
                        "anthropic plugin config: `default_max_tokens` must be a positive integer, got {value}"
                    ))
                })?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_objects_and_empty() {
        assert_eq!(parse("{}"), Ok(Config::default()));
        assert_eq!(parse("  "), Ok(Config::default()));
        assert_eq!(parse(r#"{"anything": [1, 2]}"#), Ok(Config::default()));
        assert_eq!(
            parse(r#"{"default_max_tokens": 1024}"#).map(|c| c.default_max_tokens),
            Ok(1024)
        );
        assert_eq!(
            parse(r#"{"default_max_tokens": null}"#).map(|c| c.default_max_tokens),
            Ok(8192)
        );
    }

    #[test]
    fn rejects_non_objects_and_bad_max_tokens() {
        assert!(parse("[]").is_err());
        assert!(parse("42").is_err());
        assert!(parse("{not json").is_err());
        for bad in ["0", "-1", "1.5", "\"8192\"", "99999999999"] {
            let e = parse(&format!(r#"{{"default_max_tokens": {bad}}}"#)).err();
            assert!(
                e.is_some_and(|e| e.message.contains("default_max_tokens")),
                "{bad}"
            );
        }
    }
}
