//! The filter's configuration: a JSON object, every key optional.

use serde_json::{Map, Value};

/// Settings. See [`parse`] for the keys and their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `prefix`: what starts a command. Default `!/`.
    pub prefix: String,
    /// `confirm`: put a confirmation line before an answer whose routing a
    /// command changed. Default true.
    pub confirm: bool,
    /// `ttl_seconds`: how long a conversation's sticky model and backend
    /// live in the key-value store after their last change. Default 86400.
    pub ttl_seconds: u64,
    /// `backends`: the upstream names `!/backend` and `!/oneoff` accept
    /// (empty: any name). Also lets a sticky backend replace a listed
    /// `upstream/` prefix the client's model already has.
    pub backends: Vec<String>,
    /// `models`: globs (`*`, `?`) over the model names `!/model` and
    /// `!/oneoff` accept (empty: any name).
    pub models: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            prefix: "!/".into(),
            confirm: true,
            ttl_seconds: 24 * 3600,
            backends: Vec::new(),
            models: Vec::new(),
        }
    }
}

/// Every key the config may hold.
const KEYS: &[&str] = &["prefix", "confirm", "ttl_seconds", "backends", "models"];

/// The longest prefix accepted, in bytes.
const MAX_PREFIX: usize = 16;

/// Read the config JSON text; the message says what is wrong with it.
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value = serde_json::from_str(text)
        .map_err(|e| format!("chat-commands config is not valid JSON: {e}"))?;
    let Value::Object(obj) = json else {
        return Err("chat-commands config must be a JSON object".into());
    };
    if let Some(key) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "chat-commands config has an unknown key `{key}` (known: {})",
            KEYS.join(", ")
        ));
    }
    let d = Config::default();
    let prefix = match obj.get("prefix") {
        None | Some(Value::Null) => d.prefix,
        Some(Value::String(p)) => {
            check_prefix(p)?;
            p.clone()
        }
        Some(other) => {
            return Err(format!(
                "chat-commands config `prefix` must be a string, not {other}"
            ));
        }
    };
    let confirm = match obj.get("confirm") {
        None | Some(Value::Null) => d.confirm,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "chat-commands config `confirm` must be true or false, not {other}"
            ));
        }
    };
    let ttl_seconds = match obj.get("ttl_seconds") {
        None | Some(Value::Null) => d.ttl_seconds,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if (1..=365 * 24 * 3600).contains(&v) => v,
            _ => {
                return Err(format!(
                    "chat-commands config `ttl_seconds` must be a whole number from 1 to 31536000, not {n}"
                ));
            }
        },
        Some(other) => {
            return Err(format!(
                "chat-commands config `ttl_seconds` must be a whole number, not {other}"
            ));
        }
    };
    let backends = names(&obj, "backends")?;
    if let Some(bad) = backends.iter().find(|b| b.contains('/')) {
        return Err(format!(
            "chat-commands config `backends` entry {bad:?} must not contain `/`"
        ));
    }
    let models = names(&obj, "models")?;
    Ok(Config {
        prefix,
        confirm,
        ttl_seconds,
        backends,
        models,
    })
}

/// A prefix must be short, visible text that cannot be part of a command
/// name or its arguments, so a scan can find it unambiguously.
fn check_prefix(prefix: &str) -> Result<(), String> {
    let bad = prefix.is_empty()
        || prefix.len() > MAX_PREFIX
        || prefix
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '`' | '(' | ')'))
        || prefix
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if bad {
        return Err(format!(
            "chat-commands config `prefix` {prefix:?} must be 1 to {MAX_PREFIX} bytes without \
             whitespace, backticks or parentheses, and must not end in a letter, digit, `-` or `_`"
        ));
    }
    Ok(())
}

/// A list of non-empty strings without whitespace.
fn names(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    let list = match obj.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(format!(
                "chat-commands config `{key}` must be a list of strings, not {other}"
            ));
        }
    };
    list.iter()
        .map(|v| match v {
            Value::String(s) if !s.is_empty() && !s.chars().any(char::is_whitespace) => {
                Ok(s.clone())
            }
            other => Err(format!(
                "chat-commands config `{key}` entries must be non-empty strings without spaces, not {other}"
            )),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
        assert_eq!(parse("{}").unwrap(), Config::default());
        assert_eq!(parse(r#"{"prefix": null}"#).unwrap(), Config::default());
    }

    #[test]
    fn every_key() {
        let c = parse(
            r#"{"prefix": "::", "confirm": false, "ttl_seconds": 60,
                "backends": ["mock", "alt"], "models": ["gpt-*"]}"#,
        )
        .unwrap();
        assert_eq!(
            c,
            Config {
                prefix: "::".into(),
                confirm: false,
                ttl_seconds: 60,
                backends: vec!["mock".into(), "alt".into()],
                models: vec!["gpt-*".into()],
            }
        );
    }

    #[test]
    fn errors() {
        for (text, needle) in [
            ("[]", "JSON object"),
            ("{", "not valid JSON"),
            (r#"{"prefx": "!"}"#, "unknown key `prefx`"),
            (r#"{"prefix": ""}"#, "`prefix`"),
            (r#"{"prefix": "! "}"#, "`prefix`"),
            (r#"{"prefix": "!a"}"#, "`prefix`"),
            (r#"{"prefix": "`"}"#, "`prefix`"),
            (r#"{"prefix": 1}"#, "must be a string"),
            (r#"{"confirm": "yes"}"#, "`confirm`"),
            (r#"{"ttl_seconds": 0}"#, "`ttl_seconds`"),
            (r#"{"ttl_seconds": -5}"#, "`ttl_seconds`"),
            (r#"{"backends": "alt"}"#, "list of strings"),
            (r#"{"backends": ["a/b"]}"#, "must not contain `/`"),
            (r#"{"models": [""]}"#, "non-empty"),
            (r#"{"models": [3]}"#, "non-empty"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
