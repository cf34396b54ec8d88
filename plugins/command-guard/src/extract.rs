//! Finding the command in a shell tool call's arguments: a string under
//! one of the configured keys (`command`, `cmd`, `script`), an argv array
//! (Codex's `shell` sends `["bash", "-lc", "…"]`), a list of scripts
//! (`commands`), possibly inside an `action` object (OpenAI's
//! `local_shell`); and the working directory when the call names one.

use serde_json::Value;

/// One command a call runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Shell text.
    Script(String),
    /// An argv array (run without a shell).
    Argv(Vec<String>),
}

/// What a shell tool call runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commands {
    /// The commands, in order.
    pub sources: Vec<Source>,
    /// The working directory the call asks for.
    pub workdir: Option<String>,
}

/// Keys naming the working directory (compared ignoring case).
const WORKDIR_KEYS: &[&str] = &["workdir", "cwd", "working_directory", "directory", "dir"];

/// The commands in `arguments` (JSON text); `None` when it is not JSON.
pub fn commands(arguments: &str, keys: &[String]) -> Option<Commands> {
    let value: Value = serde_json::from_str(arguments).ok()?;
    let mut out = Commands::default();
    match value {
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            // Arguments encoded twice.
            Ok(inner @ Value::Object(_)) => collect(&inner, keys, &mut out, 0),
            _ => out.sources.push(Source::Script(s)),
        },
        Value::Array(_) => {
            if let Some(argv) = argv(&value) {
                out.sources.push(Source::Argv(argv));
            }
        }
        other => collect(&other, keys, &mut out, 0),
    }
    Some(out)
}

/// An array of strings.
fn argv(v: &Value) -> Option<Vec<String>> {
    let items = v.as_array()?;
    items
        .iter()
        .map(|i| i.as_str().map(str::to_string))
        .collect()
}

fn collect(v: &Value, keys: &[String], out: &mut Commands, depth: u32) {
    let Value::Object(obj) = v else {
        return;
    };
    for (key, value) in obj {
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            continue;
        }
        match value {
            Value::String(s) => out.sources.push(Source::Script(s.clone())),
            Value::Array(items) if key.eq_ignore_ascii_case("commands") => {
                for item in items {
                    match item {
                        Value::String(s) => out.sources.push(Source::Script(s.clone())),
                        other => {
                            if let Some(a) = argv(other) {
                                out.sources.push(Source::Argv(a));
                            }
                        }
                    }
                }
            }
            list @ Value::Array(_) => {
                if let Some(a) = argv(list) {
                    out.sources.push(Source::Argv(a));
                }
            }
            _ => {}
        }
    }
    if out.workdir.is_none() {
        out.workdir = obj
            .iter()
            .find(|(k, _)| WORKDIR_KEYS.iter().any(|w| w.eq_ignore_ascii_case(k)))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string);
    }
    if depth == 0
        && let Some(action) = obj.get("action")
    {
        collect(action, keys, out, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        crate::config::DEFAULT_KEYS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn shapes() {
        let k = keys();
        let c = commands(r#"{"command": "ls -la", "description": "list"}"#, &k);
        assert_eq!(
            c.map(|c| c.sources),
            Some(vec![Source::Script("ls -la".into())])
        );
        let c = commands(
            r#"{"command": ["bash", "-lc", "rm -rf /"], "workdir": "/repo"}"#,
            &k,
        )
        .unwrap_or_default();
        assert_eq!(
            c.sources,
            vec![Source::Argv(vec![
                "bash".into(),
                "-lc".into(),
                "rm -rf /".into()
            ])]
        );
        assert_eq!(c.workdir.as_deref(), Some("/repo"));
        let c = commands(r#"{"cmd": "git status"}"#, &k).unwrap_or_default();
        assert_eq!(c.sources, vec![Source::Script("git status".into())]);
        let c = commands(r#"{"commands": ["a", "b"]}"#, &k).unwrap_or_default();
        assert_eq!(c.sources.len(), 2);
        let c = commands(
            r#"{"action": {"type": "exec", "command": ["rm", "-rf", "/"], "working_directory": "/w"}}"#,
            &k,
        )
        .unwrap_or_default();
        assert_eq!(c.sources.len(), 1);
        assert_eq!(c.workdir.as_deref(), Some("/w"));
        let c = commands(r#""{\"command\": \"ls\"}""#, &k).unwrap_or_default();
        assert_eq!(c.sources, vec![Source::Script("ls".into())]);
        assert_eq!(commands("{oops", &k), None);
        assert_eq!(
            commands(r#"{"path": "x"}"#, &k).map(|c| c.sources.len()),
            Some(0)
        );
        assert_eq!(
            commands(r#"{"command": 5}"#, &k).map(|c| c.sources.len()),
            Some(0)
        );
    }
}
