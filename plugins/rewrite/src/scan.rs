//! Matching and replacing, shared by whole texts and streamed text.
//!
//! Both paths go through one [`Scanner`], so a streamed answer is rewritten
//! exactly like the same answer arriving whole. The scanner keeps back only
//! the last [`Pattern::holdback`] characters of what it has seen (a match
//! could still start there) and releases the rest at once.

use regex_lite::Regex;

/// What a rule looks for.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Exact text (never empty).
    Literal(String),
    /// A regular expression whose matches are at most `max_match_len`
    /// characters long (the streaming window; longer matches may be missed
    /// or cut when they span chunks).
    Regex {
        /// The compiled expression.
        re: Regex,
        /// Longest match the rule expects, in characters.
        max_match_len: usize,
    },
}

impl Pattern {
    /// How many trailing characters a stream must keep back, because a
    /// match could still start in them.
    ///
    /// A literal needs its length − 1. A regex keeps `max_match_len`: one
    /// more than a match needs, so that `$`, `\b` and `(?m)$` at the end of
    /// a match are decided by the real next character, not by the end of a
    /// chunk.
    pub fn holdback(&self) -> usize {
        match self {
            Pattern::Literal(lit) => lit.chars().count().saturating_sub(1),
            Pattern::Regex { max_match_len, .. } => *max_match_len,
        }
    }

    /// The leftmost non-empty match starting at or after byte `from` (a char
    /// boundary); `hay[..from]` is context for `^` and `\b`. Empty regex
    /// matches are skipped: they never replace anything.
    fn find_at(&self, hay: &str, from: usize) -> Option<(usize, usize)> {
        match self {
            Pattern::Literal(lit) => hay
                .get(from..)?
                .find(lit.as_str())
                .map(|i| (from + i, from + i + lit.len())),
            Pattern::Regex { re, .. } => {
                let mut at = from;
                loop {
                    let m = re.find_at(hay, at)?;
                    if m.end() > m.start() {
                        return Some((m.start(), m.end()));
                    }
                    at = next_boundary(hay, m.start())?;
                }
            }
        }
    }

    /// Append the replacement for the match `hay[start..end]` to `out`:
    /// `template` verbatim for a literal, with `$1`, `${name}` and `$$`
    /// expanded for a regex.
    fn replace_into(&self, hay: &str, start: usize, end: usize, template: &str, out: &mut String) {
        match self {
            Pattern::Regex { re, .. } if template.contains('$') => {
                match re.captures_at(hay, start) {
                    Some(caps)
                        if caps.get(0).map(|m| (m.start(), m.end())) == Some((start, end)) =>
                    {
                        caps.expand(template, out);
                    }
                    // Cannot happen (the same search found this match);
                    // fall back to the template as written.
                    _ => out.push_str(template),
                }
            }
            _ => out.push_str(template),
        }
    }
}

/// The byte index after the char starting at `at`, if there is one.
fn next_boundary(s: &str, at: usize) -> Option<usize> {
    s.get(at..)?.chars().next().map(|c| at + c.len_utf8())
}

/// The start of the char just before byte `at` (or `at` when it is 0).
fn prev_boundary(s: &str, at: usize) -> usize {
    s.get(..at)
        .and_then(|head| head.char_indices().next_back())
        .map_or(at, |(i, _)| i)
}

/// The byte index where the last `n` chars of `s` begin (0 when `s` has
/// fewer than `n`).
fn last_chars_start(s: &str, n: usize) -> usize {
    if n == 0 {
        return s.len();
    }
    s.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i)
}

/// Incremental matcher over one piece of text arriving in chunks.
///
/// With a template it rewrites (replaces every match and releases the text);
/// without one it only detects whether the text contains a match.
#[derive(Debug, Default)]
pub struct Scanner {
    /// `buf[..start]` is context (at most one already released char, for
    /// `^` and `\b`); `buf[start..]` is text not yet released.
    buf: String,
    /// See `buf`.
    start: usize,
}

