//! The filter's configuration: ordered rewrite rules and per-model system
//! prompts. See the crate docs for the JSON shape.

use regex_lite::Regex;
use serde_json::{Map, Value};

use crate::scan::Pattern;
use crate::scope::Scope;

/// Default streaming window of a regex rule, in characters.
pub const DEFAULT_MAX_MATCH_LEN: usize = 256;
/// Largest `max_match_len` accepted.
pub const MAX_MAX_MATCH_LEN: usize = 65_536;
/// Default text between a configured system text and the client's.
pub const DEFAULT_SEPARATOR: &str = "\n\n";

/// What a rule does with the text it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Replace every match with `text`.
    Replace,
    /// Put `text` before the whole text of a matching message or answer.
    Prepend,
    /// Put `text` after the whole text of a matching message or answer.
    Append,
}

/// Which texts a rule looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Targets {
    /// System messages.
    pub system: bool,
    /// Developer messages.
    pub developer: bool,
    /// User messages (their text, not the tool results they carry).
    pub user: bool,
    /// Assistant text: in the request history and in the model's answer.
    pub assistant: bool,
    /// Tool results in the request.
    pub tool: bool,
    /// Reasoning text: in the request history and in the model's answer.
    pub thinking: bool,
}

/// One rewrite rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// What to look for; `None` (prepend/append only) means every message.
    pub pattern: Option<Pattern>,
    /// Which texts to look at.
    pub targets: Targets,
    /// What to do.
    pub action: Action,
    /// The replacement (may be empty) or the text to add.
    pub text: String,
    /// Which requests the rule applies to.
    pub scope: Scope,
}

/// How a system entry changes the system prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemMode {
    /// Drop every system and developer message and put `text` first.
    Override,
    /// Put `text` before the system prompt.
    Prepend,
    /// Put `text` after the system prompt.
    Append,
}

/// A per-model system prompt change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemEntry {
    /// Which requests it applies to.
    pub scope: Scope,
    /// How to change the prompt.
    pub mode: SystemMode,
    /// The text.
    pub text: String,
    /// Put between `text` and the client's prompt when both exist.
    pub separator: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Rules, applied in this order.
    pub rules: Vec<Rule>,
    /// System prompt changes, applied in this order after the rules.
    pub system: Vec<SystemEntry>,
}

/// Read the config JSON text; the message says what is wrong and where.
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value =
        serde_json::from_str(text).map_err(|e| format!("rewrite config is not valid JSON: {e}"))?;
    let Value::Object(obj) = json else {
        return Err("rewrite config must be a JSON object".into());
    };
    only_keys(&obj, &["rules", "system"], "rewrite config")?;
    let rules = list(&obj, "rules")?
        .iter()
        .enumerate()
        .map(|(i, v)| rule(v).map_err(|e| format!("rewrite config rules[{i}]: {e}")))
        .collect::<Result<_, _>>()?;
    let system = list(&obj, "system")?
        .iter()
        .enumerate()
        .map(|(i, v)| system_entry(v).map_err(|e| format!("rewrite config system[{i}]: {e}")))
        .collect::<Result<_, _>>()?;
    Ok(Config { rules, system })
}

/// The array under `key` (empty when absent).
fn list<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!(
            "rewrite config `{key}` must be an array, not {other}"
        )),
    }
}

/// Unknown keys are mistakes (a misspelt `text` would silently delete).
fn only_keys(obj: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), String> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{what}: unknown key `{k}` (known: {})",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// An optional string field.
fn string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("`{key}` must be a string, not {other}")),
    }
}

/// A field holding one string or an array of strings.
fn strings(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("`{key}` entries must be strings, not {other}")),
            })
            .collect(),
        Some(other) => Err(format!(
            "`{key}` must be a string or an array of strings, not {other}"
        )),
    }
}

/// The `models` and `upstreams` fields.
fn scope(obj: &Map<String, Value>) -> Result<Scope, String> {
    let scope = Scope {
        models: strings(obj, "models")?,
        upstreams: strings(obj, "upstreams")?,
    };
    if scope
        .models
        .iter()
        .chain(&scope.upstreams)
        .any(String::is_empty)
    {
        return Err("`models` and `upstreams` entries must not be empty".into());
    }
    Ok(scope)
}

