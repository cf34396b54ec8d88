//! Small helpers over a command's words: the program name, assignments,
//! option scanning and the display text rules and patterns see.

use crate::lex::Word;

/// The program a word names: its last path component (`/usr/bin/rm` is
/// `rm`).
pub fn program(w: &Word) -> &str {
    w.text.rsplit('/').next().unwrap_or(&w.text)
}

/// True for a `NAME=value` (or `NAME+=value`, `NAME[i]=value`) word.
pub fn is_assignment(w: &Word) -> bool {
    let t = w.text.as_bytes();
    let Some(eq) = t.iter().position(|&c| c == b'=') else {
        return false;
    };
    let mut name = &t[..eq];
    if let [rest @ .., b'+'] = name {
        name = rest;
    }
    if let Some(open) = name.iter().position(|&c| c == b'[') {
        if name.last() != Some(&b']') {
            return false;
        }
        name = &name[..open];
    }
    match name {
        [first, rest @ ..] => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        }
        [] => false,
    }
}

/// The words after leading assignments.
pub fn skip_assignments(words: &[Word]) -> &[Word] {
    let n = words.iter().take_while(|w| is_assignment(w)).count();
    &words[n..]
}

/// Which options of a program take a value.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Short option letters followed by a value (`-u root`, `-uroot`).
    pub short: &'static str,
    /// Long options followed by a value unless written `--opt=value`.
    pub long: &'static [&'static str],
}

impl Spec {
    /// No option takes a value.
    pub const NONE: Spec = Spec {
        short: "",
        long: &[],
    };
}

/// One argument as seen by [`scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// A short option letter, with its value when it takes one.
    Short(char, Option<&'a str>),
    /// A long option (without `--`), with its value when it takes one or
    /// was written `--opt=value`.
    Long(&'a str, Option<&'a str>),
    /// An operand (everything after `--` is one).
    Operand(&'a str),
}

/// Options and operands of `args` per `spec` (GNU style: options may
/// follow operands until `--`).
pub fn scan<'a>(args: &'a [Word], spec: Spec) -> Vec<Arg<'a>> {
    scan_indexed(args, spec)
        .into_iter()
        .map(|(_, a)| a)
        .collect()
}

/// The operand words of `args` per `spec`.
pub fn operands(args: &[Word], spec: Spec) -> Vec<&Word> {
    scan_indexed(args, spec)
        .into_iter()
        .filter_map(|(i, a)| match a {
            Arg::Operand(_) => args.get(i),
            _ => None,
        })
        .collect()
}

/// [`scan`], each argument with the index of the word it starts at.
fn scan_indexed<'a>(args: &'a [Word], spec: Spec) -> Vec<(usize, Arg<'a>)> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut operands_only = false;
    while let Some(w) = args.get(i) {
        let at = i;
        i += 1;
        let a = w.text.as_str();
        if operands_only || a == "-" || !a.starts_with('-') {
            out.push((at, Arg::Operand(a)));
            continue;
        }
        if a == "--" {
            operands_only = true;
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => out.push((at, Arg::Long(name, Some(value)))),
                None if spec.long.contains(&long) => {
                    let value = args.get(i).map(|w| w.text.as_str());
                    i += 1;
                    out.push((at, Arg::Long(long, value)));
                }
                None => out.push((at, Arg::Long(long, None))),
            }
            continue;
        }
        let letters = &a[1..];
        for (pos, c) in letters.char_indices() {
            if spec.short.contains(c) {
                let rest = &letters[pos + c.len_utf8()..];
                let value = if rest.is_empty() {
                    let v = args.get(i).map(|w| w.text.as_str());
                    i += 1;
                    v
                } else {
                    Some(rest)
                };
                out.push((at, Arg::Short(c, value)));
                break;
            }
            out.push((at, Arg::Short(c, None)));
        }
    }
    out
}

/// The index of the first operand of `args` per `spec`, options before it
/// skipped (POSIX style: the first operand ends the options, as for
/// wrappers like `sudo` whose operand is a command with its own options).
pub fn first_operand(args: &[Word], spec: Spec) -> usize {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let a = w.text.as_str();
        if a == "--" {
            return i + 1;
        }
        if a == "-" || !a.starts_with('-') || a.len() == 1 {
            return i;
        }
        i += 1;
        if let Some(long) = a.strip_prefix("--") {
            if !long.contains('=') && spec.long.contains(&long) {
                i += 1;
            }
            continue;
        }
        let letters = &a[1..];
        for (at, c) in letters.char_indices() {
            if spec.short.contains(c) {
                if at + c.len_utf8() == letters.len() {
                    i += 1;
                }
                break;
            }
        }
    }
    i.min(args.len())
}

/// Needs quoting to read back as one word.
fn needs_quotes(t: &str) -> bool {
    t.is_empty()
        || !t.bytes().all(|c| {
            c.is_ascii_alphanumeric() || b"_@%+=:,./~*-^!?[]{}$#".contains(&c) || c >= 0x80
        })
}

/// The words joined by single spaces, each quoted with single quotes when
/// it holds a blank or a shell character. This is the text `allow` and
/// `deny` patterns are matched against.
pub fn display(words: &[Word]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if needs_quotes(&w.text) {
            out.push('\'');
            out.push_str(&w.text.replace('\'', "'\\''"));
            out.push('\'');
        } else {
            out.push_str(&w.text);
        }
    }
    out
}

/// The words' texts joined by single spaces (how `eval` and `ssh` build
/// the command line they run).
pub fn joined(words: &[Word]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&w.text);
    }
    out
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Literal words from a space-separated list.
    pub fn words(s: &str) -> Vec<Word> {
        s.split_whitespace().map(Word::literal).collect()
    }

    #[test]
    fn assignments() {
        for yes in ["A=1", "_x=", "PATH+=:/x", "arr[2]=y"] {
            assert!(is_assignment(&Word::literal(yes)), "{yes}");
        }
        for no in ["=1", "1A=2", "a-b=3", "--x=y", "ls", "arr[2=y"] {
            assert!(!is_assignment(&Word::literal(no)), "{no}");
        }
        assert_eq!(skip_assignments(&words("A=1 B=2 make x")).len(), 2);
    }

    #[test]
    fn scanning_options() {
        let spec = Spec {
            short: "o",
            long: &["repo"],
        };
        let w = words("-fu origin -omsg --repo x --force-with-lease=a -- -x");
        assert_eq!(
            scan(&w, spec),
            vec![
                Arg::Short('f', None),
                Arg::Short('u', None),
                Arg::Operand("origin"),
                Arg::Short('o', Some("msg")),
                Arg::Long("repo", Some("x")),
                Arg::Long("force-with-lease", Some("a")),
                Arg::Operand("-x"),
            ]
        );
        let sudo = Spec {
            short: "u",
            long: &["user"],
        };
        assert_eq!(first_operand(&words("-E -u root rm -rf /"), sudo), 3);
        assert_eq!(first_operand(&words("--user=x -- rm"), sudo), 2);
        assert_eq!(first_operand(&words("-n"), sudo), 1);
    }

    #[test]
    fn display_quotes_what_needs_it() {
        let w = vec![
            Word::literal("git"),
            Word::literal("commit"),
            Word::literal("-m"),
            Word::literal("fix rm -rf bug's"),
        ];
        assert_eq!(display(&w), "git commit -m 'fix rm -rf bug'\\''s'");
        assert_eq!(program(&Word::literal("/usr/bin/rm")), "rm");
    }
}
