//! Applying one rule to one whole message (or answer) given as its text
//! pieces, in order.

use crate::config::{Action, Rule};
use crate::scan::{contains, replace_all};

/// Apply `rule` to a message whose text is `pieces` (its text parts).
///
/// - `replace` rewrites each piece on its own (a match never spans two).
/// - `prepend`/`append` act on the message's whole text: they need some
///   non-empty text and, when the rule has a pattern, a match in some piece;
///   the text goes before the first non-empty piece or after the last.
///
/// True when some piece changed.
pub fn apply_rule(rule: &Rule, pieces: &mut [&mut String]) -> bool {
    match rule.action {
        Action::Replace => {
            let Some(pattern) = &rule.pattern else {
                return false;
            };
            let mut changed = false;
            for piece in pieces.iter_mut() {
                if !piece.is_empty() {
                    let replaced = replace_all(pattern, &rule.text, piece);
                    if replaced != **piece {
                        **piece = replaced;
                        changed = true;
                    }
                }
            }
            changed
        }
        Action::Prepend | Action::Append => {
            let matched = match &rule.pattern {
                Some(p) => pieces.iter().any(|piece| contains(p, piece)),
                None => true,
            };
            if !matched {
                return false;
            }
            let mut non_empty = pieces.iter_mut().filter(|p| !p.is_empty());
            let target = if rule.action == Action::Prepend {
                non_empty.next()
            } else {
                non_empty.next_back()
            };
            let Some(piece) = target else {
                return false;
            };
            if rule.action == Action::Prepend {
                piece.insert_str(0, &rule.text);
            } else {
                piece.push_str(&rule.text);
            }
            !rule.text.is_empty()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;
    use crate::config::Targets;
    use crate::scan::Pattern;
    use crate::scan::tests::{lit, re};
    use crate::scope::Scope;

    pub(crate) fn rule(pattern: Option<Pattern>, action: Action, text: &str) -> Rule {
        Rule {
            pattern,
            targets: Targets::default(),
            action,
            text: text.into(),
            scope: Scope::default(),
        }
    }

    fn run(rule: &Rule, texts: &[&str]) -> Vec<String> {
        let mut owned: Vec<String> = texts.iter().map(|s| s.to_string()).collect();
        let mut pieces: Vec<&mut String> = owned.iter_mut().collect();
        apply_rule(rule, &mut pieces);
        owned
    }

    #[test]
    fn replace_each_piece() {
        let r = rule(Some(lit("cat")), Action::Replace, "dog");
        assert_eq!(
            run(&r, &["a cat", "", "ca", "t cat"]),
            ["a dog", "", "ca", "t dog"]
        );
        let r = rule(Some(re(r"(\d+)px", 16)), Action::Replace, "${1}rem");
        assert_eq!(run(&r, &["12px 3px"]), ["12rem 3rem"]);
    }

    #[test]
    fn prepend_and_append_whole_text() {
        let r = rule(None, Action::Prepend, ">> ");
        assert_eq!(run(&r, &["", "a", "b"]), ["", ">> a", "b"]);
        let r = rule(None, Action::Append, " <<");
        assert_eq!(run(&r, &["a", "b", ""]), ["a", "b <<", ""]);
        assert_eq!(run(&r, &["", ""]), ["", ""], "no text, nothing added");
        assert_eq!(run(&r, &[]), Vec::<String>::new());
    }

    #[test]
    fn conditional_prepend_and_append() {
        let r = rule(Some(lit("TODO")), Action::Append, " [has todo]");
        assert_eq!(run(&r, &["a TODO", "b"]), ["a TODO", "b [has todo]"]);
        assert_eq!(run(&r, &["a", "b"]), ["a", "b"]);
        let r = rule(Some(re(r"(?i)urgent", 8)), Action::Prepend, "!");
        assert_eq!(run(&r, &["x", "Urgent"]), ["!x", "Urgent"]);
        assert_eq!(run(&r, &["x"]), ["x"]);
    }
}
