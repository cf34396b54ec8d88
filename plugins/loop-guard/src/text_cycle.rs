//! Finding a passage that repeats at the end of a growing text.
//!
//! The detector sees the answer one character at a time (whitespace runs
//! count as one space) and keeps, for every period `q` up to the longest
//! passage looked for, how many characters in a row matched the character
//! `q` before them. When the last `repeats × q` characters are `q`-periodic
//! for the smallest such `q`, and `q` is at least the shortest passage
//! that counts, the text is looping. Only the periods at which the new
//! character occurred before can grow a run (the others restart at zero,
//! which a stamp records without touching them), so the work per character
//! is the number of earlier occurrences of that character within
//! `max_chars`: a few dozen in prose, `max_chars` at worst. The verdict does
//! not depend on how the text is split into pieces, so streamed and whole
//! answers give the same verdict at the same place.

use std::collections::HashMap;

use crate::fingerprint::shorten;

/// A repeated passage found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Byte offset in the piece just fed, right after the character that
    /// completed the last repetition.
    pub end: usize,
    /// The passage's length in (normalised) characters.
    pub chars: usize,
    /// How many times it repeated.
    pub repeats: usize,
    /// The passage (shortened), for messages.
    pub sample: String,
}

/// Watches a text for a repeated passage.
#[derive(Debug, Clone)]
pub struct TextCycle {
    min: usize,
    max: usize,
    repeats: usize,
    /// The latest normalised characters (at least `max` of them once known).
    recent: Vec<char>,
    /// How many normalised characters were fed: the next one's position.
    seen: usize,
    /// Positions of each ASCII character, oldest first.
    ascii: Vec<Vec<usize>>,
    /// Positions of every other character, oldest first.
    other: HashMap<char, Vec<usize>>,
    /// `runs[q]`: how many characters in a row equalled the one `q` before,
    /// as of position `stamps[q]`; any later position broke the run.
    runs: Vec<u32>,
    /// `stamps[q]`: the position at which `runs[q]` last grew.
    stamps: Vec<usize>,
    /// The last character fed was a (collapsed) space.
    after_space: bool,
}

impl TextCycle {
    /// A detector for passages of `min..=max` characters repeated `repeats`
    /// times; `None` when `repeats` is 0 (off).
    pub fn new(min: usize, max: usize, repeats: usize) -> Option<Self> {
        (repeats >= 2 && min >= 1 && min <= max).then(|| TextCycle {
            min,
            max,
            repeats,
            recent: Vec::with_capacity(4 * max),
            seen: 0,
            ascii: vec![Vec::new(); 128],
            other: HashMap::new(),
            runs: vec![0; max + 1],
            stamps: vec![usize::MAX; max + 1],
            after_space: true,
        })
    }

    /// Feed the next piece of text; `Some` at the first character that
    /// completes a loop.
    pub fn feed(&mut self, text: &str) -> Option<Found> {
        for (at, c) in text.char_indices() {
            let c = if c.is_whitespace() {
                if self.after_space {
                    continue;
                }
                self.after_space = true;
                ' '
            } else {
                self.after_space = false;
                c
            };
            if let Some(period) = self.push(c) {
                let start = self.recent.len() - period;
                return Some(Found {
                    end: at + c.len_utf8(),
                    chars: period,
                    repeats: self.repeats,
                    sample: sample(&self.recent[start..]),
                });
            }
        }
        None
    }

    /// Add one character; the period of a loop it completes.
    fn push(&mut self, c: char) -> Option<usize> {
        if self.recent.len() >= 4 * self.max {
            let keep = self.recent.len() - self.max;
            self.recent.drain(..keep);
        }
        self.recent.push(c);
        let now = self.seen;
        self.seen += 1;
        let positions = match usize::try_from(u32::from(c)) {
            Ok(i) if i < self.ascii.len() => &mut self.ascii[i],
            _ => self.other.entry(c).or_default(),
        };
        // Positions older than `max` are never read again.
        if positions.len() >= 2 * self.max {
            let old = positions.partition_point(|&p| now - p > self.max);
            positions.drain(..old);
        }
        let need = self.repeats - 1;
        let mut smallest = None;
        // Newest first: periods in increasing order.
        for &p in positions.iter().rev() {
            let q = now - p;
            if q > self.max {
                break;
            }
            let run = if now > 0 && self.stamps[q] == now - 1 {
                self.runs[q].saturating_add(1)
            } else {
                1
            };
            self.runs[q] = run;
            self.stamps[q] = now;
            if smallest.is_none() && run as usize >= need * q {
                smallest = Some(q);
            }
        }
        positions.push(now);
        smallest.filter(|&q| q >= self.min)
    }
}

