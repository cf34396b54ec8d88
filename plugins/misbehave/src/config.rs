//! The plugin's configuration: which hook misbehaves, and how.

use serde_json::Value;

/// How to misbehave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Behave (pass everything through).
    #[default]
    Ok,
    /// Panic, which traps the instance.
    Trap,
    /// Spin forever.
    Loop,
    /// Sleep forever: a call that holds its request without using the
    /// CPU, inside a host call no epoch tick reaches.
    Nap,
    /// Compute for this many steps, then behave: a slow but finite call
    /// (`{"mode": "work", "steps": N}`).
    Work(u64),
    /// Allocate memory forever.
    Bomb,
    /// Return values that break the plugin contract.
    Garbage,
    /// On `on-request`, answer an edit of a message the request does not
    /// have (the contract check for edits).
    BadEdit,
    /// Try to reach files, the network and the environment, and answer
    /// with what happened (every attempt should be denied).
    Escape,
}

/// Which hook misbehaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Hook {
    /// `init`.
    Init,
    /// `on-request`.
    #[default]
    Request,
    /// `on-response`.
    Response,
    /// `stream-filter.on-events`.
    Stream,
}

/// The chosen mode and hook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Config {
    /// How to misbehave.
    pub mode: Mode,
    /// Where to misbehave.
    pub hook: Hook,
}

/// Read the config JSON text; the message says what is wrong with it.
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value = serde_json::from_str(text)
        .map_err(|e| format!("misbehave config is not valid JSON: {e}"))?;
    if !json.is_object() {
        return Err("misbehave config must be a JSON object".into());
    }
    let mode = match json.get("mode").and_then(Value::as_str) {
        None | Some("ok") => Mode::Ok,
        Some("trap") => Mode::Trap,
        Some("loop") => Mode::Loop,
        Some("nap") => Mode::Nap,
        Some("work") => match json.get("steps").and_then(Value::as_u64) {
            Some(steps) => Mode::Work(steps),
            None => return Err("misbehave: mode `work` needs `steps`, a count".into()),
        },
        Some("bomb") => Mode::Bomb,
        Some("garbage") => Mode::Garbage,
        Some("bad-edit") => Mode::BadEdit,
        Some("escape") => Mode::Escape,
        Some(other) => return Err(format!("misbehave: unknown mode `{other}`")),
    };
    let hook = match json.get("hook").and_then(Value::as_str) {
        None | Some("request") => Hook::Request,
        Some("init") => Hook::Init,
        Some("response") => Hook::Response,
        Some("stream") => Hook::Stream,
        Some(other) => return Err(format!("misbehave: unknown hook `{other}`")),
    };
    Ok(Config { mode, hook })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(parse("{}"), Ok(Config::default()));
        assert_eq!(
            parse(r#"{"mode":"bomb","hook":"stream"}"#),
            Ok(Config {
                mode: Mode::Bomb,
                hook: Hook::Stream
            })
        );
        assert_eq!(
            parse(r#"{"mode":"work","steps":5}"#).map(|c| c.mode),
            Ok(Mode::Work(5))
        );
        assert!(parse(r#"{"mode":"work"}"#).is_err());
        assert!(parse(r#"{"mode":"explode"}"#).is_err());
        assert!(parse("[]").is_err());
    }
}
