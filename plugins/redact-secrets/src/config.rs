//! The filter's configuration.
//!
//! ```json
//! {
//!   "restore": false,
//!   "patterns": [{"name": "employee_id", "regex": "EMP-[0-9]{6}"}],
//!   "allow": ["sk-test-shared-demo-key-0000000000"],
//!   "disable": ["jwt"]
//! }
//! ```
//!
//! Every key is optional; unknown keys are an error, so a typo in a security
//! setting never passes silently.

use std::collections::HashSet;

use regex_lite::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::detect::BUILTIN_KINDS;

/// Largest compiled size of one user regex, in bytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Longest user pattern name (it becomes part of the placeholder).
const MAX_NAME_LEN: usize = 32;

/// A user pattern: secrets matching `regex` become `[[REDACTED:<name>:<n>]]`.
#[derive(Debug, Clone)]
pub struct UserPattern {
    /// The kind name used in placeholders.
    pub name: String,
    /// The compiled expression. With a capture group, only group 1 is
    /// replaced; otherwise the whole match is.
    pub regex: Regex,
}

/// Parsed, validated settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Put the real values back into answers (text and tool-call arguments).
    pub restore: bool,
    /// Extra patterns, tried after the built-in detectors.
    pub patterns: Vec<UserPattern>,
    /// Literal values that are never redacted.
    pub allow: HashSet<String>,
    /// Built-in kinds turned off.
    pub disable: HashSet<String>,
}

impl Config {
    /// True when secrets of this kind are redacted.
    pub fn enabled(&self, kind: &str) -> bool {
        !self.disable.contains(kind)
    }
}

/// The config as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    restore: bool,
    #[serde(default)]
    patterns: Vec<RawPattern>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    disable: Vec<String>,
}

/// One user pattern as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    name: String,
    regex: String,
}

/// Read the config JSON text; the message says what is wrong with it.
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("redact-secrets config is not valid JSON: {e}"))?;
    if !json.is_object() {
        return Err("redact-secrets config must be a JSON object".into());
    }
    let raw: RawConfig =
        serde_json::from_value(json).map_err(|e| format!("redact-secrets config: {e}"))?;
    let mut names = HashSet::new();
    let mut patterns = Vec::with_capacity(raw.patterns.len());
    for (i, p) in raw.patterns.into_iter().enumerate() {
        if !valid_name(&p.name) {
            return Err(format!(
                "redact-secrets config: patterns[{i}].name {:?} must be 1-{MAX_NAME_LEN} \
                 characters of a-z, 0-9 and _, starting with a letter",
                p.name
            ));
        }
        if !names.insert(p.name.clone()) {
            return Err(format!(
                "redact-secrets config: patterns[{i}].name {:?} is used twice",
                p.name
            ));
        }
        let regex = RegexBuilder::new(&p.regex)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                format!(
                    "redact-secrets config: patterns[{i}] ({}) regex is invalid: {e}",
                    p.name
                )
            })?;
        patterns.push(UserPattern {
            name: p.name,
            regex,
        });
    }
    if let Some(i) = raw.allow.iter().position(String::is_empty) {
        return Err(format!("redact-secrets config: allow[{i}] is empty"));
    }
    for kind in &raw.disable {
        if !BUILTIN_KINDS.contains(&kind.as_str()) {
            return Err(format!(
                "redact-secrets config: disable lists unknown kind {kind:?} (known: {})",
                BUILTIN_KINDS.join(", ")
            ));
        }
    }
    Ok(Config {
        restore: raw.restore,
        patterns,
        allow: raw.allow.into_iter().collect(),
        disable: raw.disable.into_iter().collect(),
    })
}

/// A pattern name fits in a placeholder: `[a-z][a-z0-9_]*`, at most 32 long.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME_LEN
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).err().unwrap_or_default()
    }

    #[test]
    fn defaults() {
        for text in ["", "  ", "{}"] {
            let c = parse(text).unwrap();
            assert!(!c.restore);
            assert!(c.patterns.is_empty() && c.allow.is_empty() && c.disable.is_empty());
            assert!(c.enabled("jwt"));
        }
    }

    #[test]
    fn full() {
        let c = parse(
            r#"{"restore": true,
                "patterns": [{"name": "emp_id", "regex": "EMP-[0-9]{6}"}],
                "allow": ["sk-demo"], "disable": ["jwt", "password"]}"#,
        )
        .unwrap();
        assert!(c.restore);
        assert_eq!(c.patterns.len(), 1);
        assert_eq!(c.patterns[0].name, "emp_id");
        assert!(c.patterns[0].regex.is_match("id EMP-123456"));
        assert!(c.allow.contains("sk-demo"));
        assert!(!c.enabled("jwt") && !c.enabled("password") && c.enabled("token"));
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(err("[]").contains("redact-secrets config"));
        assert!(err("{oops").contains("redact-secrets config"));
        assert!(err(r#"{"restor": true}"#).contains("restor"));
        assert!(err(r#"{"restore": "yes"}"#).contains("redact-secrets config"));
        assert!(err(r#"{"patterns": [{"name": "x"}]}"#).contains("regex"));
        assert!(err(r#"{"patterns": [{"name": "x", "regex": "a", "z": 1}]}"#).contains("z"));
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(err(r#"{"patterns": [{"name": "Bad Name", "regex": "a"}]}"#).contains("name"));
        assert!(err(r#"{"patterns": [{"name": "", "regex": "a"}]}"#).contains("name"));
        let long = "a".repeat(33);
        assert!(
            err(&format!(
                r#"{{"patterns": [{{"name": "{long}", "regex": "a"}}]}}"#
            ))
            .contains("name")
        );
        assert!(
            err(r#"{"patterns": [{"name": "a", "regex": "x"}, {"name": "a", "regex": "y"}]}"#)
                .contains("twice")
        );
        let e = err(r#"{"patterns": [{"name": "a", "regex": "(unclosed"}]}"#);
        assert!(e.contains("patterns[0]") && e.contains("invalid"), "{e}");
    }

    #[test]
    fn rejects_bad_lists() {
        assert!(err(r#"{"allow": [""]}"#).contains("allow[0]"));
        let e = err(r#"{"disable": ["nope"]}"#);
        assert!(e.contains("nope") && e.contains("openai_key"), "{e}");
    }
}