/// The passage for messages: the cycle is found at an arbitrary rotation,
/// so start it after a sentence end when it holds one; shortened.
fn sample(passage: &[char]) -> String {
    let n = passage.len();
    let start = (0..n)
        .find(|&i| matches!(passage[i], '.' | '!' | '?' | ':' | ';') && passage[(i + 1) % n] == ' ')
        .map_or(0, |i| (i + 2) % n);
    let rotated: String = passage[start..].iter().chain(&passage[..start]).collect();
    shorten(rotated.trim(), 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> TextCycle {
        TextCycle::new(20, 256, 3).unwrap_or_else(|| panic!("enabled"))
    }

    /// Where (in bytes of the whole text) a loop is found, feeding `text`
    /// in pieces of `size` bytes (on char boundaries).
    fn found_at(text: &str, size: usize) -> Option<(usize, Found)> {
        let mut d = detector();
        let mut offset = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let mut cut = size.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            let (piece, tail) = rest.split_at(cut);
            if let Some(found) = d.feed(piece) {
                return Some((offset + found.end, found));
            }
            offset += piece.len();
            rest = tail;
        }
        None
    }

    const SENTENCE: &str = "I will check the config file now. ";

    #[test]
    fn finds_a_repeated_sentence_wherever_the_text_is_split() {
        let text = format!(
            "Sure. {}{}{}and more text after it",
            SENTENCE, SENTENCE, SENTENCE
        );
        let whole = found_at(&text, text.len());
        let Some((at, found)) = whole.clone() else {
            panic!("no loop found");
        };
        // Found near the end of the third sentence.
        let third = "Sure. ".len() + 2 * SENTENCE.len();
        assert!(at > third + 20 && at <= third + SENTENCE.len(), "{at}");
        assert_eq!((found.chars, found.repeats), (SENTENCE.len(), 3));
        assert_eq!(found.sample, "I will check the config file now.");
        let key = |f: Option<(usize, Found)>| f.map(|(at, f)| (at, f.chars, f.repeats, f.sample));
        for size in 1..40 {
            assert_eq!(
                key(found_at(&text, size)),
                key(whole.clone()),
                "split every {size} bytes"
            );
        }
    }

    #[test]
    fn whitespace_differences_do_not_hide_a_loop() {
        let text =
            "Checking the build output.\nChecking the build output.   Checking the build output.\n";
        assert!(found_at(text, 5).is_some());
    }

    #[test]
    fn passages_without_punctuation_count() {
        let text = "abcdefghijklmnopqrstuvwxy".repeat(3);
        let found = found_at(&text, 7).map(|(_, f)| f.chars);
        assert_eq!(found, Some(25));
    }

    #[test]
    fn short_or_rare_repeats_do_not_count() {
        // Short cycles (rules, laughter) are below text_min_chars.
        assert!(found_at(&"-".repeat(500), 3).is_none());
        assert!(found_at(&"ha ".repeat(200), 3).is_none());
        assert!(found_at(&"0x00, ".repeat(200), 3).is_none());
        // Twice is not a loop.
        assert!(found_at(&format!("{SENTENCE}{SENTENCE}The end."), 4).is_none());
        // Similar but not equal sentences.
        let text: String = (0..20)
            .map(|i| format!("Step {i}: check the config file. "))
            .collect();
        assert!(found_at(&text, 4).is_none());
        // Unicode text.
        let text = "Ünïcödé tëxt wïth äccents, "; // 27 characters
        assert!(found_at(&text.repeat(2), 3).is_none());
        assert_eq!(found_at(&text.repeat(3), 3).map(|(_, f)| f.chars), Some(27));
    }

    #[test]
    fn a_longer_loop_made_of_short_parts() {
        // A 34-character cycle whose end is itself a short cycle.
        let block = "Looking again at it. xyzxyzxyzxyz ";
        let found = found_at(&block.repeat(4), 5);
        assert!(found.is_some_and(|(_, f)| f.chars == block.len()));
    }

    #[test]
    fn off_and_limits() {
        assert!(TextCycle::new(20, 256, 0).is_none());
        assert!(TextCycle::new(30, 20, 3).is_none());
        // Longer passages than text_max_chars are not looked for.
        let mut d = TextCycle::new(5, 10, 3).unwrap_or_else(|| panic!("enabled"));
        assert!(d.feed(&"abcdefghijklmnop".repeat(5)).is_none());
    }

    /// The detector as first written (every period, every character): the
    /// oracle for the indexed one.
    fn reference_loop(text: &str, min: usize, max: usize, repeats: usize) -> Option<usize> {
        let mut recent: Vec<char> = Vec::new();
        let mut runs = vec![0u32; max + 1];
        let mut after_space = true;
        for (at, c) in text.char_indices() {
            let c = if c.is_whitespace() {
                if after_space {
                    continue;
                }
                after_space = true;
                ' '
            } else {
                after_space = false;
                c
            };
            let known = recent.len();
            let mut smallest = None;
            for q in 1..=max.min(known) {
                if recent[known - q] == c {
                    runs[q] = runs[q].saturating_add(1);
                    if smallest.is_none() && runs[q] as usize >= (repeats - 1) * q {
                        smallest = Some(q);
                    }
                } else {
                    runs[q] = 0;
                }
            }
            recent.push(c);
            if smallest.is_some_and(|q| q >= min) {
                return Some(at);
            }
        }
        None
    }

    #[test]
    fn same_verdicts_as_the_reference() {
        // Random texts over small alphabets repeat at every scale.
        let mut x: u64 = 7;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let mut looped = 0;
        for case in 0..400 {
            let alphabet = ["ab", "ab ", "abc", "aé b", "xyz \n"][case % 5];
            let chars: Vec<char> = alphabet.chars().collect();
            let unit: String = (0..1 + next(12))
                .map(|_| chars[next(chars.len() as u64) as usize])
                .collect();
            let mut text = String::new();
            for _ in 0..next(400) {
                if next(3) == 0 {
                    text.push_str(&unit);
                } else {
                    text.push(chars[next(chars.len() as u64) as usize]);
                }
            }
            let (min, max, repeats) = (
                1 + next(6) as usize,
                4 + next(40) as usize,
                2 + next(3) as usize,
            );
            let mut d = TextCycle::new(min.min(max), max, repeats).unwrap_or_else(|| panic!("on"));
            let got = d
                .feed(&text)
                .map(|f| f.end - text[..f.end].chars().last().map_or(0, char::len_utf8));
            let want = reference_loop(&text, min.min(max), max, repeats);
            looped += usize::from(want.is_some());
            assert_eq!(
                got, want,
                "case {case}: {text:?} min {min} max {max} repeats {repeats}"
            );
        }
        // The cases exercise both verdicts.
        assert!(looped > 50 && looped < 350, "{looped}");
    }

    #[test]
    fn long_text_stays_linear() {
        // 200 KB of non-repeating text in small pieces.
        let mut d = detector();
        let mut x: u64 = 1;
        let mut text = String::new();
        for _ in 0..200_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push((b'a' + ((x >> 33) % 26) as u8) as char);
        }
        let start = std::time::Instant::now();
        for chunk in text.as_bytes().chunks(4) {
            assert!(
                d.feed(std::str::from_utf8(chunk).unwrap_or_default())
                    .is_none()
            );
        }
        // Generous bound: a debug build on a shared machine.
        assert!(start.elapsed().as_secs() < 20);
    }
}
