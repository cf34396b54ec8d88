//! The structure of a command line: lists of pipelines, pipelines of
//! stages, stages that are simple commands, `( … )` / `{ …; }` groups or
//! function definitions. Built from [`crate::lex`] tokens.
//!
//! `&&`, `||`, `;`, `&` and newlines all just separate pipelines: every
//! pipeline may run, which is what a guard must assume. Reserved words
//! (`if`, `then`, `do`, `!`, …) in front of a command are dropped, so the
//! commands inside `if`/`while`/`for` bodies are seen as plain commands.

use crate::lex::{RedirKind, Tok, Word};

/// How deep `( … )` and `{ … }` groups may nest before further opening
/// brackets are ignored.
const MAX_GROUP_DEPTH: u32 = 64;

/// Reserved words dropped in front of a command.
const PREFIX_WORDS: &[&str] = &[
    "!", "if", "then", "else", "elif", "do", "while", "until", "fi", "done", "esac",
];

/// A list of pipelines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Script {
    /// The pipelines in order.
    pub pipelines: Vec<Pipeline>,
    /// Something was nested too deeply to be parsed.
    pub too_deep: bool,
}

/// Stages joined by `|`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pipeline {
    /// The stages in order.
    pub stages: Vec<Stage>,
    /// Ended by `&`.
    pub background: bool,
}

/// One stage of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// A simple command.
    Command(Command),
    /// `( … )` or `{ …; }`.
    Group {
        /// What the group runs.
        body: Script,
        /// Redirections after the group.
        redirects: Vec<Redirect>,
    },
    /// `name() { … }` or `function name { … }`.
    Function {
        /// The function's name.
        name: String,
        /// Its body.
        body: Script,
    },
}

/// A simple command: words and redirections.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Command {
    /// The words, assignments and program included.
    pub words: Vec<Word>,
    /// The redirections, in order.
    pub redirects: Vec<Redirect>,
}

/// A redirection.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    /// The descriptor, when written.
    pub fd: Option<u32>,
    /// The operator.
    pub kind: RedirKind,
    /// The target (for a here-document, its body).
    pub target: Word,
}

/// What ends a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    Paren,
    Brace,
}

/// Build the script of a token list; `heredocs` holds here-document bodies.
pub fn parse(toks: Vec<Tok>, heredocs: &[String]) -> Script {
    let mut p = Parser {
        toks,
        i: 0,
        heredocs,
        depth: 0,
        too_deep: false,
    };
    let mut script = p.list(End::Eof);
    script.too_deep |= p.too_deep;
    script
}

