//! Judging one tool call and turning a finding into what the configured
//! action does: the call passes, is replaced by text, or fails the answer.

use std::cell::OnceCell;
use std::rc::Rc;

use crate::check::{Finding, Guard};
use crate::config::{Action, Config};
use crate::extract::{Source, commands};
use crate::types::{Error, ErrorKind};

/// The longest command shown in a message.
const SHOWN_CHARS: usize = 200;

/// A line for the host log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Warn (a dangerous call) or debug (a call that could not be read).
    pub warn: bool,
    /// The line.
    pub text: String,
}

/// What happens to a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It passes unchanged.
    Pass,
    /// It is replaced by this assistant text.
    Replace(String),
    /// The answer fails with this error.
    Fail(Error),
}

/// The config, with its patterns compiled on first use (most answers have
/// no shell call, and those never pay for it) and then kept: an instance
/// parses its config once and may serve many requests.
#[derive(Debug)]
pub struct Rules {
    config: Config,
    guard: OnceCell<Result<Guard, String>>,
}

impl Rules {
    /// The rules of `config`, not compiled yet.
    pub fn new(config: Config) -> Rules {
        Rules {
            config,
            guard: OnceCell::new(),
        }
    }

    /// The rules of the config JSON `text`.
    pub fn parse(text: &str) -> Result<Rules, String> {
        crate::config::parse(text).map(Rules::new)
    }

    /// The compiled patterns, or why one does not compile.
    pub fn compiled(&self) -> Result<&Guard, &str> {
        self.guard
            .get_or_init(|| Guard::new(&self.config))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Judges the calls of one answer against the rules.
#[derive(Debug)]
pub struct Judge {
    rules: Rc<Rules>,
    /// Log lines gathered since they were last taken.
    pub notes: Vec<Note>,
}

impl Judge {
    /// A judge for `rules`.
    pub fn new(rules: Rc<Rules>) -> Judge {
        Judge {
            rules,
            notes: Vec::new(),
        }
    }

    /// True when calls of `name` carry shell commands.
    pub fn is_shell(&self, name: &str) -> bool {
        self.rules.config.is_shell_tool(name)
    }

    /// What happens to the call `name(arguments)` with id `id`.
    pub fn decide(&mut self, id: &str, name: &str, arguments: &str) -> Result<Outcome, Error> {
        let Some(found) = self.find(name, arguments)? else {
            return Ok(Outcome::Pass);
        };
        let verb = match self.rules.config.action {
            Action::Block => "blocked",
            Action::Warn => "let through (action warn)",
            Action::Reject => "rejected",
        };
        self.notes.push(Note {
            warn: true,
            text: format!(
                "command-guard: {verb} the `{name}` call `{id}`: rule `{}`: {}",
                found.rule, found.reason
            ),
        });
        Ok(match self.rules.config.action {
            Action::Warn => Outcome::Pass,
            Action::Block => Outcome::Replace(block_text(name, &found)),
            Action::Reject => Outcome::Fail(reject_error(name, &found)),
        })
    }

    /// The first dangerous command the call runs.
    fn find(&mut self, name: &str, arguments: &str) -> Result<Option<Finding>, Error> {
        let Some(cmds) = commands(arguments, &self.rules.config.keys) else {
            self.notes.push(Note {
                warn: false,
                text: format!(
                    "command-guard: the arguments of a `{name}` call are not JSON; passed unchecked"
                ),
            });
            return Ok(None);
        };
        if cmds.sources.is_empty() {
            return Ok(None);
        }
        // `init` compiled every pattern, so a failure here is the plugin's.
        let guard = self.rules.compiled().map_err(|message| Error {
            kind: ErrorKind::Plugin,
            message: message.to_string(),
            status: 500,
            retryable: false,
        })?;
        let workdir = cmds.workdir.as_deref();
        Ok(cmds.sources.iter().find_map(|s| match s {
            Source::Script(text) => guard.check_script(text, workdir),
            Source::Argv(args) => guard.check_argv(args, workdir),
        }))
    }
}

/// `text` cut to [`SHOWN_CHARS`] characters.
fn shorten(text: &str) -> String {
    let one_line = text.replace('\n', " ⏎ ");
    if one_line.chars().count() <= SHOWN_CHARS {
        one_line
    } else {
        let cut: String = one_line.chars().take(SHOWN_CHARS).collect();
        format!("{cut}…")
    }
}

/// The assistant text that replaces a blocked call.
pub fn block_text(tool: &str, found: &Finding) -> String {
    format!(
        "[command-guard] Blocked a `{tool}` tool call before it ran: the command `{}` was stopped by the rule `{}` ({}). Nothing was executed. Use a narrower, safer command, or ask the user to run this one themselves if it is really intended.",
        shorten(&found.command),
        found.rule,
        found.reason
    )
}

/// The error a rejected call fails the answer with.
pub fn reject_error(tool: &str, found: &Finding) -> Error {
    Error {
        kind: ErrorKind::InvalidRequest,
        message: format!(
            "command-guard: the model's `{tool}` tool call was rejected: the command `{}` was stopped by the rule `{}` ({}).",
            shorten(&found.command),
            found.rule,
            found.reason
        ),
        status: 400,
        retryable: false,
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A judge for the config JSON `json`.
    pub fn judge(json: &str) -> Judge {
        Judge::new(Rc::new(
            Rules::parse(json).unwrap_or_else(|e| panic!("{e}")),
        ))
    }

    #[test]
    fn outcomes_per_action() {
        let args = r#"{"command": "rm -rf /"}"#;
        let mut j = judge("{}");
        let Ok(Outcome::Replace(text)) = j.decide("c1", "Bash", args) else {
            panic!("not replaced")
        };
        assert!(text.contains("`rm -rf /`"), "{text}");
        assert!(text.contains("`rm-recursive`"), "{text}");
        assert!(text.contains("filesystem root"), "{text}");
        assert_eq!(j.notes.len(), 1);
        assert!(j.notes[0].warn);
        assert!(!j.notes[0].text.contains("rm -rf /`"));

        let mut j = judge(r#"{"action": "warn"}"#);
        assert_eq!(j.decide("c1", "Bash", args), Ok(Outcome::Pass));
        assert_eq!(j.notes.len(), 1);

        let mut j = judge(r#"{"action": "reject"}"#);
        let Ok(Outcome::Fail(e)) = j.decide("c1", "Bash", args) else {
            panic!("not rejected")
        };
        assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, 400));
        assert!(e.message.contains("rm-recursive"));
    }

    #[test]
    fn harmless_and_unreadable_calls_pass() {
        let mut j = judge("{}");
        assert_eq!(
            j.decide("c", "Bash", r#"{"command": "ls"}"#),
            Ok(Outcome::Pass)
        );
        assert_eq!(j.decide("c", "Bash", "{not json"), Ok(Outcome::Pass));
        assert_eq!(j.notes.len(), 1);
        assert!(!j.notes[0].warn);
        assert_eq!(
            j.decide("c", "Bash", r#"{"timeout": 5}"#),
            Ok(Outcome::Pass)
        );
    }

    #[test]
    fn long_commands_are_shortened() {
        let long = format!("rm -rf / {}", "x".repeat(500));
        let f = Finding {
            rule: "rm-recursive",
            reason: "r".into(),
            command: long,
        };
        let t = block_text("Bash", &f);
        assert!(t.contains('…'));
        assert!(t.len() < 600);
    }
}
