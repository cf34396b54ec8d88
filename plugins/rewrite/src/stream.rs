//! Rewriting a streamed answer, chunk by chunk.
//!
//! Each rule that targets the answer becomes one stage per channel
//! (`assistant` → text deltas, `thinking` → unsigned, unredacted thinking
//! deltas); events flow through the stages in rule order, so a stream is
//! rewritten like the same answer arriving whole:
//!
//! - **replace** keeps back only the last [`Pattern::holdback`] characters
//!   of the channel's text (a match could still start there), releases the
//!   rest at once, and releases what it holds before any other event (a
//!   tool call, usage, finish, an event of the other channel) and at the end.
//!   A run of deltas between two other events is one text, like one text
//!   part of a whole answer.
//! - **append** passes everything through and adds its text (when the answer
//!   has text and, with a pattern, a match) before `usage`/`finish`, or at the
//!   end when neither comes. Not after an `error`.
//! - **prepend** adds its text before the first non-empty delta. With a
//!   pattern it must first know whether the answer matches, so from that
//!   delta on it holds every event until a match turns up or the answer
//!   ends (the one case that delays a stream; order is kept).
//!
//! [`Pattern::holdback`]: crate::scan::Pattern::holdback

use std::rc::Rc;

use crate::config::{Action, Config, Rule};
use crate::scan::Scanner;
use crate::types::{StreamEvent, ThinkingDelta};

/// Which deltas a stage rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    /// `text-delta`.
    Text,
    /// `thinking-delta` without signature and not redacted.
    Thinking,
}

impl Channel {
    /// The rewritable text of `event` on this channel.
    fn text_of(self, event: &StreamEvent) -> Option<&str> {
        match (self, event) {
            (Channel::Text, StreamEvent::TextDelta(t)) => Some(t),
            (Channel::Thinking, StreamEvent::ThinkingDelta(d))
                if d.signature.is_none() && !d.redacted =>
            {
                Some(&d.text)
            }
            _ => None,
        }
    }

    /// A delta of this channel carrying `text`.
    fn delta(self, text: String) -> StreamEvent {
        match self {
            Channel::Text => StreamEvent::TextDelta(text),
            Channel::Thinking => StreamEvent::ThinkingDelta(ThinkingDelta {
                text,
                signature: None,
                redacted: false,
            }),
        }
    }
}

/// Where a conditional-or-not prepend stands.
#[derive(Debug)]
enum PrependState {
    /// No text seen yet; events pass.
    BeforeText,
    /// Text seen, no match yet: these events are held.
    Holding(Vec<StreamEvent>),
    /// Decided; events pass.
    Done,
}

/// What a stage does.
#[derive(Debug)]
enum Work {
    /// Replace matches; the scanner holds the current text's tail.
    Replace(Scanner),
    /// Prepend; the scanner detects the condition.
    Prepend(Scanner, PrependState),
    /// Append once: `saw_text`, `matched`, `done`.
    Append {
        /// Detects the condition.
        scanner: Scanner,
        /// Some non-empty delta passed.
        saw_text: bool,
        /// The condition matched (always true without a pattern).
        matched: bool,
        /// Appended, or decided not to.
        done: bool,
    },
}

/// One rule on one channel.
#[derive(Debug)]
struct Stage {
    /// Index into `Config::rules`.
    rule: usize,
    /// The deltas it works on.
    channel: Channel,
    /// Its state.
    work: Work,
}

impl Stage {
    /// A fresh stage for `rule` (at `index`) on `channel`.
    fn new(index: usize, rule: &Rule, channel: Channel) -> Stage {
        let work = match rule.action {
            Action::Replace => Work::Replace(Scanner::default()),
            Action::Prepend => Work::Prepend(Scanner::default(), PrependState::BeforeText),
            Action::Append => Work::Append {
                scanner: Scanner::default(),
                saw_text: false,
                matched: rule.pattern.is_none(),
                done: false,
            },
        };
        Stage {
            rule: index,
            channel,
            work,
        }
    }

