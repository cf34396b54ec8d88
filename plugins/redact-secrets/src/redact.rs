//! Replacing secrets with placeholders, and walking a request.
//!
//! A placeholder is `[[REDACTED:<kind>:<n>]]`: `kind` is a built-in kind
//! (`openai_key`, `jwt`, `password`, …) or a user pattern's name, and `n`
//! counts the distinct secrets of that kind in the request, from 1, in order
//! of first appearance (messages in order, parts in order). The same secret
//! gets the same placeholder everywhere in the request, so numbering is also
//! stable from one turn of a conversation to the next. A number whose
//! placeholder already appears literally in the request is skipped, so a
//! restored answer can never confuse the two.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::config::Config;
use crate::detect::{Span, find, run};
use crate::json::redact_json;
use crate::memo::{self, Digest, Memo};
use crate::scan;
use crate::types::{ContentPart, Request, ToolResultPart};

/// The opening of every placeholder.
pub const PLACEHOLDER_OPEN: &str = "[[REDACTED:";

/// Which detector found a span; lower tiers win overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// A placeholder already in the text: kept as it is.
    Existing,
    /// A built-in token-shaped secret.
    Specific,
    /// A user pattern.
    User,
    /// A generic assignment.
    Generic,
}

/// Replaces secrets with placeholders and remembers the mapping.
pub struct Redactor<'c> {
    /// Settings.
    config: &'c Config,
    /// Secret → placeholder.
    placeholders: HashMap<String, String>,
    /// Placeholder → secret, in the order they were made.
    mapping: Vec<(String, String)>,
    /// Highest number used per kind.
    counters: HashMap<String, u32>,
    /// Placeholders that were in the request before redaction.
    reserved: HashSet<String>,
    /// How many secrets of each kind were replaced (occurrences).
    counts: BTreeMap<String, usize>,
}

impl<'c> Redactor<'c> {
    /// A redactor with an empty mapping.
    pub fn new(config: &'c Config) -> Self {
        Redactor {
            config,
            placeholders: HashMap::new(),
            mapping: Vec::new(),
            counters: HashMap::new(),
            reserved: HashSet::new(),
            counts: BTreeMap::new(),
        }
    }

    /// Note the placeholders already in `text`, so new ones avoid them;
    /// true when `text` holds a placeholder's opening, whole or not.
    pub fn reserve_existing(&mut self, text: &str) -> bool {
        let mut opened = false;
        for (at, end) in openings(text) {
            opened = true;
            if let Some(end) = end {
                self.reserved.insert(text[at..end].to_string());
            }
        }
        opened
    }

    /// True when the config adds patterns of its own, which may match
    /// anything.
    pub fn has_patterns(&self) -> bool {
        !self.config.patterns.is_empty()
    }

    /// The placeholder for `secret`, making one when it is new.
    fn placeholder(&mut self, kind: &str, secret: &str) -> String {
        *self.counts.entry(kind.to_string()).or_default() += 1;
        if let Some(p) = self.placeholders.get(secret) {
            return p.clone();
        }
        let counter = self.counters.entry(kind.to_string()).or_default();
        let placeholder = loop {
            *counter += 1;
            let p = format!("{PLACEHOLDER_OPEN}{kind}:{counter}]]");
            if !self.reserved.contains(&p) {
                break p;
            }
        };
        self.placeholders
            .insert(secret.to_string(), placeholder.clone());
        self.mapping.push((placeholder.clone(), secret.to_string()));
        placeholder
    }

    /// Replace all of `value` (a secret found by its JSON key) unless it is
    /// allowed or its kind is off.
    pub fn redact_whole(&mut self, kind: &str, value: &str) -> Option<String> {
        if !self.config.enabled(kind) || self.config.allow.contains(value) {
            return None;
        }
        Some(self.placeholder(kind, value))
    }

    /// Replace the secrets in `text`; `None` when there were none.
    pub fn redact_text(&mut self, text: &str) -> Option<String> {
        self.redact(text, true)
    }

    /// [`Redactor::redact_text`] for a text that holds no placeholder's
    /// opening (see [`Redactor::reserve_existing`]), so none is looked for.
    pub fn redact_unopened_text(&mut self, text: &str) -> Option<String> {
        self.redact(text, false)
    }

