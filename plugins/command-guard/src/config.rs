//! The filter's configuration: a JSON object, every key optional.

use regex_lite::Regex;
use serde_json::{Map, Value};

use crate::rules::RULES;

/// What to do with a dangerous call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Replace the call with assistant text saying what was stopped.
    Block,
    /// Log a warning; the call passes.
    Warn,
    /// Fail the answer with an error.
    Reject,
}

/// Tool names checked by default (compared ignoring case).
pub const DEFAULT_TOOLS: &[&str] = &[
    "bash",
    "shell",
    "local_shell",
    "exec_command",
    "run_terminal_cmd",
    "execute_command",
    "run_shell_command",
    "run_command",
    "run_in_terminal",
    "terminal",
    "execute_bash",
    "execute_shell",
    "shell_command",
    "run_bash",
    "container.exec",
];

/// Argument keys that hold the command by default (compared ignoring case).
pub const DEFAULT_KEYS: &[&str] = &[
    "command",
    "cmd",
    "script",
    "commands",
    "command_line",
    "commandline",
];

/// Branches a force push must not reach by default.
pub const DEFAULT_PROTECTED: &[&str] = &["main", "master", "production", "prod", "release/*"];

/// Settings. See [`parse`] for the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `action`: `"block"` (default), `"warn"` or `"reject"`.
    pub action: Action,
    /// `tools`: names of tools that run shell commands (lower-cased);
    /// `"*"` means every tool with a command argument.
    pub tools: Vec<String>,
    /// `keys`: argument keys holding the command.
    pub keys: Vec<String>,
    /// `workspace`: the absolute project path, as components.
    pub workspace: Option<Vec<String>>,
    /// `protected_branches`: glob patterns (`*` matches anything).
    pub protected_branches: Vec<String>,
    /// `allow`: regexes; a simple command matching one skips the built-in
    /// rules.
    pub allow: Vec<String>,
    /// `deny`: regexes; a simple command matching one is dangerous.
    pub deny: Vec<String>,
    /// `disable`: built-in rule ids turned off.
    pub disable: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Config {
            action: Action::Block,
            tools: owned(DEFAULT_TOOLS),
            keys: owned(DEFAULT_KEYS),
            workspace: None,
            protected_branches: owned(DEFAULT_PROTECTED),
            allow: Vec::new(),
            deny: Vec::new(),
            disable: Vec::new(),
        }
    }
}

impl Config {
    /// True when calls of `name` carry shell commands.
    pub fn is_shell_tool(&self, name: &str) -> bool {
        self.tools
            .iter()
            .any(|t| t == "*" || t.eq_ignore_ascii_case(name))
    }
}

const KEYS: &[&str] = &[
    "action",
    "tools",
    "keys",
    "workspace",
    "protected_branches",
    "allow",
    "deny",
    "disable",
];