    /// Take one event; push what passes to `out`.
    fn on_event(&mut self, rule: &Rule, event: StreamEvent, out: &mut Vec<StreamEvent>) {
        let channel = self.channel;
        let text = channel.text_of(&event);
        match &mut self.work {
            Work::Replace(scanner) => match (text, &rule.pattern) {
                (Some(text), Some(pattern)) => {
                    let mut released = String::new();
                    scanner.feed(pattern, Some(&rule.text), text, &mut released);
                    if !released.is_empty() {
                        out.push(channel.delta(released));
                    }
                }
                _ => {
                    flush_replace(rule, channel, scanner, out);
                    out.push(event);
                }
            },
            Work::Prepend(scanner, state) => {
                on_prepend(rule, channel, scanner, state, event, out);
            }
            Work::Append {
                scanner,
                saw_text,
                matched,
                done,
            } => {
                if *done {
                    out.push(event);
                    return;
                }
                let mut sink = String::new();
                match (text, &rule.pattern) {
                    (Some(text), pattern) => {
                        *saw_text |= !text.is_empty();
                        if let Some(p) = pattern
                            && !*matched
                        {
                            *matched |= scanner.feed(p, None, text, &mut sink);
                        }
                    }
                    (None, pattern) => {
                        if let Some(p) = pattern
                            && !*matched
                        {
                            // The text ended (a match may end at its end).
                            *matched |= scanner.flush(p, None, &mut sink);
                        }
                        match event {
                            StreamEvent::Usage(_) | StreamEvent::Finish(_) => {
                                if *saw_text && *matched {
                                    out.push(channel.delta(rule.text.clone()));
                                }
                                *done = true;
                            }
                            StreamEvent::Error(_) => *done = true,
                            _ => {}
                        }
                    }
                }
                out.push(event);
            }
        }
    }

    /// The stream ended: release what is held.
    fn finish(&mut self, rule: &Rule, out: &mut Vec<StreamEvent>) {
        let channel = self.channel;
        match &mut self.work {
            Work::Replace(scanner) => flush_replace(rule, channel, scanner, out),
            Work::Prepend(scanner, state) => {
                if let PrependState::Holding(held) = std::mem::replace(state, PrependState::Done) {
                    let matched = rule
                        .pattern
                        .as_ref()
                        .is_some_and(|p| scanner.flush(p, None, &mut String::new()));
                    if matched {
                        out.push(channel.delta(rule.text.clone()));
                    }
                    out.extend(held);
                }
            }
            Work::Append {
                scanner,
                saw_text,
                matched,
                done,
            } => {
                if !*done {
                    if let Some(p) = &rule.pattern
                        && !*matched
                    {
                        *matched |= scanner.flush(p, None, &mut String::new());
                    }
                    if *saw_text && *matched {
                        out.push(channel.delta(rule.text.clone()));
                    }
                    *done = true;
                }
            }
        }
    }
}

/// Release everything a replace stage holds as one delta.
fn flush_replace(rule: &Rule, channel: Channel, scanner: &mut Scanner, out: &mut Vec<StreamEvent>) {
    let (true, Some(pattern)) = (scanner.holding(), &rule.pattern) else {
        return;
    };
    let mut released = String::new();
    scanner.flush(pattern, Some(&rule.text), &mut released);
    if !released.is_empty() {
        out.push(channel.delta(released));
    }
}

