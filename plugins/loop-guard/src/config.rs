//! The filter's configuration: a JSON object, every key optional.

use serde_json::{Map, Value};

/// What to do when a loop is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Stop: reject the request, or end the answer with an error.
    Abort,
    /// Steer: tell the model it is looping (a message added to the request,
    /// or assistant text in place of the repeated call / repeated text).
    Steer,
}

/// The role of the steering message added to a looping request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SteerRole {
    /// A trailing user message (default).
    User,
    /// A trailing system message.
    System,
}

/// Settings. See [`parse`] for the keys and their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `action`: `"steer"` (default) or `"abort"`.
    pub action: Action,
    /// `max_repeats`: a tool call (or cycle of calls) made this many times
    /// in a row is a loop. Default 3; 0 turns call checks (and the key-value
    /// counter) off.
    pub max_repeats: u32,
    /// `max_period`: the longest cycle of distinct calls recognised
    /// (`A, B, A, B, …` has period 2). Default 2; 1 means only the very same
    /// call counts.
    pub max_period: u32,
    /// `max_error_repeats`: the same call failing with the same error this
    /// many times in a row is a loop. Default 2; 0 turns it off.
    pub max_error_repeats: u32,
    /// `text_repeats`: a passage of the answer repeated this many times in a
    /// row is a loop. Default 3; 0 turns text checks off.
    pub text_repeats: u32,
    /// `text_min_chars`: the shortest repeated passage that counts.
    /// Default 20.
    pub text_min_chars: u32,
    /// `text_max_chars`: the longest repeated passage looked for (work per
    /// character grows with it). Default 256.
    pub text_max_chars: u32,
    /// `ttl_seconds`: how long the per-conversation counter lives in the
    /// key-value store after its last update. Default 3600.
    pub ttl_seconds: u64,
    /// `abort_status`: the HTTP status of an aborted request. Default 400.
    pub abort_status: u16,
    /// `steer_role`: `"user"` (default) or `"system"`.
    pub steer_role: SteerRole,
    /// `steer_message`: custom text of the steering message added to a
    /// request; `{what}` is replaced by what repeated.
    pub steer_message: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            action: Action::Steer,
            max_repeats: 3,
            max_period: 2,
            max_error_repeats: 2,
            text_repeats: 3,
            text_min_chars: 20,
            text_max_chars: 256,
            ttl_seconds: 3600,
            abort_status: 400,
            steer_role: SteerRole::User,
            steer_message: None,
        }
    }
}

/// Every key the config may hold.
const KEYS: &[&str] = &[
    "action",
    "max_repeats",
    "max_period",
    "max_error_repeats",
    "text_repeats",
    "text_min_chars",
    "text_max_chars",
    "ttl_seconds",
    "abort_status",
    "steer_role",
    "steer_message",
];

/// Read the config JSON text; the message says what is wrong with it.
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value = serde_json::from_str(text)
        .map_err(|e| format!("loop-guard config is not valid JSON: {e}"))?;
    let Value::Object(obj) = json else {
        return Err("loop-guard config must be a JSON object".into());
    };
    if let Some(key) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "loop-guard config has an unknown key `{key}` (known: {})",
            KEYS.join(", ")
        ));
    }
    let d = Config::default();
    let config = Config {
        action: match string(&obj, "action")? {
            None => d.action,
            Some("abort") => Action::Abort,
            Some("steer") => Action::Steer,
            Some(other) => {
                return Err(format!(
                    "loop-guard config `action` must be \"abort\" or \"steer\", not {other:?}"
                ));
            }
        },
        max_repeats: count(&obj, "max_repeats", d.max_repeats, 2, 1000)?,
        max_period: number(&obj, "max_period", d.max_period.into(), 1, 16)? as u32,
        max_error_repeats: count(&obj, "max_error_repeats", d.max_error_repeats, 2, 1000)?,
        text_repeats: count(&obj, "text_repeats", d.text_repeats, 2, 1000)?,
        text_min_chars: number(&obj, "text_min_chars", d.text_min_chars.into(), 2, 4096)? as u32,
        text_max_chars: number(&obj, "text_max_chars", d.text_max_chars.into(), 2, 4096)? as u32,
        ttl_seconds: number(&obj, "ttl_seconds", d.ttl_seconds, 1, 30 * 24 * 3600)?,
        abort_status: number(&obj, "abort_status", d.abort_status.into(), 400, 599)? as u16,
        steer_role: match string(&obj, "steer_role")? {
            None => d.steer_role,
            Some("user") => SteerRole::User,
            Some("system") => SteerRole::System,
            Some(other) => {
                return Err(format!(
                    "loop-guard config `steer_role` must be \"user\" or \"system\", not {other:?}"
                ));
            }
        },
        steer_message: string(&obj, "steer_message")?.map(str::to_string),
    };
    if config.text_min_chars > config.text_max_chars {
        return Err(format!(
            "loop-guard config `text_min_chars` ({}) must not exceed `text_max_chars` ({})",
            config.text_min_chars, config.text_max_chars
        ));
    }
    Ok(config)
}

