//! The texts the filter writes: direct answers (help, status, what changed,
//! what went wrong) and the confirmation line before an upstream's answer.

use crate::config::Config;
use crate::state::{Oneoff, Sticky};

/// How every direct answer starts. History messages starting with it are
/// the filter's own answers and are never sent upstream.
pub const DIRECT_MARK: &str = "[wasmgate] ";

/// How a confirmation line starts (`[wasmgate: model → x]`). It is removed
/// from assistant messages in the history.
pub const CONFIRM_MARK: &str = "[wasmgate: ";

/// A change a command made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The sticky model.
    Model(String),
    /// The sticky backend.
    Backend(String),
    /// Both forgotten.
    Reset,
    /// This message only.
    Oneoff(Oneoff),
}

impl Change {
    /// `model → x`, …
    fn describe(&self) -> String {
        match self {
            Change::Model(m) => format!("model → {m}"),
            Change::Backend(b) => format!("backend → {b}"),
            Change::Reset => "model and backend reset".into(),
            Change::Oneoff(o) => format!("this message → {}:{}", o.upstream, o.model),
        }
    }
}

/// `a; b; c`.
fn describe_all(changes: &[Change]) -> String {
    changes
        .iter()
        .map(Change::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The line put before an upstream's answer, blank line included.
pub fn confirm_line(changes: &[Change], saved: bool) -> String {
    let note = if saved { "" } else { " (not saved)" };
    format!("{CONFIRM_MARK}{}{note}]\n\n", describe_all(changes))
}

/// The routing as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    /// The sticky state after this message's commands.
    pub sticky: Sticky,
    /// The model the client asked for.
    pub client_model: String,
    /// The model name requests go out with.
    pub routed: String,
}

/// What a direct answer reports.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Sticky changes made by this message.
    pub changes: Vec<Change>,
    /// The sticky state after them is empty.
    pub now_empty: bool,
    /// The changes were stored (false: the store refused them).
    pub saved: bool,
    /// A one-off that went unused (no prompt was sent).
    pub unused_oneoff: Option<String>,
    /// Show the status.
    pub status: Option<StatusView>,
    /// Show the help.
    pub help: bool,
    /// The message had a prompt, which was not sent.
    pub prompt_dropped: bool,
}

/// The direct answer for `outcome`.
pub fn direct(outcome: &Outcome, config: &Config) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !outcome.changes.is_empty() {
        let note = if !outcome.saved {
            "could not be saved, so it does not stick"
        } else if outcome.now_empty {
            "back to the gateway's own routing"
        } else {
            "sticks for this conversation"
        };
        lines.push(format!("{} ({note}).", describe_all(&outcome.changes)));
    }
    if let Some(raw) = &outcome.unused_oneoff {
        lines.push(format!(
            "`{raw}` applies only to the message it is in, and that message was not sent: \
             put your prompt after the command."
        ));
    }
    if outcome.prompt_dropped {
        let p = &config.prefix;
        lines.push(format!(
            "The rest of your message was not sent: `{p}status` and `{p}help` are answered \
             here. Send it again without them."
        ));
    }
    if let Some(view) = &outcome.status {
        lines.push(status(view, config));
    }
    if outcome.help {
        lines.push(help(config));
    }
    if lines.is_empty() {
        lines.push("Nothing to do.".into());
    }
    format!("{DIRECT_MARK}{}", lines.join("\n\n"))
}

/// The answer to unusable commands: what is wrong, then the help.
pub fn problems(problems: &[String], config: &Config) -> String {
    format!(
        "{DIRECT_MARK}{} Nothing was changed and nothing was sent.\n\n{}",
        problems.join(" "),
        help(config)
    )
}

/// The status text.
pub fn status(view: &StatusView, config: &Config) -> String {
    let p = &config.prefix;
    let model = match &view.sticky.model {
        Some(m) => format!("{m} (sticky, set with `{p}model`)"),
        None => format!("{} (as the client asked)", view.client_model),
    };
    let backend = match &view.sticky.backend {
        Some(b) => format!("{b} (sticky, set with `{p}backend`)"),
        None => "none (the gateway picks the upstream by model)".into(),
    };
    let mut text = format!(
        "Status of this conversation:\n- model: {model}\n- backend: {backend}\n- requests go out as: `{}`",
        view.routed
    );
    if !view.sticky.is_empty() {
        text.push_str(&format!(
            "\n- sticky settings last {} after their last change (`{p}reset` forgets them)",
            duration(config.ttl_seconds)
        ));
    }
    text
}

