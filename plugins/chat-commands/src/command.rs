//! What a command token means, checked against the config.

use crate::config::Config;
use crate::scan::Token;

/// The longest model or upstream name accepted, in bytes.
const MAX_NAME: usize = 200;

/// A well-formed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `model(name)`: use this model for the rest of the conversation.
    Model(String),
    /// `backend(upstream)`: use this upstream for the rest of the conversation.
    Backend(String),
    /// `oneoff(upstream:model)`: this message only.
    Oneoff {
        /// The upstream's name.
        upstream: String,
        /// The model it should see.
        model: String,
    },
    /// `reset`: forget the sticky model and backend.
    Reset,
    /// `status`: show the routing.
    Status,
    /// `help`: list the commands.
    Help,
}

/// Why a token is not a usable command: a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub String);

/// Interpret `token`.
pub fn interpret(token: &Token, config: &Config) -> Result<Command, Problem> {
    let p = &config.prefix;
    let raw = &token.raw;
    if token.unclosed {
        return Err(Problem(format!(
            "`{raw}` is missing its closing parenthesis."
        )));
    }
    let args = token.args.as_deref();
    match token.name.as_str() {
        "model" => {
            let usage = format!("`{p}model(name)`");
            let model = name(args, raw, &usage, "a model name")?;
            check_model(&model, config)?;
            Ok(Command::Model(model))
        }
        "backend" => {
            let usage = format!("`{p}backend(upstream)`");
            let upstream = name(args, raw, &usage, "an upstream name")?;
            check_backend(&upstream, raw, config)?;
            Ok(Command::Backend(upstream))
        }
        "oneoff" => {
            let usage = format!("`{p}oneoff(upstream:model)`");
            let Some((upstream, model)) = args.and_then(|a| a.split_once(':')) else {
                return Err(Problem(format!(
                    "`{raw}` needs an upstream and a model separated by `:`: {usage}."
                )));
            };
            let upstream = name(Some(upstream.trim()), raw, &usage, "an upstream name")?;
            let model = name(Some(model.trim()), raw, &usage, "a model name")?;
            check_backend(&upstream, raw, config)?;
            check_model(&model, config)?;
            Ok(Command::Oneoff { upstream, model })
        }
        "reset" => no_args(token, Command::Reset),
        "status" => no_args(token, Command::Status),
        "help" => no_args(token, Command::Help),
        _ => Err(Problem(format!("`{p}{}` is not a command.", token.name))),
    }
}

/// A name argument: present, not empty, no whitespace or control
/// characters, not too long.
fn name(args: Option<&str>, raw: &str, usage: &str, what: &str) -> Result<String, Problem> {
    match args {
        None | Some("") => Err(Problem(format!("`{raw}` needs {what}: {usage}."))),
        Some(a) if a.chars().any(|c| c.is_whitespace() || c.is_control()) => Err(Problem(format!(
            "`{raw}`: {what} cannot contain spaces; use {usage}."
        ))),
        Some(a) if a.len() > MAX_NAME => Err(Problem(format!(
            "`{raw}`: {what} is longer than {MAX_NAME} bytes."
        ))),
        Some(a) => Ok(a.to_string()),
    }
}

/// A command that takes no arguments (empty parentheses are fine).
fn no_args(token: &Token, command: Command) -> Result<Command, Problem> {
    match token.args.as_deref() {
        None | Some("") => Ok(command),
        Some(_) => Err(Problem(format!("`{}` takes no arguments.", token.raw))),
    }
}

/// An upstream name must be listed in `backends` when that is set, and can
/// never contain `/` (the host splits `upstream/model` at the first `/`).
fn check_backend(upstream: &str, raw: &str, config: &Config) -> Result<(), Problem> {
    if upstream.contains('/') {
        return Err(Problem(format!(
            "`{raw}`: an upstream name cannot contain `/`."
        )));
    }
    if !config.backends.is_empty() && !config.backends.iter().any(|b| b == upstream) {
        return Err(Problem(format!(
            "`{upstream}` is not a backend here; the backends are: {}.",
            config.backends.join(", ")
        )));
    }
    Ok(())
}

/// A model must match one of `models` when that is set.
fn check_model(model: &str, config: &Config) -> Result<(), Problem> {
    if !config.models.is_empty() && !config.models.iter().any(|g| glob(g, model)) {
        return Err(Problem(format!(
            "`{model}` is not an allowed model here; allowed: {}.",
            config.models.join(", ")
        )));
    }
    Ok(())
}