impl Scanner {
    /// Take more text; push what is final to `out` (only when rewriting).
    /// Returns true when a match was found in the released part.
    pub fn feed(
        &mut self,
        pattern: &Pattern,
        template: Option<&str>,
        text: &str,
        out: &mut String,
    ) -> bool {
        self.buf.push_str(text);
        let found = self.run(pattern, template, false, out);
        // Keep one released char as context.
        let keep = prev_boundary(&self.buf, self.start);
        self.buf.drain(..keep);
        self.start -= keep;
        found
    }

    /// The text ended: release everything and start over (the next text is
    /// a new one: `^` matches at its start again).
    pub fn flush(&mut self, pattern: &Pattern, template: Option<&str>, out: &mut String) -> bool {
        let found = self.run(pattern, template, true, out);
        self.buf.clear();
        self.start = 0;
        found
    }

    /// True while some text is held back.
    pub fn holding(&self) -> bool {
        self.start < self.buf.len()
    }

    /// Release everything before the commit point (everything when `last`),
    /// replacing matches that start there.
    fn run(
        &mut self,
        pattern: &Pattern,
        template: Option<&str>,
        last: bool,
        out: &mut String,
    ) -> bool {
        let commit = if last {
            self.buf.len()
        } else {
            last_chars_start(&self.buf, pattern.holdback()).max(self.start)
        };
        let mut found = false;
        while self.start < commit {
            match pattern.find_at(&self.buf, self.start) {
                Some((s, e)) if s < commit => {
                    found = true;
                    let Some(template) = template else {
                        // Detecting only: one match is enough.
                        self.start = commit;
                        break;
                    };
                    out.push_str(self.buf.get(self.start..s).unwrap_or_default());
                    pattern.replace_into(&self.buf, s, e, template, out);
                    self.start = e;
                }
                _ => {
                    if template.is_some() {
                        out.push_str(self.buf.get(self.start..commit).unwrap_or_default());
                    }
                    self.start = commit;
                }
            }
        }
        found
    }
}

/// `text` with every match replaced by `template`.
pub fn replace_all(pattern: &Pattern, template: &str, text: &str) -> String {
    let mut scanner = Scanner {
        buf: text.to_string(),
        start: 0,
    };
    let mut out = String::with_capacity(text.len());
    scanner.flush(pattern, Some(template), &mut out);
    out
}

