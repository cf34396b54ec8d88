//! Repairing one complete tool call: name, argument JSON, schema.

use std::cell::OnceCell;

use serde_json::{Map, Value};

use crate::config::{Config, OnInvalid};
use crate::names::{self, NameMatch};
use crate::types::{Error, ErrorKind, ToolCall};
use crate::{repair, schema};

/// A tool the request declared. Its schema is read from its JSON text the
/// first time a call to it needs it: a coding agent declares 20 tools with
/// 40 KB of schemas and calls one or two of them.
#[derive(Debug, Clone)]
pub struct Tool {
    /// The declared name.
    pub name: String,
    /// The JSON Schema of its arguments, as text.
    parameters: String,
    /// `parameters` read, once asked for.
    schema: OnceCell<Value>,
}

impl Tool {
    /// A tool named `name` whose arguments follow the JSON Schema text
    /// `parameters`.
    pub fn new(name: impl Into<String>, parameters: impl Into<String>) -> Self {
        Tool {
            name: name.into(),
            parameters: parameters.into(),
            schema: OnceCell::new(),
        }
    }

    /// The JSON Schema of its arguments (`null` when it is not JSON).
    pub fn schema(&self) -> &Value {
        self.schema
            .get_or_init(|| serde_json::from_str(&self.parameters).unwrap_or(Value::Null))
    }
}

impl PartialEq for Tool {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.parameters == other.parameters
    }
}

/// Everything one request's repairs need.
#[derive(Debug, Clone, PartialEq)]
pub struct Env {
    /// The filter's config.
    pub config: Config,
    /// The tools the request declared.
    pub tools: Vec<Tool>,
    /// Whether tool calls written as text become structured calls: the
    /// request declared tools, did not say `tool_choice: none`, and
    /// `textual_calls` is on.
    pub textual: bool,
    /// Prefix for the ids of calls made from text.
    pub id_prefix: String,
}

impl Env {
    /// An environment for a request with these tools.
    pub fn new(config: Config, tools: Vec<Tool>, tools_allowed: bool, id_prefix: String) -> Self {
        let textual = config.textual_calls && tools_allowed && !tools.is_empty();
        Env {
            config,
            tools,
            textual,
            id_prefix,
        }
    }

    /// The declared tool names.
    pub fn names(&self) -> Vec<&str> {
        self.tools.iter().map(|t| t.name.as_str()).collect()
    }

    /// The declared tool `name` is matched to, if any.
    pub fn resolve(&self, name: &str) -> Option<&Tool> {
        let declared = self.names();
        let found = match names::resolve(
            name,
            &declared,
            self.config.fix_names,
            self.config.max_distance,
        ) {
            NameMatch::Exact => name.to_string(),
            NameMatch::Fixed(found) => found,
            NameMatch::Unknown => return None,
        };
        self.tools.iter().find(|t| t.name == found)
    }
}

/// What becomes of a tool call.
#[derive(Debug, Clone, PartialEq)]
pub enum Disposition {
    /// Pass this call on (repaired, or exactly as it came when it was fine).
    Call(ToolCall),
    /// Replace the call with this assistant text.
    Text(String),
    /// Fail the request.
    Reject(Error),
}