/// Does the glob `pattern` match all of `text`? `*` matches any run of
/// characters (also none), `?` exactly one; everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || t.get(ti) == Some(&c) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;
    use crate::scan::tokens;

    fn run(text: &str, config: &Config) -> Result<Command, Problem> {
        let t = tokens(text, &config.prefix);
        assert_eq!(t.len(), 1, "{text}");
        interpret(&t[0], config)
    }

    fn err(text: &str, config: &Config) -> String {
        run(text, config).unwrap_err().0
    }

    #[test]
    fn good_commands() {
        let c = Config::default();
        assert_eq!(
            run("!/model(gpt-x)", &c),
            Ok(Command::Model("gpt-x".into()))
        );
        assert_eq!(
            run("!/MODEL(GPT-X)", &c),
            Ok(Command::Model("GPT-X".into()))
        );
        assert_eq!(
            run("!/backend(alt)", &c),
            Ok(Command::Backend("alt".into()))
        );
        assert_eq!(
            run("!/oneoff(alt:llama3:8b)", &c),
            Ok(Command::Oneoff {
                upstream: "alt".into(),
                model: "llama3:8b".into()
            })
        );
        assert_eq!(
            run("!/oneoff( alt : m )", &c),
            Ok(Command::Oneoff {
                upstream: "alt".into(),
                model: "m".into()
            })
        );
        assert_eq!(run("!/status", &c), Ok(Command::Status));
        assert_eq!(run("!/status()", &c), Ok(Command::Status));
        assert_eq!(run("!/help", &c), Ok(Command::Help));
        assert_eq!(run("!/reset", &c), Ok(Command::Reset));
        // A model may name an upstream itself.
        assert_eq!(
            run("!/model(alt/gpt-x)", &c),
            Ok(Command::Model("alt/gpt-x".into()))
        );
    }

    #[test]
    fn bad_commands() {
        let c = Config::default();
        assert!(err("!/foo", &c).contains("`!/foo` is not a command"));
        assert!(err("!/model()", &c).contains("needs a model name: `!/model(name)`"));
        assert!(err("!/model", &c).contains("needs a model name"));
        assert!(err("!/model(a b)", &c).contains("cannot contain spaces"));
        assert!(err("!/model(gpt", &c).contains("missing its closing parenthesis"));
        assert!(err("!/backend()", &c).contains("needs an upstream name"));
        assert!(err("!/backend(a/b)", &c).contains("cannot contain `/`"));
        assert!(err("!/oneoff(nocolon)", &c).contains(
            "needs an upstream and a model separated by `:`: `!/oneoff(upstream:model)`"
        ));
        assert!(err("!/oneoff(:m)", &c).contains("needs an upstream name"));
        assert!(err("!/oneoff(alt:)", &c).contains("needs a model name"));
        assert!(err("!/oneoff", &c).contains("separated by `:`"));
        assert!(err("!/status(now)", &c).contains("takes no arguments"));
        let long = format!("!/model({})", "m".repeat(300));
        assert!(err(&long, &c).contains("longer than"));
    }

    #[test]
    fn allow_lists() {
        let c = Config {
            backends: vec!["mock".into(), "alt".into()],
            models: vec!["gpt-*".into(), "claude-?".into()],
            ..Config::default()
        };
        assert_eq!(
            run("!/backend(alt)", &c),
            Ok(Command::Backend("alt".into()))
        );
        assert!(err("!/backend(other)", &c).contains("the backends are: mock, alt"));
        assert!(err("!/oneoff(other:gpt-x)", &c).contains("not a backend"));
        assert_eq!(
            run("!/model(gpt-5)", &c),
            Ok(Command::Model("gpt-5".into()))
        );
        assert_eq!(
            run("!/model(claude-4)", &c),
            Ok(Command::Model("claude-4".into()))
        );
        assert!(err("!/model(llama)", &c).contains("allowed: gpt-*, claude-?"));
        assert!(err("!/oneoff(alt:llama)", &c).contains("not an allowed model"));
    }

    #[test]
    fn globs() {
        assert!(glob("gpt-*", "gpt-4o"));
        assert!(glob("*", ""));
        assert!(glob("*-mini", "gpt-4o-mini"));
        assert!(!glob("gpt-*", "gp"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
    }
}