/// One entry of `rules`.
fn rule(v: &Value) -> Result<Rule, String> {
    let Value::Object(obj) = v else {
        return Err(format!("must be an object, not {v}"));
    };
    only_keys(
        obj,
        &[
            "match",
            "regex",
            "max_match_len",
            "target",
            "action",
            "text",
            "models",
            "upstreams",
        ],
        "rule",
    )?;
    let action = match string(obj, "action")?.as_deref() {
        None | Some("replace") => Action::Replace,
        Some("prepend") => Action::Prepend,
        Some("append") => Action::Append,
        Some(other) => {
            return Err(format!(
                "unknown action `{other}` (expected replace, prepend or append)"
            ));
        }
    };
    let max_match_len = match obj.get("max_match_len") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n @ 1..) if n as usize <= MAX_MAX_MATCH_LEN => Some(n as usize),
            _ => {
                return Err(format!(
                    "`max_match_len` must be a whole number from 1 to {MAX_MAX_MATCH_LEN}, not {n}"
                ));
            }
        },
        Some(other) => return Err(format!("`max_match_len` must be a number, not {other}")),
    };
    let pattern = match (string(obj, "match")?, string(obj, "regex")?) {
        (Some(_), Some(_)) => return Err("set `match` or `regex`, not both".into()),
        (Some(lit), None) => {
            if lit.is_empty() {
                return Err("`match` must not be empty".into());
            }
            if max_match_len.is_some() {
                return Err("`max_match_len` only applies to `regex` rules".into());
            }
            Some(Pattern::Literal(lit))
        }
        (None, Some(re)) => {
            if re.is_empty() {
                return Err("`regex` must not be empty".into());
            }
            let compiled =
                Regex::new(&re).map_err(|e| format!("`regex` {re:?} is invalid: {e}"))?;
            Some(Pattern::Regex {
                re: compiled,
                max_match_len: max_match_len.unwrap_or(DEFAULT_MAX_MATCH_LEN),
            })
        }
        (None, None) => {
            if action == Action::Replace {
                return Err("a replace rule needs `match` or `regex`".into());
            }
            if max_match_len.is_some() {
                return Err("`max_match_len` only applies to `regex` rules".into());
            }
            None
        }
    };
    let text = string(obj, "text")?;
    if action != Action::Replace && text.as_deref().is_none_or(str::is_empty) {
        return Err("prepend and append rules need a non-empty `text`".into());
    }
    Ok(Rule {
        pattern,
        targets: targets(obj)?,
        action,
        text: text.unwrap_or_default(),
        scope: scope(obj)?,
    })
}

/// The `target` field: required, one name or a list.
fn targets(obj: &Map<String, Value>) -> Result<Targets, String> {
    let names = strings(obj, "target")?;
    if names.is_empty() {
        return Err(
            "`target` is required: system, developer, user, assistant, tool or thinking (or a list)"
                .into(),
        );
    }
    let mut t = Targets::default();
    for name in names {
        let slot = match name.as_str() {
            "system" => &mut t.system,
            "developer" => &mut t.developer,
            "user" => &mut t.user,
            "assistant" => &mut t.assistant,
            "tool" | "tool_result" => &mut t.tool,
            "thinking" => &mut t.thinking,
            other => {
                return Err(format!(
                    "unknown target `{other}` (expected system, developer, user, assistant, tool or thinking)"
                ));
            }
        };
        *slot = true;
    }
    Ok(t)
}

