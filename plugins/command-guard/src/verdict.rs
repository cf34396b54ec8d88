//! Judging one tool call and turning a finding into what the configured
//! action does: the call passes, is replaced by text, or fails the answer.

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

/// The config, with the patterns compiled on first use (most answers
/// have no shell call, and those never pay for it).
#[derive(Debug)]
pub struct Judge {
    config: Config,
    guard: Option<Guard>,
    /// Log lines gathered since they were last taken.
    pub notes: Vec<Note>,
}

impl Judge {
    /// A judge for `config`.
    pub fn new(config: Config) -> Judge {
        Judge {
            config,
            guard: None,
            notes: Vec::new(),
        }
    }

    /// True when calls of `name` carry shell commands.
    pub fn is_shell(&self, name: &str) -> bool {
        self.config.is_shell_tool(name)
    }

    /// What happens to the call `name(arguments)` with id `id`.
    pub fn decide(&mut self, id: &str, name: &str, arguments: &str) -> Result<Outcome, Error> {
        let Some(found) = self.find(name, arguments)? else {
            return Ok(Outcome::Pass);
        };
        let verb = match self.config.action {
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
        Ok(match self.config.action {
            Action::Warn => Outcome::Pass,
            Action::Block => Outcome::Replace(block_text(name, &found)),
            Action::Reject => Outcome::Fail(reject_error(name, &found)),
        })
    }

    /// The first dangerous command the call runs.
    fn find(&mut self, name: &str, arguments: &str) -> Result<Option<Finding>, Error> {
        let Some(cmds) = commands(arguments, &self.config.keys) else {
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
        if self.guard.is_none() {
            let guard = Guard::new(&self.config).map_err(|message| Error {
                kind: ErrorKind::Plugin,
                message,
                status: 500,
                retryable: false,
            })?;
            self.guard = Some(guard);
        }
        let Some(guard) = self.guard.as_ref() else {
            return Ok(None);
        };
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
        Judge::new(crate::config::parse(json).unwrap_or_else(|e| panic!("{e}")))
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