/// Read the config JSON text; the message says what is wrong with it.
/// Patterns are not compiled here (see [`compile`]).
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value = serde_json::from_str(text)
        .map_err(|e| format!("command-guard config is not valid JSON: {e}"))?;
    let Value::Object(obj) = json else {
        return Err("command-guard config must be a JSON object".into());
    };
    if let Some(key) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "command-guard config has an unknown key `{key}` (known: {})",
            KEYS.join(", ")
        ));
    }
    let d = Config::default();
    let action = match obj.get("action") {
        None | Some(Value::Null) => d.action,
        Some(Value::String(s)) => match s.as_str() {
            "block" => Action::Block,
            "warn" => Action::Warn,
            "reject" => Action::Reject,
            other => {
                return Err(format!(
                    "command-guard config `action` must be \"block\", \"warn\" or \"reject\", not {other:?}"
                ));
            }
        },
        Some(other) => {
            return Err(format!(
                "command-guard config `action` must be a string, not {other}"
            ));
        }
    };
    let workspace = match obj.get("workspace") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => match crate::paths::absolute(s) {
            Some(comps) => Some(comps),
            None => {
                return Err(format!(
                    "command-guard config `workspace` must be an absolute path, not {s:?}"
                ));
            }
        },
        Some(other) => {
            return Err(format!(
                "command-guard config `workspace` must be a string, not {other}"
            ));
        }
    };
    let disable = strings(&obj, "disable")?.unwrap_or_default();
    if let Some(bad) = disable.iter().find(|r| !RULES.contains(&r.as_str())) {
        return Err(format!(
            "command-guard config `disable` names an unknown rule `{bad}` (known: {})",
            RULES.join(", ")
        ));
    }
    let tools = strings(&obj, "tools")?.unwrap_or(d.tools);
    let keys = strings(&obj, "keys")?.unwrap_or(d.keys);
    if tools.is_empty() || keys.is_empty() {
        return Err("command-guard config `tools` and `keys` must not be empty".into());
    }
    Ok(Config {
        action,
        tools,
        keys,
        workspace,
        protected_branches: strings(&obj, "protected_branches")?.unwrap_or(d.protected_branches),
        allow: strings(&obj, "allow")?.unwrap_or_default(),
        deny: strings(&obj, "deny")?.unwrap_or_default(),
        disable,
    })
}

/// A list of non-empty strings.
fn strings(obj: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                other => Err(format!(
                    "command-guard config `{key}` must hold non-empty strings, not {other}"
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(format!(
            "command-guard config `{key}` must be a list of strings, not {other}"
        )),
    }
}

/// Compile `allow` or `deny` patterns.
pub fn compile(key: &str, patterns: &[String]) -> Result<Vec<Regex>, String> {
    patterns
        .iter()
        .map(|p| {
            Regex::new(p)
                .map_err(|e| format!("command-guard config `{key}` pattern {p:?} is invalid: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(parse(""), Ok(Config::default()));
        assert_eq!(parse("{}"), Ok(Config::default()));
        assert_eq!(parse(r#"{"action": null}"#), Ok(Config::default()));
        let c = Config::default();
        assert!(c.is_shell_tool("Bash"));
        assert!(c.is_shell_tool("exec_command"));
        assert!(c.is_shell_tool("RUN_SHELL_COMMAND"));
        assert!(!c.is_shell_tool("read_file"));
    }

    #[test]
    fn every_key() {
        let c = parse(
            r#"{"action":"warn","tools":["my_shell","*"],"keys":["line"],"workspace":"/src/app/",
                "protected_branches":["trunk"],"allow":["^rm -rf \\./out$"],"deny":["^npm publish"],
                "disable":["git-reset-hard"]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.action, Action::Warn);
        assert!(c.is_shell_tool("anything"));
        assert_eq!(c.keys, vec!["line"]);
        assert_eq!(
            c.workspace,
            Some(vec!["src".to_string(), "app".to_string()])
        );
        assert_eq!(c.protected_branches, vec!["trunk"]);
        assert_eq!(c.disable, vec!["git-reset-hard"]);
        assert!(compile("allow", &c.allow).is_ok());
    }

    #[test]
    fn rejects_bad_shapes() {
        let err = |text: &str| parse(text).err().unwrap_or_default();
        assert!(err("[]").contains("object"));
        assert!(err("{").contains("not valid JSON"));
        assert!(err(r#"{"tool": []}"#).contains("unknown key `tool`"));
        assert!(err(r#"{"action": "explode"}"#).contains("action"));
        assert!(err(r#"{"workspace": "src"}"#).contains("absolute"));
        assert!(err(r#"{"tools": "Bash"}"#).contains("list of strings"));
        assert!(err(r#"{"tools": []}"#).contains("must not be empty"));
        assert!(err(r#"{"allow": [""]}"#).contains("non-empty"));
        assert!(err(r#"{"disable": ["rm"]}"#).contains("unknown rule"));
        assert!(compile("deny", &["(".to_string()]).is_err());
    }
}