/// A string field; empty counts as unset.
fn string<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "loop-guard config `{key}` must be a string, not {other}"
        )),
    }
}

/// A whole number in `min..=max`.
fn number(
    obj: &Map<String, Value>,
    key: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(format!(
                "loop-guard config `{key}` must be a whole number from {min} to {max}, not {n}"
            )),
        },
        Some(other) => Err(format!(
            "loop-guard config `{key}` must be a whole number, not {other}"
        )),
    }
}

/// A repeat count: 0 (off) or a number in `min..=max`.
fn count(
    obj: &Map<String, Value>,
    key: &str,
    default: u32,
    min: u64,
    max: u64,
) -> Result<u32, String> {
    match obj.get(key) {
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(0),
        _ => number(obj, key, default.into(), min, max)
            .map(|v| v as u32)
            .map_err(|e| format!("{e} (or 0 to turn the check off)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(parse(""), Ok(Config::default()));
        assert_eq!(parse("{}"), Ok(Config::default()));
        assert_eq!(
            parse(r#"{"action": null, "steer_message": ""}"#),
            Ok(Config::default())
        );
    }

    #[test]
    fn every_key() {
        let c = parse(
            r#"{"action":"abort","max_repeats":5,"max_period":1,"max_error_repeats":0,
                "text_repeats":4,"text_min_chars":30,"text_max_chars":300,"ttl_seconds":60,
                "abort_status":409,"steer_role":"system","steer_message":"stop: {what}"}"#,
        );
        assert_eq!(
            c,
            Ok(Config {
                action: Action::Abort,
                max_repeats: 5,
                max_period: 1,
                max_error_repeats: 0,
                text_repeats: 4,
                text_min_chars: 30,
                text_max_chars: 300,
                ttl_seconds: 60,
                abort_status: 409,
                steer_role: SteerRole::System,
                steer_message: Some("stop: {what}".into()),
            })
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        let err = |text: &str| parse(text).err().unwrap_or_default();
        assert!(err("[]").contains("object"));
        assert!(err("{oops").contains("not valid JSON"));
        assert!(err(r#"{"max_repeat": 3}"#).contains("unknown key `max_repeat`"));
        assert!(err(r#"{"action": "explode"}"#).contains("action"));
        assert!(err(r#"{"action": 1}"#).contains("must be a string"));
        assert!(err(r#"{"max_repeats": 1}"#).contains("or 0"));
        assert!(err(r#"{"max_repeats": -2}"#).contains("max_repeats"));
        assert!(err(r#"{"max_repeats": "3"}"#).contains("whole number"));
        assert!(err(r#"{"max_period": 0}"#).contains("max_period"));
        assert!(err(r#"{"abort_status": 200}"#).contains("400 to 599"));
        assert!(err(r#"{"steer_role": "tool"}"#).contains("steer_role"));
        assert!(err(r#"{"text_min_chars": 50, "text_max_chars": 40}"#).contains("must not exceed"));
    }

    #[test]
    fn zero_turns_checks_off() {
        let c = parse(r#"{"max_repeats":0,"max_error_repeats":0,"text_repeats":0}"#);
        assert!(matches!(
            c,
            Ok(Config {
                max_repeats: 0,
                max_error_repeats: 0,
                text_repeats: 0,
                ..
            })
        ));
    }
}
