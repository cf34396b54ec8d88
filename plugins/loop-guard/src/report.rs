//! What a found loop is, and the texts that tell the client or the model.

use crate::types::{Error, ErrorKind};

/// A loop the filter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loop {
    /// The same call (or cycle of calls) made `repeats` times in a row.
    Calls {
        /// Descriptions of one round of the cycle (one entry: the same call).
        round: Vec<String>,
        /// Rounds in a row.
        repeats: usize,
    },
    /// The same call failing with the same error `repeats` times in a row.
    Errors {
        /// The call's description.
        call: String,
        /// Failures in a row.
        repeats: usize,
    },
    /// A passage of the answer repeated `repeats` times in a row.
    Text {
        /// The passage (shortened).
        sample: String,
        /// Its length in characters.
        chars: usize,
        /// Repetitions in a row.
        repeats: usize,
    },
}

impl Loop {
    /// What repeated, as a clause: "the tool call … was made 3 times in a row".
    pub fn what(&self) -> String {
        match self {
            Loop::Calls { round, repeats } if round.len() == 1 => format!(
                "the tool call `{}` was made {repeats} times in a row with the same arguments",
                round[0]
            ),
            Loop::Calls { round, repeats } => format!(
                "the same sequence of {} tool calls (`{}`) was repeated {repeats} times in a row",
                round.len(),
                round.join("`, then `")
            ),
            Loop::Errors { call, repeats } => format!(
                "the tool call `{call}` failed with the same error {repeats} times in a row"
            ),
            Loop::Text {
                sample,
                chars,
                repeats,
            } => format!(
                "the answer repeated the same {chars}-character passage {repeats} times in a row (\"{sample}\")"
            ),
        }
    }
}

/// The error an `abort` ends the request or answer with.
pub fn abort_error(found: &Loop, status: u16) -> Error {
    Error {
        kind: ErrorKind::InvalidRequest,
        message: format!(
            "loop-guard: loop detected: {}. The agent is stuck repeating itself; stopped.",
            found.what()
        ),
        status,
        retryable: false,
    }
}

/// The steering message added to a looping request: `custom` (with
/// `{what}` filled in) or the built-in text.
pub fn steer_request(found: &Loop, custom: Option<&str>) -> String {
    let what = found.what();
    match custom {
        Some(text) => text.replace("{what}", &what),
        None => format!(
            "[loop-guard] You are repeating yourself: {what}. Doing the same thing again \
             will not give a different result. Stop and change your approach: use \
             different arguments or a different tool, or explain to the user what is \
             blocking you."
        ),
    }
}

/// The assistant text that replaces a repeated call in an answer.
pub fn steer_call(found: &Loop) -> String {
    format!(
        "[loop-guard] Loop detected, so this tool call was not passed on: {}. \
         Repeating it will not help; a different approach is needed.",
        found.what()
    )
}

/// The note that ends an answer cut off because its text repeated.
pub fn steer_text(found: &Loop) -> String {
    format!(
        "\n\n[loop-guard] Loop detected, the answer was cut off: {}.",
        found.what()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions() {
        let one = Loop::Calls {
            round: vec!["Bash {\"command\":\"ls\"}".into()],
            repeats: 3,
        };
        assert_eq!(
            one.what(),
            "the tool call `Bash {\"command\":\"ls\"}` was made 3 times in a row with the same arguments"
        );
        let two = Loop::Calls {
            round: vec!["A {}".into(), "B {}".into()],
            repeats: 3,
        };
        assert!(
            two.what()
                .contains("sequence of 2 tool calls (`A {}`, then `B {}`)")
        );
        let errors = Loop::Errors {
            call: "make {}".into(),
            repeats: 2,
        };
        assert!(errors.what().contains("failed with the same error 2 times"));
        let text = Loop::Text {
            sample: "again.".into(),
            chars: 30,
            repeats: 3,
        };
        assert!(text.what().contains("30-character passage 3 times"));
    }

    #[test]
    fn texts() {
        let l = Loop::Errors {
            call: "x".into(),
            repeats: 2,
        };
        let e = abort_error(&l, 400);
        assert!(
            e.message
                .starts_with("loop-guard: loop detected: the tool call `x` failed")
        );
        assert_eq!(
            (e.kind, e.status, e.retryable),
            (ErrorKind::InvalidRequest, 400, false)
        );
        assert!(
            steer_request(&l, None)
                .starts_with("[loop-guard] You are repeating yourself: the tool call")
        );
        assert_eq!(
            steer_request(&l, Some("Stop: {what}!")),
            format!("Stop: {}!", l.what())
        );
        assert!(steer_call(&l).contains("not passed on"));
        assert!(steer_text(&l).starts_with("\n\n[loop-guard]"));
    }
}