    /// Replace the secrets in `text`, keeping the placeholders it holds
    /// when `opened`.
    fn redact(&mut self, text: &str, opened: bool) -> Option<String> {
        let spans = self.spans(text, opened);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for span in spans {
            out.push_str(&text[at..span.start]);
            let placeholder = self.placeholder(span.kind, &text[span.start..span.end]);
            out.push_str(&placeholder);
            at = span.end;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// The secrets to replace in `text`, in order, not overlapping; the
    /// placeholders it holds are kept when `opened`.
    fn spans(&self, text: &str, opened: bool) -> Vec<Span<'c>> {
        let mut found: Vec<(Tier, Span<'c>)> = Vec::new();
        if opened {
            existing_placeholders(text, &mut found);
        }
        let (mut tokens, mut assigned) = (Vec::new(), Vec::new());
        scan::builtin(text, &mut tokens, &mut assigned);
        found.extend(tokens.into_iter().map(|s| (Tier::Specific, s)));
        for pattern in &self.config.patterns {
            let group = pattern.regex.captures_len() > 1;
            for caps in pattern.regex.captures_iter(text) {
                let m = if group { caps.get(1) } else { caps.get(0) };
                if let Some(m) = m.filter(|m| !m.is_empty()) {
                    found.push((
                        Tier::User,
                        Span {
                            start: m.start(),
                            end: m.end(),
                            kind: pattern.name.as_str(),
                        },
                    ));
                }
            }
        }
        found.extend(assigned.into_iter().map(|s| (Tier::Generic, s)));
        found.retain(|(tier, s)| {
            *tier == Tier::Existing
                || (s.end > s.start
                    && self.config.enabled(s.kind)
                    && !self.config.allow.contains(&text[s.start..s.end]))
        });
        if found.iter().all(|(tier, _)| *tier == Tier::Existing) {
            return Vec::new();
        }
        found.sort_by_key(|(tier, s)| (*tier, s.start, std::cmp::Reverse(s.end)));
        // start → (end, tier, kind) of the spans kept so far.
        let mut kept: BTreeMap<usize, (usize, Tier, &'c str)> = BTreeMap::new();
        for (tier, s) in found {
            let before = kept.range(..=s.start).next_back();
            let after = kept.range(s.start..).next();
            let overlaps = before.is_some_and(|(_, (end, _, _))| *end > s.start)
                || after.is_some_and(|(start, _)| *start < s.end);
            if !overlaps {
                kept.insert(s.start, (s.end, tier, s.kind));
            }
        }
        kept.into_iter()
            .filter(|(_, (_, tier, _))| *tier != Tier::Existing)
            .map(|(start, (end, _, kind))| Span { start, end, kind })
            .collect()
    }

    /// Placeholder → secret pairs, in order of creation.
    pub fn into_mapping(self) -> Vec<(String, String)> {
        self.mapping
    }

    /// Replacements per kind (occurrences, not distinct secrets).
    pub fn counts(&self) -> &BTreeMap<String, usize> {
        &self.counts
    }
}

/// The end of the placeholder starting at `at` (`[[REDACTED:kind:n]]`).
pub fn placeholder_end(b: &[u8], at: usize) -> Option<usize> {
    let open = at + PLACEHOLDER_OPEN.len();
    if !b.get(at..open)?.eq(PLACEHOLDER_OPEN.as_bytes()) {
        return None;
    }
    let name_end = run(b, open, |c| c.is_ascii_alphanumeric() || c == b'_');
    if name_end == open || b.get(name_end) != Some(&b':') {
        return None;
    }
    let digits_end = run(b, name_end + 1, |c| c.is_ascii_digit());
    if digits_end == name_end + 1 || b.get(digits_end..digits_end + 2) != Some(b"]]") {
        return None;
    }
    Some(digits_end + 2)
}

/// Every placeholder opening in `text`, in order, with the end of the
/// placeholder when it opens a whole one. The search goes on past a whole
/// placeholder, or one byte past an opening that is not one.
pub fn openings(text: &str) -> impl Iterator<Item = (usize, Option<usize>)> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = find(text, from, PLACEHOLDER_OPEN)?;
        let end = placeholder_end(text.as_bytes(), at);
        from = end.unwrap_or(at + 1);
        Some((at, end))
    })
}

/// Spans of placeholders already in `text`, which detectors must not touch.
fn existing_placeholders<'c>(text: &str, out: &mut Vec<(Tier, Span<'c>)>) {
    out.extend(openings(text).filter_map(|(start, end)| {
        Some((
            Tier::Existing,
            Span {
                start,
                end: end?,
                kind: "",
            },
        ))
    }));
}

/// What redacting a request did.
pub struct Redaction {
    /// Placeholder → secret, for restoring answers.
    pub mapping: Vec<(String, String)>,
    /// Replacements per kind, for the log (never the values).
    pub counts: BTreeMap<String, usize>,
    /// The indexes of the messages that changed, in order.
    pub changed: Vec<u32>,
}