/// One entry of `system`.
fn system_entry(v: &Value) -> Result<SystemEntry, String> {
    let Value::Object(obj) = v else {
        return Err(format!("must be an object, not {v}"));
    };
    only_keys(
        obj,
        &["models", "upstreams", "mode", "text", "separator"],
        "system entry",
    )?;
    let mode = match string(obj, "mode")?.as_deref() {
        None | Some("append") => SystemMode::Append,
        Some("override") => SystemMode::Override,
        Some("prepend") => SystemMode::Prepend,
        Some(other) => {
            return Err(format!(
                "unknown mode `{other}` (expected override, append or prepend)"
            ));
        }
    };
    let Some(text) = string(obj, "text")? else {
        return Err("`text` is required".into());
    };
    if mode != SystemMode::Override && text.is_empty() {
        return Err("`text` must not be empty (only `override` may set an empty prompt)".into());
    }
    Ok(SystemEntry {
        scope: scope(obj)?,
        mode,
        text,
        separator: string(obj, "separator")?.unwrap_or_else(|| DEFAULT_SEPARATOR.into()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).err().unwrap_or_default()
    }

    #[test]
    fn empty() {
        for text in [
            "",
            "{}",
            r#"{"rules": [], "system": []}"#,
            r#"{"rules": null}"#,
        ] {
            let c = parse(text).unwrap();
            assert!(c.rules.is_empty() && c.system.is_empty());
        }
    }

    #[test]
    fn full_rules() {
        let c = parse(
            r#"{"rules": [
                {"match": "foo", "target": "user", "text": "bar"},
                {"regex": "a(b)", "target": ["assistant", "thinking"], "text": "$1", "max_match_len": 12, "models": "gpt-*"},
                {"target": ["system", "developer", "tool_result"], "action": "append", "text": "!", "upstreams": ["local"]},
                {"match": "x", "target": "tool", "action": "prepend", "text": "> "}
            ]}"#,
        )
        .unwrap();
        assert_eq!(c.rules.len(), 4);
        let r = &c.rules[0];
        assert!(matches!(&r.pattern, Some(Pattern::Literal(s)) if s == "foo"));
        assert_eq!((r.action, r.text.as_str()), (Action::Replace, "bar"));
        assert_eq!(
            r.targets,
            Targets {
                user: true,
                ..Targets::default()
            }
        );
        assert_eq!(r.scope, Scope::default());
        let r = &c.rules[1];
        assert!(matches!(
            &r.pattern,
            Some(Pattern::Regex {
                max_match_len: 12,
                ..
            })
        ));
        assert!(r.targets.assistant && r.targets.thinking && !r.targets.user);
        assert_eq!(r.scope.models, vec!["gpt-*".to_string()]);
        let r = &c.rules[2];
        assert!(r.pattern.is_none());
        assert_eq!(r.action, Action::Append);
        assert!(r.targets.system && r.targets.developer && r.targets.tool);
        assert_eq!(r.scope.upstreams, vec!["local".to_string()]);
        assert_eq!(c.rules[3].action, Action::Prepend);
    }

    #[test]
    fn regex_default_window() {
        let c = parse(r#"{"rules": [{"regex": "a+", "target": "user"}]}"#).unwrap();
        assert!(matches!(
            &c.rules[0].pattern,
            Some(Pattern::Regex {
                max_match_len: DEFAULT_MAX_MATCH_LEN,
                ..
            })
        ));
        assert_eq!(c.rules[0].text, "");
    }

    #[test]
    fn system_entries() {
        let c = parse(
            r#"{"system": [
                {"models": ["claude-*"], "mode": "override", "text": "Be terse."},
                {"text": "Cite sources."},
                {"mode": "prepend", "text": "Hi", "separator": " "},
                {"mode": "override", "text": ""}
            ]}"#,
        )
        .unwrap();
        assert_eq!(c.system.len(), 4);
        assert_eq!(c.system[0].mode, SystemMode::Override);
        assert_eq!(c.system[0].scope.models, vec!["claude-*".to_string()]);
        assert_eq!(c.system[1].mode, SystemMode::Append);
        assert_eq!(c.system[1].separator, "\n\n");
        assert_eq!(c.system[2].separator, " ");
        assert_eq!(c.system[3].text, "");
    }

    #[test]
    fn clear_errors() {
        let cases = [
            ("[]", "must be a JSON object"),
            ("{oops", "not valid JSON"),
            (r#"{"rule": []}"#, "unknown key `rule`"),
            (r#"{"rules": {}}"#, "`rules` must be an array"),
            (r#"{"rules": [1]}"#, "rules[0]: must be an object"),
            (
                r#"{"rules": [{"match": "a", "target": "user"}, {"regex": "(", "target": "user"}]}"#,
                "rules[1]: `regex` \"(\" is invalid",
            ),
            (
                r#"{"rules": [{"match": "a", "regex": "b", "target": "user"}]}"#,
                "rules[0]: set `match` or `regex`, not both",
            ),
            (
                r#"{"rules": [{"match": "", "target": "user"}]}"#,
                "`match` must not be empty",
            ),
            (r#"{"rules": [{"match": "a"}]}"#, "`target` is required"),
            (
                r#"{"rules": [{"match": "a", "target": "bot"}]}"#,
                "unknown target `bot`",
            ),
            (
                r#"{"rules": [{"match": "a", "target": "user", "action": "drop"}]}"#,
                "unknown action `drop`",
            ),
            (
                r#"{"rules": [{"target": "user", "text": "x"}]}"#,
                "needs `match` or `regex`",
            ),
            (
                r#"{"rules": [{"target": "user", "action": "append"}]}"#,
                "need a non-empty `text`",
            ),
            (
                r#"{"rules": [{"match": "a", "target": "user", "replace": "b"}]}"#,
                "rules[0]: rule: unknown key `replace`",
            ),
            (
                r#"{"rules": [{"match": "a", "target": "user", "max_match_len": 4}]}"#,
                "only applies to `regex`",
            ),
            (
                r#"{"rules": [{"regex": "a", "target": "user", "max_match_len": 0}]}"#,
                "`max_match_len` must be a whole number",
            ),
            (
                r#"{"rules": [{"regex": "a", "target": "user", "max_match_len": 1.5}]}"#,
                "`max_match_len` must be a whole number",
            ),
            (
                r#"{"rules": [{"match": "a", "target": "user", "models": [3]}]}"#,
                "`models` entries must be strings",
            ),
            (
                r#"{"rules": [{"match": "a", "target": "user", "upstreams": [""]}]}"#,
                "must not be empty",
            ),
            (
                r#"{"rules": [{"match": "a", "target": "user", "text": 3}]}"#,
                "`text` must be a string",
            ),
            (
                r#"{"system": [{"mode": "override"}]}"#,
                "system[0]: `text` is required",
            ),
            (
                r#"{"system": [{"mode": "replace", "text": "a"}]}"#,
                "unknown mode `replace`",
            ),
            (r#"{"system": [{"text": ""}]}"#, "must not be empty"),
            (
                r#"{"system": [{"text": "a", "model": "x"}]}"#,
                "unknown key `model`",
            ),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