struct Parser<'a> {
    toks: Vec<Tok>,
    i: usize,
    heredocs: &'a [String],
    depth: u32,
    too_deep: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.i + n)
    }

    fn take_word(&mut self) -> Option<Word> {
        match self.toks.get_mut(self.i) {
            Some(Tok::Word(w)) => {
                let w = std::mem::take(w);
                self.i += 1;
                Some(w)
            }
            _ => None,
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline)) {
            self.i += 1;
        }
    }

    fn list(&mut self, end: End) -> Script {
        let mut script = Script::default();
        loop {
            match self.peek() {
                None => return script,
                Some(Tok::Newline | Tok::Semi | Tok::DSemi | Tok::And | Tok::Or | Tok::Amp) => {
                    self.i += 1;
                }
                Some(Tok::RParen) => {
                    self.i += 1;
                    if end == End::Paren {
                        return script;
                    }
                }
                Some(Tok::Word(w)) if end == End::Brace && w.is("}") => {
                    self.i += 1;
                    return script;
                }
                _ => {
                    let before = self.i;
                    if let Some(mut p) = self.pipeline() {
                        if matches!(self.peek(), Some(Tok::Amp)) {
                            p.background = true;
                            self.i += 1;
                        }
                        script.pipelines.push(p);
                    }
                    if self.i == before {
                        self.i += 1;
                    }
                }
            }
        }
    }

    fn pipeline(&mut self) -> Option<Pipeline> {
        let mut stages = vec![self.stage()?];
        while matches!(self.peek(), Some(Tok::Pipe)) {
            self.i += 1;
            self.skip_newlines();
            match self.stage() {
                Some(s) => stages.push(s),
                None => break,
            }
        }
        Some(Pipeline {
            stages,
            background: false,
        })
    }

    fn stage(&mut self) -> Option<Stage> {
        while let Some(Tok::Word(w)) = self.peek() {
            if w.quoted || !PREFIX_WORDS.contains(&w.text.as_str()) {
                break;
            }
            self.i += 1;
        }
        match self.peek()? {
            Tok::LParen => {
                self.i += 1;
                self.group(End::Paren)
            }
            Tok::Word(w) if w.is("{") => {
                self.i += 1;
                self.group(End::Brace)
            }
            Tok::Word(w) if w.is("function") => {
                self.i += 1;
                let name = self.take_word().map(|w| w.text).unwrap_or_default();
                if matches!(self.peek(), Some(Tok::LParen))
                    && matches!(self.peek_at(1), Some(Tok::RParen))
                {
                    self.i += 2;
                }
                self.function(name)
            }
            Tok::Word(_)
                if matches!(self.peek_at(1), Some(Tok::LParen))
                    && matches!(self.peek_at(2), Some(Tok::RParen)) =>
            {
                let name = self.take_word().map(|w| w.text).unwrap_or_default();
                self.i += 2;
                self.function(name)
            }
            Tok::Word(_) | Tok::Redir { .. } => Some(Stage::Command(self.simple())),
            _ => None,
        }
    }

    /// The body of a group whose opening was consumed.
    fn group(&mut self, end: End) -> Option<Stage> {
        if self.depth >= MAX_GROUP_DEPTH {
            self.too_deep = true;
            return None;
        }
        self.depth += 1;
        let body = self.list(end);
        self.depth -= 1;
        let redirects = self.simple().redirects;
        Some(Stage::Group { body, redirects })
    }

    /// A function definition after its name (and `()`).
    fn function(&mut self, name: String) -> Option<Stage> {
        self.skip_newlines();
        let body = match self.stage() {
            Some(Stage::Group { body, .. }) => body,
            Some(other) => Script {
                pipelines: vec![Pipeline {
                    stages: vec![other],
                    background: false,
                }],
                too_deep: false,
            },
            None => Script::default(),
        };
        Some(Stage::Function { name, body })
    }

    /// Words and redirections up to the next operator.
    fn simple(&mut self) -> Command {
        let mut cmd = Command::default();
        loop {
            match self.peek() {
                Some(Tok::Word(_)) => {
                    if let Some(w) = self.take_word() {
                        cmd.words.push(w);
                    }
                }
                Some(&Tok::Redir { fd, kind, heredoc }) => {
                    self.i += 1;
                    let target = match heredoc {
                        Some(index) => Word {
                            text: self.heredocs.get(index).cloned().unwrap_or_default(),
                            quoted: true,
                            ..Word::default()
                        },
                        None => self.take_word().unwrap_or_default(),
                    };
                    cmd.redirects.push(Redirect { fd, kind, target });
                }
                _ => return cmd,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::parse;

    fn first_stage(src: &str) -> Stage {
        let script = parse(src);
        script
            .pipelines
            .into_iter()
            .next()
            .and_then(|p| p.stages.into_iter().next())
            .unwrap_or_else(|| panic!("no stage in {src:?}"))
    }

    #[test]
    fn fork_bomb_is_a_function() {
        let Stage::Function { name, body } = first_stage(":(){ :|:& };:") else {
            panic!("not a function")
        };
        assert_eq!(name, ":");
        assert_eq!(body.pipelines.len(), 1);
        assert_eq!(body.pipelines[0].stages.len(), 2);
        assert!(body.pipelines[0].background);
        assert_eq!(parse(":(){ :|:& };:").pipelines.len(), 2);
        let Stage::Function { name, .. } = first_stage("function bomb { bomb | bomb & }; bomb")
        else {
            panic!("not a function")
        };
        assert_eq!(name, "bomb");
    }

    #[test]
    fn groups_and_keywords() {
        let Stage::Group { body, .. } = first_stage("(cd / && rm -rf usr) > log") else {
            panic!("not a group")
        };
        assert_eq!(body.pipelines.len(), 2);
        let script = parse("if true; then rm -rf x; fi; for f in a b; do echo $f; done");
        let names: Vec<String> = script
            .pipelines
            .iter()
            .filter_map(|p| match p.stages.first() {
                Some(Stage::Command(c)) => c.words.first().map(|w| w.text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, vec!["true", "rm", "for", "echo"]);
    }

    #[test]
    fn background_is_kept() {
        let script = parse("sleep 1 & wait");
        assert!(script.pipelines[0].background);
        assert!(!script.pipelines[1].background);
    }
}