/// Whether a thinking part may be changed: signed or redacted reasoning must
/// go back to the provider byte for byte.
fn thinking_editable(signature: Option<&String>, redacted: bool) -> bool {
    signature.is_none_or(String::is_empty) && !redacted
}

/// How a text of a request is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Message text and unsigned reasoning: as plain text.
    Plain,
    /// Tool-call arguments: as JSON.
    Json,
    /// Tool results: as JSON when they parse, else as plain text.
    Result,
    /// Signed or redacted reasoning: never changed.
    Frozen,
}

/// Every text of the request, in order, with the index of its message and
/// how it is scanned. Images are left out.
fn texts(req: &mut Request) -> Vec<(u32, Shape, &mut String)> {
    let mut out = Vec::new();
    let parts = (0u32..)
        .zip(req.messages.iter_mut())
        .flat_map(|(i, m)| m.content.iter_mut().map(move |p| (i, p)));
    for (i, part) in parts {
        let mut push = |shape, text| out.push((i, shape, text));
        match part {
            ContentPart::Text(t) => push(Shape::Plain, t),
            ContentPart::Thinking(t) => {
                let shape = if thinking_editable(t.signature.as_ref(), t.redacted) {
                    Shape::Plain
                } else {
                    Shape::Frozen
                };
                push(shape, &mut t.text);
            }
            ContentPart::ToolCall(c) => push(Shape::Json, &mut c.arguments),
            ContentPart::ToolResult(r) => {
                for p in &mut r.content {
                    if let ToolResultPart::Text(t) = p {
                        push(Shape::Result, t);
                    }
                }
            }
            ContentPart::Image(_) => {}
        }
    }
    out
}

/// A text's digest for the memo, bound to how it is scanned: a text clean
/// as JSON says nothing about the same bytes as plain text.
fn memo_digest(shape: Shape, text: &str) -> Digest {
    let d = memo::digest(text);
    [d[0] ^ (shape as u64 + 1), d[1]]
}

/// Replace the secrets in every message's text, tool-call arguments, tool
/// results and (unsigned) reasoning. Images are left alone. Texts `memo`
/// knows to be clean are skipped; texts found clean now are added to it.
pub fn redact_request(config: &Config, req: &mut Request, memo: &mut Memo) -> Redaction {
    let mut red = Redactor::new(config);
    let mut texts: Vec<_> = texts(req)
        .into_iter()
        .map(|(message, shape, text)| {
            let digest = memo_digest(shape, text);
            let known = shape != Shape::Frozen && memo.contains(&digest);
            (message, shape, text, digest, known, false)
        })
        .collect();
    for (_, _, text, _, known, opened) in &mut texts {
        if !*known {
            *opened = red.reserve_existing(text);
        }
    }
    let mut changed = Vec::new();
    for (message, shape, text, digest, known, opened) in &mut texts {
        if *known {
            continue;
        }
        let new = match shape {
            Shape::Plain if !*opened => red.redact_unopened_text(text),
            Shape::Plain => red.redact_text(text),
            Shape::Json => redact_json(&mut red, text),
            Shape::Result => redact_result(&mut red, text, *opened),
            Shape::Frozen => continue,
        };
        match new {
            Some(new) => {
                **text = new;
                if changed.last() != Some(message) {
                    changed.push(*message);
                }
            }
            // Clean, and no placeholder to reserve: skippable next turn.
            None if !*opened => memo.insert(*digest),
            None => {}
        }
    }
    let counts = red.counts().clone();
    Redaction {
        mapping: red.into_mapping(),
        counts,
        changed,
    }
}