/// Repair `call` for `env`; also return log notes on what was done.
pub fn dispose(env: &Env, call: ToolCall) -> (Disposition, Vec<String>) {
    let config = &env.config;
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    let mut name = call.name.clone();
    let mut tool = None;
    if !env.tools.is_empty() {
        match env.resolve(&call.name) {
            Some(found) => {
                if found.name != call.name {
                    notes.push(format!("tool name `{}` → `{}`", call.name, found.name));
                    name = found.name.clone();
                }
                tool = Some(found);
            }
            None if config.check_schema => problems.push(format!(
                "there is no tool named `{}`; the declared tools are {}",
                call.name,
                env.names()
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => {}
        }
    }
    let mut arguments = call.arguments.clone();
    let mut parsed = None;
    match repair::arguments(&call.arguments, config) {
        Ok(mut fixed) => {
            let mut changed = !fixed.applied.is_empty();
            if changed {
                let kinds: Vec<&str> = fixed.applied.iter().copied().collect();
                notes.push(format!(
                    "repaired arguments of `{name}`: {}",
                    kinds.join(", ")
                ));
            }
            if let Some(tool) = tool
                && (config.coerce_types || config.check_schema)
            {
                let checked = schema::check(
                    &mut fixed.value,
                    tool.schema(),
                    config.coerce_types,
                    config.check_schema,
                );
                if !checked.coercions.is_empty() {
                    changed = true;
                    notes.push(format!(
                        "coerced arguments of `{name}`: {}",
                        checked.coercions.join("; ")
                    ));
                }
                problems.extend(checked.problems);
            }
            if changed {
                arguments = Value::Object(fixed.value.clone()).to_string();
            }
            parsed = Some(fixed.value);
        }
        Err(e) => problems.push(e),
    }
    let repaired = ToolCall {
        id: call.id,
        name,
        arguments,
    };
    if problems.is_empty() {
        return (Disposition::Call(repaired), notes);
    }
    notes.push(format!(
        "invalid call to `{}`: {}",
        repaired.name,
        problems.join("; ")
    ));
    let disposition = match config.on_invalid {
        OnInvalid::Pass => Disposition::Call(repaired),
        OnInvalid::Text => Disposition::Text(report(&repaired, tool, &problems, parsed.as_ref())),
        OnInvalid::Reject => Disposition::Reject(Error {
            kind: ErrorKind::Upstream,
            message: format!(
                "tool-call-repair: the model's call to `{}` is invalid: {}",
                repaired.name,
                problems.join("; ")
            ),
            status: 502,
            retryable: false,
        }),
    };
    (disposition, notes)
}

/// The most characters of the model's arguments quoted back to it.
const QUOTE_LIMIT: usize = 300;

/// The text that replaces an invalid call: written like a tool's error
/// result, so the model sees what it got wrong and calls again properly.
pub fn report(
    call: &ToolCall,
    tool: Option<&Tool>,
    problems: &[String],
    parsed: Option<&Map<String, Value>>,
) -> String {
    let name = &call.name;
    let mut out = format!("Error: the call to tool `{name}` was not run because it is invalid:\n");
    for p in problems {
        out.push_str("- ");
        out.push_str(p);
        out.push('\n');
    }
    let Some(tool) = tool else {
        out.push_str("Call one of the declared tools instead.");
        return out;
    };
    let params = describe(tool.schema());
    if !params.is_empty() {
        out.push_str(&format!("Arguments of `{name}`: {params}.\n"));
    }
    let sent = match parsed {
        Some(map) => Value::Object(map.clone()).to_string(),
        None => call.arguments.clone(),
    };
    let quoted: String = sent.chars().take(QUOTE_LIMIT).collect();
    let ellipsis = if sent.chars().count() > QUOTE_LIMIT {
        "..."
    } else {
        ""
    };
    out.push_str(&format!("Arguments received: {quoted}{ellipsis}\n"));
    out.push_str(&format!(
        "Call `{name}` again with every required argument, using the declared types."
    ));
    out
}

/// `command (string, required), timeout (integer)` for a schema.
fn describe(schema: &Value) -> String {
    let Some(Value::Object(props)) = schema.get("properties") else {
        return String::new();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // Required ones first, at most 20.
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort_by_key(|k| !required.contains(&k.as_str()));
    keys.iter()
        .take(20)
        .map(|k| {
            let ty = match props.get(*k).and_then(|p| p.get("type")) {
                Some(Value::String(t)) => t.clone(),
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("|"),
                _ => "any".into(),
            };
            if required.contains(&k.as_str()) {
                format!("{k} ({ty}, required)")
            } else {
                format!("{k} ({ty})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use serde_json::json;

    /// An environment with `Bash` and `get_weather`.
    pub fn env(config: Config) -> Env {
        Env::new(
            config,
            vec![
                Tool::new(
                    "Bash",
                    json!({"type": "object", "properties": {
                        "command": {"type": "string"}, "timeout": {"type": "integer"}},
                        "required": ["command"]})
                    .to_string(),
                ),
                Tool::new(
                    "get_weather",
                    json!({"type": "object", "properties": {
                        "city": {"type": "string"}, "days": {"type": "integer"},
                        "units": {"type": "string", "enum": ["metric", "imperial"]}},
                        "required": ["city"]})
                    .to_string(),
                ),
            ],
            true,
            "call_t".into(),
        )
    }

    pub fn call(name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    fn passed(d: Disposition) -> ToolCall {
        match d {
            Disposition::Call(c) => c,
            other => panic!("expected a call, got {other:?}"),
        }
    }

    #[test]
    fn clean_call_is_byte_for_byte_untouched() {
        let text = "{ \"command\" : \"ls\",\n \"timeout\": 5 }";
        let (d, notes) = dispose(&env(Config::default()), call("Bash", text));
        assert_eq!(passed(d), call("Bash", text));
        assert!(notes.is_empty());
    }

    #[test]
    fn broken_json_and_names_are_fixed() {
        let (d, notes) = dispose(
            &env(Config::default()),
            call("bash", "{'command': 'ls', timeout: '5',}"),
        );
        let c = passed(d);
        assert_eq!(c.name, "Bash");
        assert_eq!(
            serde_json::from_str::<Value>(&c.arguments).ok(),
            Some(json!({"command": "ls", "timeout": 5}))
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn missing_field_becomes_text() {
        let (d, _) = dispose(&env(Config::default()), call("Bash", r#"{"timeout": 5}"#));
        let Disposition::Text(text) = d else {
            panic!("expected text, got {d:?}")
        };
        assert!(
            text.starts_with("Error: the call to tool `Bash` was not run"),
            "{text}"
        );
        assert!(
            text.contains("- missing required field `command`"),
            "{text}"
        );
        assert!(
            text.contains("command (string, required), timeout (integer)"),
            "{text}"
        );
        assert!(
            text.contains(r#"Arguments received: {"timeout":5}"#),
            "{text}"
        );
    }

    #[test]
    fn on_invalid_pass_and_reject() {
        let pass = Config {
            on_invalid: OnInvalid::Pass,
            ..Config::default()
        };
        let (d, notes) = dispose(&env(pass), call("Bash", r#"{"timeout": "5"}"#));
        assert_eq!(passed(d).arguments, r#"{"timeout":5}"#);
        assert!(notes.iter().any(|n| n.contains("invalid call")));
        let reject = Config {
            on_invalid: OnInvalid::Reject,
            ..Config::default()
        };
        let (d, _) = dispose(&env(reject), call("Bash", "{}"));
        let Disposition::Reject(e) = d else {
            panic!("expected a reject, got {d:?}")
        };
        assert_eq!((e.status, e.kind), (502, ErrorKind::Upstream));
        assert!(e.message.contains("missing required field `command`"));
    }

    #[test]
    fn unknown_tools_and_garbage() {
        let (d, _) = dispose(&env(Config::default()), call("Write", r#"{"a": 1}"#));
        let Disposition::Text(text) = d else {
            panic!("{d:?}")
        };
        assert!(
            text.contains(
                "there is no tool named `Write`; the declared tools are `Bash`, `get_weather`"
            ),
            "{text}"
        );
        let (d, _) = dispose(&env(Config::default()), call("Bash", "ls -la"));
        let Disposition::Text(text) = d else {
            panic!("{d:?}")
        };
        assert!(text.contains("not valid JSON"), "{text}");
        assert!(text.contains("Arguments received: ls -la"), "{text}");
    }

    #[test]
    fn checks_can_be_switched_off() {
        let off = Config {
            check_schema: false,
            coerce_types: false,
            fix_names: false,
            ..Config::default()
        };
        let (d, _) = dispose(&env(off), call("bash", r#"{"timeout": "5"}"#));
        assert_eq!(passed(d), call("bash", r#"{"timeout": "5"}"#));
    }

    #[test]
    fn without_declared_tools_only_json_is_repaired() {
        let e = Env::new(Config::default(), vec![], true, "x".into());
        assert!(!e.textual);
        let (d, _) = dispose(&e, call("anything", "{a: 1,}"));
        assert_eq!(passed(d), call("anything", r#"{"a":1}"#));
    }
}