/// One event through a prepend stage.
fn on_prepend(
    rule: &Rule,
    channel: Channel,
    scanner: &mut Scanner,
    state: &mut PrependState,
    event: StreamEvent,
    out: &mut Vec<StreamEvent>,
) {
    let text = channel.text_of(&event);
    let mut sink = String::new();
    match state {
        PrependState::Done => out.push(event),
        PrependState::BeforeText => match text {
            Some(t) if !t.is_empty() => {
                let matched = match &rule.pattern {
                    None => true,
                    Some(p) => scanner.feed(p, None, t, &mut sink),
                };
                if matched {
                    out.push(channel.delta(rule.text.clone()));
                    out.push(event);
                    *state = PrependState::Done;
                } else {
                    *state = PrependState::Holding(vec![event]);
                }
            }
            _ => out.push(event),
        },
        PrependState::Holding(held) => {
            let Some(pattern) = &rule.pattern else {
                // Unreachable: without a pattern the first text decides.
                out.append(held);
                out.push(event);
                *state = PrependState::Done;
                return;
            };
            let (matched, last) = match (text, &event) {
                (Some(t), _) => (scanner.feed(pattern, None, t, &mut sink), false),
                (None, StreamEvent::Usage(_) | StreamEvent::Finish(_) | StreamEvent::Error(_)) => {
                    (scanner.flush(pattern, None, &mut sink), true)
                }
                // Another event ends the current text.
                (None, _) => (scanner.flush(pattern, None, &mut sink), false),
            };
            held.push(event);
            if matched || last {
                if matched {
                    out.push(channel.delta(rule.text.clone()));
                }
                out.append(held);
                *state = PrependState::Done;
            }
        }
    }
}

/// The stream filter's state for one answer.
#[derive(Debug)]
pub struct StreamRewriter {
    /// The rules the stages refer to.
    config: Rc<Config>,
    /// Stages in rule order (a rule targeting both channels has two).
    stages: Vec<Stage>,
}

impl StreamRewriter {
    /// Stages for every rule that targets the answer and covers `model`.
    pub fn new(config: Rc<Config>, model: &str) -> StreamRewriter {
        let mut stages = Vec::new();
        for (i, rule) in config.rules.iter().enumerate() {
            if !rule.scope.covers(model) {
                continue;
            }
            if rule.targets.assistant {
                stages.push(Stage::new(i, rule, Channel::Text));
            }
            if rule.targets.thinking {
                stages.push(Stage::new(i, rule, Channel::Thinking));
            }
        }
        StreamRewriter { config, stages }
    }

    /// True when no rule applies (events pass unchanged).
    pub fn is_idle(&self) -> bool {
        self.stages.is_empty()
    }

    /// The events of one upstream chunk; returns what may go on now.
    pub fn on_events(&mut self, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        let Self { config, stages } = self;
        let mut current = events;
        for stage in stages.iter_mut() {
            let Some(rule) = config.rules.get(stage.rule) else {
                continue;
            };
            let mut next = Vec::with_capacity(current.len() + 1);
            for event in current {
                stage.on_event(rule, event, &mut next);
            }
            current = next;
        }
        current
    }

    /// The stream ended: everything still held, in order.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let Self { config, stages } = self;
        let mut current = Vec::new();
        for stage in stages.iter_mut() {
            let Some(rule) = config.rules.get(stage.rule) else {
                continue;
            };
            let mut next = Vec::with_capacity(current.len() + 1);
            for event in current {
                stage.on_event(rule, event, &mut next);
            }
            stage.finish(rule, &mut next);
            current = next;
        }
        current
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::response::rewrite_response;
    use crate::types::{
        ContentPart, Error, ErrorKind, FinishReason, Response, StreamStart, Thinking, ToolCall,
        ToolCallDelta, ToolCallStart, Usage,
    };