/// The help text.
pub fn help(config: &Config) -> String {
    let p = &config.prefix;
    let mut text = format!(
        "Chat commands (anywhere in your message; several may be combined):\n\
         - `{p}model(name)`: use the model `name` for the rest of this conversation\n\
         - `{p}backend(upstream)`: send the rest of this conversation to the upstream `upstream`\n\
         - `{p}oneoff(upstream:model)`: send only this message to `upstream`, as `model`\n\
         - `{p}reset`: forget this conversation's model and backend\n\
         - `{p}status`: show the model and backend in use\n\
         - `{p}help`: this list"
    );
    if !config.backends.is_empty() {
        text.push_str(&format!("\nBackends: {}.", config.backends.join(", ")));
    }
    if !config.models.is_empty() {
        text.push_str(&format!("\nModels: {}.", config.models.join(", ")));
    }
    text
}

/// `24 h`, `90 min`, `45 s`.
fn duration(seconds: u64) -> String {
    if seconds.is_multiple_of(3600) {
        format!("{} h", seconds / 3600)
    } else if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirm_lines() {
        assert_eq!(
            confirm_line(&[Change::Model("x".into())], true),
            "[wasmgate: model → x]\n\n"
        );
        let oneoff = Change::Oneoff(Oneoff {
            upstream: "alt".into(),
            model: "y".into(),
        });
        assert_eq!(
            confirm_line(&[Change::Backend("alt".into()), oneoff], false),
            "[wasmgate: backend → alt; this message → alt:y (not saved)]\n\n"
        );
    }

    #[test]
    fn help_lists_commands_with_the_prefix() {
        let config = Config {
            prefix: "::".into(),
            backends: vec!["mock".into(), "alt".into()],
            ..Config::default()
        };
        let h = help(&config);
        for needle in [
            "`::model(name)`",
            "`::backend(upstream)`",
            "`::oneoff(upstream:model)`",
            "`::reset`",
            "`::status`",
            "`::help`",
            "Backends: mock, alt.",
        ] {
            assert!(h.contains(needle), "{h}");
        }
        assert!(!h.contains("Models:"));
    }

    #[test]
    fn status_text() {
        let config = Config::default();
        let view = StatusView {
            sticky: Sticky {
                model: Some("x".into()),
                backend: None,
            },
            client_model: "gpt".into(),
            routed: "x".into(),
        };
        let s = status(&view, &config);
        assert!(s.contains("model: x (sticky, set with `!/model`)"), "{s}");
        assert!(s.contains("backend: none"), "{s}");
        assert!(s.contains("requests go out as: `x`"), "{s}");
        assert!(s.contains("last 24 h"), "{s}");
        let plain = StatusView {
            sticky: Sticky::default(),
            client_model: "gpt".into(),
            routed: "gpt".into(),
        };
        let s = status(&plain, &config);
        assert!(s.contains("model: gpt (as the client asked)"), "{s}");
        assert!(!s.contains("sticky settings"), "{s}");
        assert_eq!(duration(90 * 60), "90 min");
        assert_eq!(duration(45), "45 s");
    }

    #[test]
    fn direct_answers() {
        let config = Config::default();
        let text = direct(
            &Outcome {
                changes: vec![Change::Model("x".into())],
                saved: true,
                ..Outcome::default()
            },
            &config,
        );
        assert_eq!(text, "[wasmgate] model → x (sticks for this conversation).");
        let text = direct(
            &Outcome {
                changes: vec![Change::Reset],
                now_empty: true,
                saved: true,
                unused_oneoff: Some("!/oneoff(a:b)".into()),
                prompt_dropped: true,
                help: true,
                ..Outcome::default()
            },
            &config,
        );
        assert!(
            text.starts_with("[wasmgate] model and backend reset (back to"),
            "{text}"
        );
        assert!(text.contains("`!/oneoff(a:b)` applies only"), "{text}");
        assert!(text.contains("was not sent"), "{text}");
        assert!(text.contains("Chat commands"), "{text}");
        let text = problems(&["`!/foo` is not a command.".into()], &config);
        assert!(
            text.starts_with("[wasmgate] `!/foo` is not a command. Nothing was changed"),
            "{text}"
        );
        assert!(text.contains("`!/help`: this list"), "{text}");
    }
}