/// Does `text` contain a match?
pub fn contains(pattern: &Pattern, text: &str) -> bool {
    let mut scanner = Scanner {
        buf: text.to_string(),
        start: 0,
    };
    scanner.flush(pattern, None, &mut String::new())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
pub(crate) mod tests {
    use super::*;

    pub(crate) fn lit(s: &str) -> Pattern {
        Pattern::Literal(s.into())
    }

    pub(crate) fn re(s: &str, max: usize) -> Pattern {
        Pattern::Regex {
            re: Regex::new(s).unwrap(),
            max_match_len: max,
        }
    }

    /// Feed `text` in the given chunk sizes (cycled), checking after each
    /// chunk that at most `holdback` chars are held.
    fn streamed(pattern: &Pattern, template: &str, text: &str, sizes: &[usize]) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut scanner = Scanner::default();
        let mut out = String::new();
        let mut i = 0;
        let mut k = 0;
        while i < chars.len() {
            let n = sizes[k % sizes.len()].max(1);
            k += 1;
            let chunk: String = chars[i..(i + n).min(chars.len())].iter().collect();
            i += n;
            scanner.feed(pattern, Some(template), &chunk, &mut out);
            let held = scanner.buf[scanner.start..].chars().count();
            assert!(held <= pattern.holdback(), "held {held} chars");
        }
        scanner.flush(pattern, Some(template), &mut out);
        out
    }

    /// Every chunking gives the whole-text answer.
    fn check_all_chunkings(pattern: &Pattern, template: &str, text: &str, want: &str) {
        assert_eq!(replace_all(pattern, template, text), want, "whole");
        let n = text.chars().count().max(1);
        for size in 1..=n {
            assert_eq!(
                streamed(pattern, template, text, &[size]),
                want,
                "size {size}"
            );
        }
        // Every single split point, and some irregular chunkings.
        for cut in 0..=n {
            assert_eq!(
                streamed(pattern, template, text, &[cut, n]),
                want,
                "cut {cut}"
            );
        }
        for sizes in [&[1, 2, 3][..], &[3, 1], &[2, 5, 1, 1], &[7, 2]] {
            assert_eq!(streamed(pattern, template, text, sizes), want, "{sizes:?}");
        }
    }

    #[test]
    fn literal_across_chunks() {
        check_all_chunkings(
            &lit("secret"),
            "XX",
            "a secret, two secrets, secre",
            "a XX, two XXs, secre",
        );
        check_all_chunkings(&lit("aa"), "b", "aaaaa", "bba");
        check_all_chunkings(&lit("é!"), "e", "café! né!é", "cafe neé");
    }

    #[test]
    fn literal_single_char_holds_nothing() {
        let p = lit("x");
        assert_eq!(p.holdback(), 0);
        let mut s = Scanner::default();
        let mut out = String::new();
        s.feed(&p, Some("y"), "axb", &mut out);
        assert_eq!(out, "ayb");
        assert!(!s.holding());
    }

    #[test]
    fn regex_with_captures_across_chunks() {
        check_all_chunkings(
            &re(r"Hello, (\w+)!", 32),
            "Goodbye, $1.",
            "Hello, World! and Hello, Rust!",
            "Goodbye, World. and Goodbye, Rust.",
        );
        check_all_chunkings(
            &re(r"(?<n>\d+) apples", 16),
            "${n} pears",
            "3 apples, 12 apples",
            "3 pears, 12 pears",
        );
        check_all_chunkings(&re(r"\d+", 4), "#", "a1b22c333d4444e", "a#b#c#d#e");
    }

    #[test]
    fn regex_anchors_and_word_boundaries_are_not_fooled_by_chunks() {
        check_all_chunkings(&re(r"^Sure", 5), "OK", "Sure, Sure, Sure", "OK, Sure, Sure");
        check_all_chunkings(
            &re(r"\bcat\b", 4),
            "dog",
            "cat catalog cat",
            "dog catalog dog",
        );
        check_all_chunkings(&re(r"end$", 4), "END", "end end end", "end end END");
        check_all_chunkings(&re(r"(?m)^- ", 4), "* ", "- a\n- b -", "* a\n* b -");
    }

    #[test]
    fn empty_regex_matches_replace_nothing() {
        check_all_chunkings(&re(r"x*", 4), "y", "axxb xxxx b", "ayb y b");
        assert!(!contains(&re(r"z*", 4), "abc"));
    }

    #[test]
    fn dollar_in_literal_template_is_verbatim() {
        assert_eq!(replace_all(&lit("a"), "$1", "cat"), "c$1t");
        assert_eq!(replace_all(&re("a", 4), "$$", "cat"), "c$t");
    }

    #[test]
    fn contains_streams_too() {
        assert!(contains(&lit("ab"), "xxab"));
        assert!(!contains(&lit("ab"), "a b"));
        let p = re(r"\bab\b", 4);
        let mut s = Scanner::default();
        let mut sink = String::new();
        assert!(!s.feed(&p, None, "x ab", &mut sink));
        assert!(!s.feed(&p, None, "c", &mut sink), "abc is no word match");
        assert!(!s.feed(&p, None, " ab", &mut sink));
        assert!(s.flush(&p, None, &mut sink));
        assert!(sink.is_empty());
    }

    #[test]
    fn boundaries() {
        assert_eq!(last_chars_start("abc", 0), 3);
        assert_eq!(last_chars_start("abc", 2), 1);
        assert_eq!(last_chars_start("abc", 9), 0);
        assert_eq!(last_chars_start("aéb", 2), 1);
        assert_eq!(prev_boundary("aé", 3), 1);
        assert_eq!(prev_boundary("a", 0), 0);
        assert_eq!(next_boundary("é", 0), Some(2));
        assert_eq!(next_boundary("é", 2), None);
    }
}