    /// A tiny deterministic generator for random chunkings.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n.max(1)
        }
    }

    fn start() -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: "s".into(),
            model: "m".into(),
            created: None,
            extra: None,
        })
    }

    fn usage() -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: 1,
            output_tokens: 2,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        })
    }

    fn think(s: &str) -> StreamEvent {
        StreamEvent::ThinkingDelta(ThinkingDelta {
            text: s.into(),
            signature: None,
            redacted: false,
        })
    }

    fn signature() -> StreamEvent {
        StreamEvent::ThinkingDelta(ThinkingDelta {
            text: String::new(),
            signature: Some("sig".into()),
            redacted: false,
        })
    }

    /// An answer as events: thinking, text, a tool call, more text.
    fn answer(
        thinking: &str,
        text: &str,
        call: Option<(&str, &str)>,
        tail: &str,
    ) -> Vec<StreamEvent> {
        let mut v = vec![start()];
        if !thinking.is_empty() {
            v.push(think(thinking));
            v.push(signature());
        }
        if !text.is_empty() {
            v.push(StreamEvent::TextDelta(text.into()));
        }
        if let Some((name, args)) = call {
            v.push(StreamEvent::ToolCallStart(ToolCallStart {
                index: 0,
                id: "c".into(),
                name: name.into(),
            }));
            v.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                index: 0,
                arguments: args.into(),
            }));
            v.push(StreamEvent::ToolCallEnd(0));
        }
        if !tail.is_empty() {
            v.push(StreamEvent::TextDelta(tail.into()));
        }
        v.push(usage());
        v.push(StreamEvent::Finish(FinishReason::Stop));
        v
    }

    /// Split every text/thinking delta into pieces of random sizes.
    fn split_deltas(events: &[StreamEvent], rng: &mut Lcg, max: usize) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for e in events {
            let (text, make): (&str, fn(String) -> StreamEvent) = match e {
                StreamEvent::TextDelta(t) => (t, StreamEvent::TextDelta),
                StreamEvent::ThinkingDelta(d) if d.signature.is_none() && !d.redacted => {
                    (&d.text, |s| think(&s))
                }
                _ => {
                    out.push(e.clone());
                    continue;
                }
            };
            let chars: Vec<char> = text.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let n = 1 + rng.next(max);
                out.push(make(chars[i..(i + n).min(chars.len())].iter().collect()));
                i += n;
            }
        }
        out
    }

    /// Run `events` through a fresh rewriter in the given call groupings.
    fn run(
        config: &Rc<Config>,
        model: &str,
        events: &[StreamEvent],
        groups: &[usize],
    ) -> Vec<StreamEvent> {
        let mut rw = StreamRewriter::new(Rc::clone(config), model);
        let mut out = Vec::new();
        let mut i = 0;
        let mut g = 0;
        while i < events.len() {
            let n = groups.get(g).copied().unwrap_or(1).max(1);
            g += 1;
            out.extend(rw.on_events(events[i..(i + n).min(events.len())].to_vec()));
            i += n;
        }
        out.extend(rw.finish());
        out
    }

    /// Merge adjacent plain deltas of the same channel.
    fn merged(events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        let mut out: Vec<StreamEvent> = Vec::new();
        for e in events {
            match (out.last_mut(), &e) {
                (Some(StreamEvent::TextDelta(a)), StreamEvent::TextDelta(b)) => a.push_str(b),
                (Some(StreamEvent::ThinkingDelta(a)), StreamEvent::ThinkingDelta(b))
                    if a.signature.is_none()
                        && b.signature.is_none()
                        && !a.redacted
                        && !b.redacted =>
                {
                    a.text.push_str(&b.text)
                }
                _ => {
                    if !matches!(&e, StreamEvent::TextDelta(t) if t.is_empty()) {
                        out.push(e)
                    }
                }
            }
        }
        out
    }

    /// The whole answer `events` describe, rewritten by the non-stream path,
    /// as merged events again.
    fn expected(config: &Config, model: &str, events: &[StreamEvent]) -> Vec<StreamEvent> {
        let events = merged(events.to_vec());
        let mut content = Vec::new();
        for e in &events {
            match e {
                StreamEvent::TextDelta(t) => content.push(ContentPart::Text(t.clone())),
                StreamEvent::ThinkingDelta(d) if d.signature.is_none() => {
                    content.push(ContentPart::Thinking(Thinking {
                        text: d.text.clone(),
                        signature: None,
                        redacted: false,
                    }))
                }
                StreamEvent::ToolCallStart(s) => content.push(ContentPart::ToolCall(ToolCall {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    arguments: String::new(),
                })),
                _ => {}
            }
        }
        let mut resp = Response {
            id: "r".into(),
            model: "m".into(),
            created: None,
            content,
            finish_reason: None,
            usage: None,
            extra: None,
        };
        rewrite_response(config, model, &mut resp);
        // Put the rewritten parts back in place of the originals.
        let mut parts = resp
            .content
            .into_iter()
            .filter(|p| !matches!(p, ContentPart::ToolCall(_)));
        events
            .into_iter()
            .map(|e| match e {
                StreamEvent::TextDelta(_) => match parts.next() {
                    Some(ContentPart::Text(t)) => StreamEvent::TextDelta(t),
                    other => panic!("{other:?}"),
                },
                StreamEvent::ThinkingDelta(d) if d.signature.is_none() => match parts.next() {
                    Some(ContentPart::Thinking(t)) => think(&t.text),
                    other => panic!("{other:?}"),
                },
                other => other,
            })
            .collect()
    }

    /// Every grouping of the events and many delta splits give `want`
    /// (after merging adjacent deltas), and the grammar stays intact.
    fn check(config: &str, model: &str, events: &[StreamEvent], want: &[StreamEvent]) {
        let config = Rc::new(parse(config).unwrap());
        let want = merged(want.to_vec());
        let n = events.len();
        let mut groupings: Vec<Vec<usize>> = vec![vec![1; n], vec![n]];
        for cut in 1..n {
            groupings.push(vec![cut, n]);
        }
        let mut rng = Lcg(7);
        for _ in 0..20 {
            groupings.push((0..n).map(|_| 1 + rng.next(4)).collect());
        }
        for groups in &groupings {
            let got = merged(run(&config, model, events, groups));
            assert_eq!(got, want, "groups {groups:?}");
        }
        for max in [1, 2, 3, 5, 8] {
            for _ in 0..10 {
                let split = split_deltas(events, &mut rng, max);
                let groups: Vec<usize> = (0..split.len()).map(|_| 1 + rng.next(5)).collect();
                let got = merged(run(&config, model, &split, &groups));
                assert_eq!(got, want, "max {max} split {split:?} groups {groups:?}");
            }
        }
    }

    /// `check`, with the non-stream path as the expected answer.
    fn check_like_whole(config: &str, model: &str, events: &[StreamEvent]) {
        let want = expected(&parse(config).unwrap(), model, events);
        check(config, model, events, &want);
    }

    #[test]
    fn no_rules_pass_through() {
        let events = answer("hmm", "Hello", Some(("Bash", "{}")), "bye");
        let rw = StreamRewriter::new(Rc::new(parse("{}").unwrap()), "m");
        assert!(rw.is_idle());
        check("{}", "m", &events, &events);
    }

    #[test]
    fn replace_literal_across_chunks() {
        let config = r#"{"rules": [{"match": "internal-codename", "target": "assistant", "text": "the product"}]}"#;
        let events = answer(
            "internal-codename",
            "We ship internal-codename soon; internal-codename!",
            Some(("internal-codename", "{\"a\":\"internal-codename\"}")),
            "internal-codenam",
        );
        let mut want = answer(
            "internal-codename",
            "We ship the product soon; the product!",
            Some(("internal-codename", "{\"a\":\"internal-codename\"}")),
            "internal-codenam",
        );
        check(config, "m", &events, &want);
        check_like_whole(config, "m", &events);
        // A match split by a tool call is two texts: not a match.
        let events = answer("", "internal-", Some(("x", "{}")), "codename");
        want = events.clone();
        check(config, "m", &events, &want);
    }

    #[test]
    fn replace_regex_with_captures() {
        let config = r#"{"rules": [{"regex": "(\\w+)@example\\.com", "target": "assistant", "text": "$1 at example dot com", "max_match_len": 40}]}"#;
        let events = answer("", "Mail bob@example.com or alice@example.com.", None, "");
        let want = answer(
            "",
            "Mail bob at example dot com or alice at example dot com.",
            None,
            "",
        );
        check(config, "m", &events, &want);
        check_like_whole(config, "m", &events);
    }

    #[test]
    fn thinking_only_when_targeted() {
        let events = answer("secret plan", "secret answer", None, "");
        let assistant =
            r#"{"rules": [{"match": "secret", "target": "assistant", "text": "public"}]}"#;
        check(
            assistant,
            "m",
            &events,
            &answer("secret plan", "public answer", None, ""),
        );
        let thinking =
            r#"{"rules": [{"match": "secret", "target": "thinking", "text": "public"}]}"#;
        check(
            thinking,
            "m",
            &events,
            &answer("public plan", "secret answer", None, ""),
        );
        let both = r#"{"rules": [{"match": "secret", "target": ["thinking", "assistant"], "text": "public"}]}"#;
        check(
            both,
            "m",
            &events,
            &answer("public plan", "public answer", None, ""),
        );
        check_like_whole(both, "m", &events);
    }

    #[test]
    fn redacted_thinking_passes() {
        let redacted = StreamEvent::ThinkingDelta(ThinkingDelta {
            text: "secret".into(),
            signature: None,
            redacted: true,
        });
        let events = vec![
            start(),
            redacted.clone(),
            StreamEvent::TextDelta("x".into()),
        ];
        let config = r#"{"rules": [{"match": "secret", "target": "thinking", "text": "public"}]}"#;
        check(config, "m", &events, &events);
    }

    #[test]
    fn scope_not_covering_leaves_the_stream_alone() {
        let config = r#"{"rules": [{"match": "Hello", "target": "assistant", "text": "Bye", "models": ["claude-*"]}]}"#;
        let events = answer("", "Hello there", None, "");
        check(config, "gpt-4o", &events, &events);
        check(
            config,
            "claude-3",
            &events,
            &answer("", "Bye there", None, ""),
        );
        assert!(StreamRewriter::new(Rc::new(parse(config).unwrap()), "gpt-4o").is_idle());
    }

    #[test]
    fn append_before_usage_and_finish() {
        let config =
            r#"{"rules": [{"target": "assistant", "action": "append", "text": " [rewritten]"}]}"#;
        let events = answer("", "Hello", None, "");
        check(
            config,
            "m",
            &events,
            &answer("", "Hello [rewritten]", None, ""),
        );
        check_like_whole(config, "m", &events);
        // No text, nothing appended.
        let events = answer("", "", Some(("Bash", "{}")), "");
        check(config, "m", &events, &events);
        // No finish event: appended at the end.
        let events = vec![start(), StreamEvent::TextDelta("Hi".into())];
        check(
            config,
            "m",
            &events,
            &[start(), StreamEvent::TextDelta("Hi [rewritten]".into())],
        );
        // An error ends the stream: nothing appended after it.
        let error = StreamEvent::Error(Error {
            kind: ErrorKind::Upstream,
            message: "boom".into(),
            status: 502,
            retryable: false,
        });
        let events = vec![start(), StreamEvent::TextDelta("Hi".into()), error];
        check(config, "m", &events, &events);
    }

    #[test]
    fn conditional_append() {
        let config = r#"{"rules": [{"regex": "\\bTODO\\b", "target": "assistant", "action": "append", "text": "\n(unfinished)", "max_match_len": 4}]}"#;
        let events = answer("", "step one TODO later", None, "");
        check(
            config,
            "m",
            &events,
            &answer("", "step one TODO later\n(unfinished)", None, ""),
        );
        check_like_whole(config, "m", &events);
        let events = answer("", "TODOS are done", None, "");
        check(config, "m", &events, &events);
        // A match at the very end counts.
        let events = answer("", "left a TODO", None, "");
        check(
            config,
            "m",
            &events,
            &answer("", "left a TODO\n(unfinished)", None, ""),
        );
    }

    #[test]
    fn prepend_before_the_first_text() {
        let config =
            r#"{"rules": [{"target": "assistant", "action": "prepend", "text": "[bot] "}]}"#;
        let events = answer("hmm", "Hello", Some(("Bash", "{}")), " done");
        check(
            config,
            "m",
            &events,
            &answer("hmm", "[bot] Hello", Some(("Bash", "{}")), " done"),
        );
        check_like_whole(config, "m", &events);
        let events = answer("hmm", "", Some(("Bash", "{}")), "");
        check(config, "m", &events, &events);
    }

    #[test]
    fn conditional_prepend_holds_until_decided() {
        let config = r#"{"rules": [{"match": "WARNING", "target": "assistant", "action": "prepend", "text": "(!) "}]}"#;
        // The match is in the text after a tool call: the text before it
        // and the call are held, then released with the prefix.
        let events = answer(
            "",
            "Running it.",
            Some(("Bash", "{\"c\":1}")),
            " WARNING: slow",
        );
        let want = answer(
            "",
            "(!) Running it.",
            Some(("Bash", "{\"c\":1}")),
            " WARNING: slow",
        );
        check(config, "m", &events, &want);
        check_like_whole(config, "m", &events);
        let events = answer("", "all fine", Some(("Bash", "{}")), "");
        check(config, "m", &events, &events);
        // Held events come out as soon as the match is seen.
        let mut rw = StreamRewriter::new(Rc::new(parse(config).unwrap()), "m");
        assert_eq!(rw.on_events(vec![start()]), vec![start()]);
        assert!(
            rw.on_events(vec![StreamEvent::TextDelta("a WARN".into())])
                .is_empty()
        );
        let out = rw.on_events(vec![StreamEvent::TextDelta("ING b".into())]);
        assert_eq!(
            merged(out),
            vec![StreamEvent::TextDelta("(!) a WARNING b".into())]
        );
    }

    #[test]
    fn ordered_rules_chain() {
        let config = r#"{"rules": [
            {"match": "cat", "target": "assistant", "text": "dog"},
            {"regex": "dogs?", "target": "assistant", "text": "pet", "max_match_len": 4},
            {"target": "assistant", "action": "append", "text": " (cats)"},
            {"match": "cat", "target": "assistant", "text": "CAT"}
        ]}"#;
        let events = answer("", "cats and dogs and a cat", None, "");
        check(
            config,
            "m",
            &events,
            &answer("", "pet and pet and a pet (CATs)", None, ""),
        );
        check_like_whole(config, "m", &events);
    }

    #[test]
    fn holds_back_only_what_a_match_needs() {
        let config = Rc::new(
            parse(r#"{"rules": [{"match": "abcdef", "target": "assistant", "text": "X"}]}"#)
                .unwrap(),
        );
        let mut rw = StreamRewriter::new(config, "m");
        rw.on_events(vec![start()]);
        // Five chars could still begin "abcdef": the rest goes out at once.
        let out = rw.on_events(vec![StreamEvent::TextDelta("0123456789".into())]);
        assert_eq!(out, vec![StreamEvent::TextDelta("01234".into())]);
        let out = rw.on_events(vec![StreamEvent::TextDelta("abc".into())]);
        assert_eq!(out, vec![StreamEvent::TextDelta("567".into())]);
        let out = rw.on_events(vec![StreamEvent::TextDelta("def!".into())]);
        assert_eq!(out, vec![StreamEvent::TextDelta("89X".into())]);
        // A non-text event flushes the held text first.
        let out = rw.on_events(vec![StreamEvent::Finish(FinishReason::Stop)]);
        assert_eq!(
            out,
            vec![
                StreamEvent::TextDelta("!".into()),
                StreamEvent::Finish(FinishReason::Stop)
            ]
        );
        assert!(rw.finish().is_empty());
    }

    #[test]
    fn regex_window_holds_max_match_len() {
        let config = Rc::new(
            parse(r#"{"rules": [{"regex": "x+", "target": "assistant", "text": "y", "max_match_len": 3}]}"#)
                .unwrap(),
        );
        let mut rw = StreamRewriter::new(config, "m");
        let out = rw.on_events(vec![StreamEvent::TextDelta("abcdefg".into())]);
        assert_eq!(out, vec![StreamEvent::TextDelta("abcd".into())]);
        assert_eq!(rw.finish(), vec![StreamEvent::TextDelta("efg".into())]);
    }
}