/// Redact a tool result: as JSON when it is a JSON object or array (Gemini
/// results arrive as `{"output": …}`), so escaped values are seen decoded;
/// `opened` as [`Redactor::reserve_existing`] found it.
fn redact_result(red: &mut Redactor<'_>, text: &str, opened: bool) -> Option<String> {
    let trimmed = text.trim_start();
    let json = (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    if json {
        redact_json(red, text)
    } else if opened {
        red.redact_text(text)
    } else {
        red.redact_unopened_text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::transcript::conversation;
    use crate::types::{Image, ImageSource, Message, Role, Thinking, ToolCall, ToolResult};

    const OA: &str = "sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6n";
    const GH: &str = "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";

    fn text(config: &Config, t: &str) -> String {
        Redactor::new(config)
            .redact_text(t)
            .unwrap_or_else(|| t.to_string())
    }

    #[test]
    fn same_secret_same_placeholder() {
        let c = Config::default();
        let mut red = Redactor::new(&c);
        let out = red
            .redact_text(&format!("{OA} and {GH} and {OA} and password=hunter22"))
            .unwrap();
        assert_eq!(
            out,
            "[[REDACTED:openai_key:1]] and [[REDACTED:github_token:1]] and \
             [[REDACTED:openai_key:1]] and password=[[REDACTED:password:1]]"
        );
        let again = red.redact_text(&format!("then {GH}")).unwrap();
        assert_eq!(again, "then [[REDACTED:github_token:1]]");
        let other = "ghp_ZZ1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";
        assert_eq!(
            red.redact_text(other).unwrap(),
            "[[REDACTED:github_token:2]]"
        );
        assert_eq!(red.counts().get("openai_key"), Some(&2));
        assert_eq!(red.into_mapping().len(), 4);
    }

    #[test]
    fn specific_beats_generic() {
        let c = Config::default();
        assert_eq!(
            text(&c, &format!("OPENAI_API_KEY={OA}")),
            "OPENAI_API_KEY=[[REDACTED:openai_key:1]]"
        );
    }

    #[test]
    fn allow_and_disable() {
        let c = parse(&format!(
            r#"{{"allow": ["{OA}", "hunter22"], "disable": ["github_token"]}}"#
        ))
        .unwrap();
        let t = format!("{OA} {GH} password=hunter22 token={GH}");
        // The disabled GitHub kind still falls to the generic `token=` rule.
        assert_eq!(
            text(&c, &t),
            format!("{OA} {GH} password=hunter22 token=[[REDACTED:token:1]]")
        );
    }

    #[test]
    fn user_patterns() {
        let c = parse(
            r#"{"patterns": [
                {"name": "emp_id", "regex": "EMP-[0-9]{6}"},
                {"name": "pin", "regex": "pin is ([0-9]{4})"},
                {"name": "empty", "regex": "x*"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            text(&c, "EMP-123456 and my pin is 4321."),
            "[[REDACTED:emp_id:1]] and my pin is [[REDACTED:pin:1]]."
        );
    }

    #[test]
    fn existing_placeholders_are_kept_and_skipped() {
        let c = Config::default();
        let mut red = Redactor::new(&c);
        let old = "the key [[REDACTED:openai_key:1]] token=[[REDACTED:token:1]]";
        red.reserve_existing(old);
        assert_eq!(red.redact_text(old), None);
        assert_eq!(red.redact_text(OA).unwrap(), "[[REDACTED:openai_key:2]]");
        // A user pattern cannot eat into a placeholder either.
        let c = parse(r#"{"patterns": [{"name": "r", "regex": "REDACTED"}]}"#).unwrap();
        assert_eq!(Redactor::new(&c).redact_text(old), None);
    }

    #[test]
    fn json_tool_results_are_decoded() {
        let c = Config::default();
        let mut red = Redactor::new(&c);
        let out = redact_result(
            &mut red,
            r#"{"output":"db:\n  password: hunter22\n  port: 5432"}"#,
            false,
        );
        assert_eq!(
            out.as_deref(),
            Some(r#"{"output":"db:\n  password: [[REDACTED:password:1]]\n  port: 5432"}"#)
        );
        let out = redact_result(&mut red, "{not json password=hunter22", false);
        assert_eq!(
            out.as_deref(),
            Some("{not json password=[[REDACTED:password:1]]")
        );
    }

    #[test]
    fn placeholder_shapes() {
        let b = b"[[REDACTED:a_1:12]]x";
        assert_eq!(placeholder_end(b, 0), Some(19));
        for bad in [
            &b"[[REDACTED::1]]"[..],
            b"[[REDACTED:a:]]",
            b"[[REDACTED:a:1]",
            b"[[REDACTED",
        ] {
            assert_eq!(placeholder_end(bad, 0), None);
        }
    }

    #[test]
    fn memo_skips_only_texts_found_clean_before() {
        let conversation = || {
            conversation(vec![
                msg(Role::System, vec![ContentPart::Text("be brief".into())]),
                msg(Role::User, vec![ContentPart::Text(format!("key {GH}"))]),
                msg(
                    Role::User,
                    vec![ContentPart::Text("was [[REDACTED:github_token:1]]".into())],
                ),
                msg(
                    Role::Assistant,
                    vec![ContentPart::ToolCall(ToolCall {
                        id: "c".into(),
                        name: "Bash".into(),
                        arguments: r#"{"command":"ls"}"#.into(),
                    })],
                ),
            ])
        };
        let config = Config::default();
        let mut memo = Memo::default();
        let mut first = conversation();
        let r1 = redact_request(&config, &mut first, &mut memo);
        // The system text and the arguments are remembered; the text with
        // a secret and the one with a placeholder are not.
        let memo = Memo::decode(&memo.encode());
        let clean = |shape, text: &str| memo.contains(&memo_digest(shape, text));
        assert!(clean(Shape::Plain, "be brief"));
        assert!(clean(Shape::Json, r#"{"command":"ls"}"#));
        assert!(!clean(Shape::Plain, r#"{"command":"ls"}"#));
        assert!(!clean(Shape::Plain, &format!("key {GH}")));
        assert!(!clean(Shape::Plain, "was [[REDACTED:github_token:1]]"));
        // The next turn, with the memo, comes out the same.
        let mut memo = memo;
        let mut second = conversation();
        let r2 = redact_request(&config, &mut second, &mut memo);
        assert_eq!(first, second);
        // Only the message with the secret changed.
        assert_eq!(r1.changed, vec![1]);
        assert_eq!(r2.changed, vec![1]);
        assert_eq!(r1.mapping, r2.mapping);
        assert_eq!(
            r2.mapping,
            vec![("[[REDACTED:github_token:2]]".to_string(), GH.to_string())]
        );
        assert!(!memo.changed());
        // A text the memo vouches for is not scanned at all.
        memo.insert(memo_digest(Shape::Plain, &format!("key {GH}")));
        let mut third = conversation();
        let r3 = redact_request(&config, &mut third, &mut memo);
        // Nothing replaced: the filter answers `pass`.
        assert!(r3.changed.is_empty());
        assert_eq!(
            third.messages[1].content[0],
            ContentPart::Text(format!("key {GH}"))
        );
    }

    fn msg(role: Role, content: Vec<ContentPart>) -> Message {
        Message {
            role,
            content,
            name: None,
            extra: None,
        }
    }

    #[test]
    fn walks_the_request() {
        let image = ContentPart::Image(Image {
            source: ImageSource::Url(format!("https://x/?k={OA}")),
            media_type: None,
            detail: None,
        });
        let signed = ContentPart::Thinking(Thinking {
            text: format!("I saw {OA}"),
            signature: Some("sig".into()),
            redacted: false,
        });
        let mut req = conversation(vec![
            msg(
                Role::System,
                vec![ContentPart::Text(format!("deploy key {GH}"))],
            ),
            msg(
                Role::User,
                vec![ContentPart::Text(format!("use {OA}")), image.clone()],
            ),
            msg(
                Role::Assistant,
                vec![
                    signed.clone(),
                    ContentPart::Thinking(Thinking {
                        text: format!("note {GH}"),
                        signature: None,
                        redacted: false,
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: "c1".into(),
                        name: "Bash".into(),
                        arguments: format!(r#"{{"command":"echo {OA}"}}"#),
                    }),
                ],
            ),
            msg(
                Role::Tool,
                vec![ContentPart::ToolResult(ToolResult {
                    call_id: "c1".into(),
                    content: vec![ToolResultPart::Text(OA.into())],
                    is_error: false,
                })],
            ),
        ]);
        let r = redact_request(&Config::default(), &mut req, &mut Memo::default());
        let m = &req.messages;
        assert_eq!(
            m[0].content[0],
            ContentPart::Text("deploy key [[REDACTED:github_token:1]]".into())
        );
        assert_eq!(
            m[1].content[0],
            ContentPart::Text("use [[REDACTED:openai_key:1]]".into())
        );
        assert_eq!(m[1].content[1], image);
        assert_eq!(m[2].content[0], signed);
        assert!(
            matches!(&m[2].content[1], ContentPart::Thinking(t) if t.text == "note [[REDACTED:github_token:1]]")
        );
        assert!(matches!(&m[2].content[2], ContentPart::ToolCall(c)
            if c.arguments == r#"{"command":"echo [[REDACTED:openai_key:1]]"}"#));
        assert!(matches!(&m[3].content[0], ContentPart::ToolResult(t)
            if t.content == vec![ToolResultPart::Text("[[REDACTED:openai_key:1]]".into())]));
        assert_eq!(
            r.mapping,
            vec![
                ("[[REDACTED:github_token:1]]".to_string(), GH.to_string()),
                ("[[REDACTED:openai_key:1]]".to_string(), OA.to_string()),
            ]
        );
        assert_eq!(r.counts.get("openai_key"), Some(&3));
        // Each changed message once, in order.
        assert_eq!(r.changed, vec![0, 1, 2, 3]);
    }
}
