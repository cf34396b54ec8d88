//! The streaming path.
//!
//! A tool call is held from its `tool-call-start` until its
//! `tool-call-end`, then passed on repaired as start, one delta, end.
//! Events after a held call wait behind it, so order never changes; events
//! before it (text in particular) are not delayed. Text runs through the
//! textual-call scanner, which holds back only what could start a marker.
//! Output calls are numbered 0, 1, … in the order they are passed on.

use std::collections::{BTreeMap, VecDeque};

use crate::calls::Env;
use crate::flow::{Emitted, Flow, Item};
use crate::types::{Error, FinishReason, StreamEvent, ToolCall, ToolCallDelta, ToolCallStart};

/// A call being received.
#[derive(Debug)]
struct Held {
    id: String,
    name: String,
    arguments: String,
    closed: bool,
}

/// One place in the output order.
#[derive(Debug)]
enum Slot {
    /// Text or a call, ready.
    Item(Item),
    /// The upstream call with this index (ready once closed).
    Upstream(u32),
    /// Any other event, as it came.
    Event(StreamEvent),
    /// The finish event (its reason is settled when it is passed on).
    Finish(FinishReason),
}

/// Per-stream state.
#[derive(Debug)]
pub struct StreamState {
    flow: Flow,
    queue: VecDeque<Slot>,
    held: BTreeMap<u32, Held>,
    next_index: u32,
}

impl StreamState {
    /// A fresh stream for `env`.
    pub fn new(env: Env) -> Self {
        StreamState {
            flow: Flow::new(env),
            queue: VecDeque::new(),
            held: BTreeMap::new(),
            next_index: 0,
        }
    }

    /// Log lines gathered since the last call.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.flow.notes)
    }

    /// The next events from upstream; returns what can be passed on.
    pub fn on_events(&mut self, events: Vec<StreamEvent>) -> Result<Vec<StreamEvent>, Error> {
        let mut out = Vec::new();
        for event in events {
            if let StreamEvent::Error(_) = event {
                // The stream fails: pass on everything in order, calls that
                // never ended as they came, then the error.
                self.end_text();
                self.flush(&mut out, true)?;
                out.push(event);
                return Ok(out);
            }
            self.accept(event);
            self.flush(&mut out, false)?;
        }
        Ok(out)
    }

    /// The stream ended: repair calls that never ended and pass on the rest.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        self.end_text();
        for held in self.held.values_mut() {
            held.closed = true;
        }
        let mut out = Vec::new();
        self.flush(&mut out, false)?;
        Ok(out)
    }

    fn end_text(&mut self) {
        let items = self.flow.end_text();
        self.queue.extend(items.into_iter().map(Slot::Item));
    }

    fn accept(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::TextDelta(text) => {
                let items = self.flow.text(text);
                self.queue.extend(items.into_iter().map(Slot::Item));
            }
            StreamEvent::ToolCallStart(start) if !self.held.contains_key(&start.index) => {
                self.end_text();
                self.held.insert(
                    start.index,
                    Held {
                        id: start.id,
                        name: start.name,
                        arguments: String::new(),
                        closed: false,
                    },
                );
                self.queue.push_back(Slot::Upstream(start.index));
            }
            StreamEvent::ToolCallDelta(delta) if self.held.contains_key(&delta.index) => {
                if let Some(h) = self.held.get_mut(&delta.index) {
                    h.arguments.push_str(&delta.arguments);
                }
            }
            StreamEvent::ToolCallEnd(index) if self.held.contains_key(&index) => {
                if let Some(h) = self.held.get_mut(&index) {
                    h.closed = true;
                }
            }
            StreamEvent::Finish(reason) => {
                self.end_text();
                self.queue.push_back(Slot::Finish(reason));
            }
            other => {
                // Thinking, usage, start, or tool-call events this filter
                // does not hold (a repeated start, an orphan delta).
                if !matches!(other, StreamEvent::Start(_)) {
                    self.end_text();
                }
                self.queue.push_back(Slot::Event(other));
            }
        }
    }

    /// Pass on the ready front of the queue; with `all`, everything (calls
    /// still open go out as they came, without an end).
    fn flush(&mut self, out: &mut Vec<StreamEvent>, all: bool) -> Result<(), Error> {
        while let Some(slot) = self.queue.front() {
            if let Slot::Upstream(index) = slot {
                let closed = self.held.get(index).is_some_and(|h| h.closed);
                if !closed && !all {
                    break;
                }
                let index = *index;
                self.queue.pop_front();
                let Some(h) = self.held.remove(&index) else {
                    continue;
                };
                let call = ToolCall {
                    id: h.id,
                    name: h.name,
                    arguments: h.arguments,
                };
                if h.closed {
                    let emitted = self.flow.resolve(call)?;
                    self.emit(emitted, out);
                } else {
                    let i = self.take_index();
                    out.push(start(i, &call));
                    if !call.arguments.is_empty() {
                        out.push(delta(i, call.arguments));
                    }
                }
                continue;
            }
            let Some(slot) = self.queue.pop_front() else {
                break;
            };
            match slot {
                Slot::Item(Item::Text(t)) => {
                    let emitted = self.flow.emit_text(t);
                    self.emit(emitted, out);
                }
                Slot::Item(Item::Call(call)) => {
                    let emitted = self.flow.resolve(call)?;
                    self.emit(emitted, out);
                }
                Slot::Event(e) => out.push(e),
                Slot::Finish(reason) => {
                    out.push(StreamEvent::Finish(self.flow.finish_reason(reason)))
                }
                Slot::Upstream(_) => {}
            }
        }
        Ok(())
    }

    fn take_index(&mut self) -> u32 {
        let i = self.next_index;
        self.next_index += 1;
        i
    }

    fn emit(&mut self, emitted: Emitted, out: &mut Vec<StreamEvent>) {
        match emitted {
            Emitted::Text(t) => out.push(StreamEvent::TextDelta(t)),
            Emitted::Call(call) => {
                let i = self.take_index();
                out.push(start(i, &call));
                if !call.arguments.is_empty() {
                    out.push(delta(i, call.arguments));
                }
                out.push(StreamEvent::ToolCallEnd(i));
            }
        }
    }
}

fn start(index: u32, call: &ToolCall) -> StreamEvent {
    StreamEvent::ToolCallStart(ToolCallStart {
        index,
        id: call.id.clone(),
        name: call.name.clone(),
    })
}

fn delta(index: u32, arguments: String) -> StreamEvent {
    StreamEvent::ToolCallDelta(ToolCallDelta { index, arguments })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::calls::tests::env;
    use crate::config::{Config, OnInvalid};
    use crate::types::{ContentPart, Response, StreamStart, Usage};
    use serde_json::{Value, json};

    /// Events as the OpenAI decoder makes them: text in 4-char deltas,
    /// each call's arguments in 5-char deltas, ends at the finish.
    pub fn upstream(text: &str, calls: &[(&str, &str)], finish: FinishReason) -> Vec<StreamEvent> {
        let mut events = vec![StreamEvent::Start(StreamStart {
            id: "r".into(),
            model: "m".into(),
            created: None,
            extra: None,
        })];
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(4) {
            events.push(StreamEvent::TextDelta(piece.iter().collect()));
        }
        for (i, (name, args)) in calls.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(0);
            events.push(StreamEvent::ToolCallStart(ToolCallStart {
                index: i,
                id: format!("call_{i}"),
                name: (*name).into(),
            }));
            let chars: Vec<char> = args.chars().collect();
            for piece in chars.chunks(5) {
                events.push(delta(i, piece.iter().collect()));
            }
        }
        for i in 0..calls.len() {
            events.push(StreamEvent::ToolCallEnd(u32::try_from(i).unwrap_or(0)));
        }
        events.push(StreamEvent::Finish(finish));
        events.push(StreamEvent::Usage(Usage {
            input_tokens: 1,
            output_tokens: 1,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        }));
        events
    }

    /// The same answer as a whole response.
    pub fn whole(text: &str, calls: &[(&str, &str)], finish: FinishReason) -> Response {
        let mut content = Vec::new();
        if !text.is_empty() {
            content.push(ContentPart::Text(text.into()));
        }
        for (i, (name, args)) in calls.iter().enumerate() {
            content.push(ContentPart::ToolCall(ToolCall {
                id: format!("call_{i}"),
                name: (*name).into(),
                arguments: (*args).into(),
            }));
        }
        Response {
            id: "r".into(),
            model: "m".into(),
            created: None,
            content,
            finish_reason: Some(finish),
            usage: None,
            extra: None,
        }
    }

    /// What a client sees: text, calls (name, parsed arguments), finish.
    pub type View = (String, Vec<(String, Value)>, Option<FinishReason>);

    fn parse(args: &str) -> Value {
        serde_json::from_str(args).unwrap_or_else(|_| Value::String(args.into()))
    }

    /// Check the grammar and collapse the events into a view.
    pub fn view(events: &[StreamEvent]) -> View {
        let mut text = String::new();
        let mut calls: Vec<(u32, String, String)> = Vec::new();
        let mut open = std::collections::BTreeSet::new();
        let mut finish = None;
        let mut ended = false;
        for (n, e) in events.iter().enumerate() {
            assert!(
                !ended || matches!(e, StreamEvent::Usage(_) | StreamEvent::Finish(_)),
                "{e:?} after the end"
            );
            match e {
                StreamEvent::Start(_) => assert_eq!(n, 0, "start not first"),
                StreamEvent::TextDelta(t) => text.push_str(t),
                StreamEvent::ToolCallStart(s) => {
                    assert_eq!(s.index as usize, calls.len(), "indices in order");
                    assert!(open.insert(s.index));
                    calls.push((s.index, s.name.clone(), String::new()));
                }
                StreamEvent::ToolCallDelta(d) => {
                    assert!(open.contains(&d.index), "delta for a closed call");
                    if let Some(c) = calls.iter_mut().find(|c| c.0 == d.index) {
                        c.2.push_str(&d.arguments);
                    }
                }
                StreamEvent::ToolCallEnd(i) => assert!(open.remove(i), "end of a call not open"),
                StreamEvent::Finish(r) => {
                    finish = Some(r.clone());
                    ended = true;
                }
                StreamEvent::Usage(_) => ended = true,
                _ => {}
            }
        }
        assert!(open.is_empty(), "calls left open");
        (
            text,
            calls.into_iter().map(|(_, n, a)| (n, parse(&a))).collect(),
            finish,
        )
    }

    pub fn view_response(resp: &Response) -> View {
        let mut text = String::new();
        let mut calls = Vec::new();
        for part in &resp.content {
            match part {
                ContentPart::Text(t) => text.push_str(t),
                ContentPart::ToolCall(c) => calls.push((c.name.clone(), parse(&c.arguments))),
                _ => {}
            }
        }
        (text, calls, resp.finish_reason.clone())
    }

    /// Feed `events` in the given group sizes.
    fn feed(
        config: &Config,
        events: &[StreamEvent],
        groups: &[usize],
    ) -> Result<Vec<StreamEvent>, Error> {
        let mut s = StreamState::new(env(config.clone()));
        let mut out = Vec::new();
        let mut at = 0;
        for &g in groups {
            let end = (at + g).min(events.len());
            out.extend(s.on_events(events[at..end].to_vec())?);
            at = end;
        }
        out.extend(s.on_events(events[at..].to_vec())?);
        out.extend(s.finish()?);
        Ok(out)
    }

    /// Every grouping gives the same client view, which also equals the
    /// whole-response path's view; returns that view.
    fn check_all(
        config: &Config,
        text: &str,
        calls: &[(&str, &str)],
        finish: FinishReason,
    ) -> View {
        let events = upstream(text, calls, finish.clone());
        let n = events.len();
        let base = view(&feed(config, &events, &[n]).unwrap_or_else(|e| panic!("{e:?}")));
        let one_by_one = vec![1; n];
        assert_eq!(
            view(&feed(config, &events, &one_by_one).unwrap_or_else(|e| panic!("{e:?}"))),
            base
        );
        for split in 0..=n {
            let got = feed(config, &events, &[split]).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(view(&got), base, "split at {split}");
        }
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..50 {
            let mut groups = Vec::new();
            let mut left = n;
            while left > 0 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let g = usize::try_from(seed % 4).unwrap_or(0);
                groups.push(g);
                left = left.saturating_sub(g.max(1));
            }
            let got = feed(config, &events, &groups).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(view(&got), base, "groups {groups:?}");
        }
        let (resp, _) = crate::response::repair(env(config.clone()), whole(text, calls, finish));
        let resp = resp.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            view_response(&resp),
            base,
            "whole response differs from the stream"
        );
        base
    }

    #[test]
    fn clean_call_passes_untouched() {
        let args = "{\"command\": \"ls -la\"}";
        let events = upstream("Sure.", &[("Bash", args)], FinishReason::ToolCalls);
        let out = feed(&Config::default(), &events, &[events.len()]).unwrap_or_default();
        let deltas: Vec<&StreamEvent> = out
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolCallDelta(_)))
            .collect();
        assert_eq!(deltas, vec![&delta(0, args.into())]);
        let v = check_all(
            &Config::default(),
            "Sure.",
            &[("Bash", args)],
            FinishReason::ToolCalls,
        );
        assert_eq!(
            v,
            (
                "Sure.".into(),
                vec![("Bash".into(), json!({"command": "ls -la"}))],
                Some(FinishReason::ToolCalls)
            )
        );
    }

    #[test]
    fn each_json_repair() {
        for args in [
            "{\"command\": \"ls\",}",
            "{'command': 'ls'}",
            "{command: \"ls\"}",
            "{\"command\": \"echo a\nb\"}",
            "{\"command\": \"ls",
            "\"{\\\"command\\\": \\\"ls\\\"}\"",
            "```json\n{\"command\": \"ls\"}\n```",
        ] {
            let v = check_all(
                &Config::default(),
                "",
                &[("Bash", args)],
                FinishReason::ToolCalls,
            );
            let want = if args.contains("echo") {
                "echo a\nb"
            } else {
                "ls"
            };
            assert_eq!(
                v.1,
                vec![("Bash".into(), json!({"command": want}))],
                "{args:?}"
            );
        }
    }

    #[test]
    fn names_and_coercion() {
        let v = check_all(
            &Config::default(),
            "",
            &[
                ("bash", "{\"command\": \"sleep 1\", \"timeout\": \"5\"}"),
                ("get_wether", "{\"city\": \"Oslo\", \"days\": \"3\"}"),
            ],
            FinishReason::ToolCalls,
        );
        assert_eq!(
            v.1,
            vec![
                ("Bash".into(), json!({"command": "sleep 1", "timeout": 5})),
                ("get_weather".into(), json!({"city": "Oslo", "days": 3}))
            ]
        );
    }

    #[test]
    fn textual_call_becomes_a_call() {
        let v = check_all(
            &Config::default(),
            "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
            &[],
            FinishReason::Stop,
        );
        assert_eq!(
            v,
            (
                "Let me check.\n".into(),
                vec![("get_weather".into(), json!({"city": "Paris"}))],
                Some(FinishReason::ToolCalls)
            )
        );
        // With tool_choice none (or no tools) the text stays.
        let e = Env::new(
            Config::default(),
            env(Config::default()).tools,
            false,
            "x".into(),
        );
        let mut s = StreamState::new(e);
        let text =
            "<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}</tool_call>";
        let mut out = s
            .on_events(upstream(text, &[], FinishReason::Stop))
            .unwrap_or_default();
        out.extend(s.finish().unwrap_or_default());
        assert_eq!(view(&out), (text.into(), vec![], Some(FinishReason::Stop)));
    }

    #[test]
    fn textual_and_upstream_calls_share_indices() {
        let v = check_all(
            &Config::default(),
            "✿FUNCTION✿: Bash\n✿ARGS✿: {\"command\": \"pwd\"}\n",
            &[("Bash", "{\"command\": \"ls\"}")],
            FinishReason::ToolCalls,
        );
        assert_eq!(
            v.1,
            vec![
                ("Bash".into(), json!({"command": "pwd"})),
                ("Bash".into(), json!({"command": "ls"}))
            ]
        );
    }

    #[test]
    fn missing_required_field_becomes_text() {
        let v = check_all(
            &Config::default(),
            "Running it.",
            &[("Bash", "{\"timeout\": 5}")],
            FinishReason::ToolCalls,
        );
        assert!(v.1.is_empty());
        assert_eq!(v.2, Some(FinishReason::Stop));
        assert!(
            v.0.starts_with("Running it.\n\nError: the call to tool `Bash` was not run"),
            "{}",
            v.0
        );
        assert!(v.0.contains("missing required field `command`"), "{}", v.0);
        // One bad call among good ones: the good one stays a call.
        let v = check_all(
            &Config::default(),
            "",
            &[("Bash", "{}"), ("get_weather", "{\"city\": \"Rome\"}")],
            FinishReason::ToolCalls,
        );
        assert_eq!(v.1, vec![("get_weather".into(), json!({"city": "Rome"}))]);
        assert_eq!(v.2, Some(FinishReason::ToolCalls));
        assert!(v.0.starts_with("Error: the call to tool `Bash`"), "{}", v.0);
    }

    #[test]
    fn reject_mode_fails_the_stream() {
        let c = Config {
            on_invalid: OnInvalid::Reject,
            ..Config::default()
        };
        let events = upstream("", &[("Bash", "{}")], FinishReason::ToolCalls);
        let err = feed(&c, &events, &[events.len()])
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(err.contains("missing required field `command`"), "{err}");
        let (resp, _) = crate::response::repair(
            env(c),
            whole("", &[("Bash", "{}")], FinishReason::ToolCalls),
        );
        assert!(resp.is_err());
    }

    #[test]
    fn text_before_a_call_is_not_delayed() {
        let mut s = StreamState::new(env(Config::default()));
        let start = upstream("", &[], FinishReason::Stop).remove(0);
        let out = s
            .on_events(vec![
                start.clone(),
                StreamEvent::TextDelta("Hello <".into()),
            ])
            .unwrap_or_default();
        assert_eq!(out, vec![start, StreamEvent::TextDelta("Hello ".into())]);
        let out = s
            .on_events(vec![StreamEvent::TextDelta("b> there".into())])
            .unwrap_or_default();
        assert_eq!(out, vec![StreamEvent::TextDelta("<b> there".into())]);
        // A call is held until it ends, and so is what follows it.
        let begin = StreamEvent::ToolCallStart(ToolCallStart {
            index: 0,
            id: "c".into(),
            name: "Bash".into(),
        });
        let out = s
            .on_events(vec![begin, delta(0, "{'command".into())])
            .unwrap_or_default();
        assert!(out.is_empty());
        let out = s
            .on_events(vec![
                delta(0, "': 'ls'}".into()),
                StreamEvent::ToolCallEnd(0),
            ])
            .unwrap_or_default();
        assert_eq!(
            out,
            vec![
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 0,
                    id: "c".into(),
                    name: "Bash".into()
                }),
                delta(0, "{\"command\":\"ls\"}".into()),
                StreamEvent::ToolCallEnd(0)
            ]
        );
    }

    #[test]
    fn interleaved_parallel_calls_keep_order() {
        let start = |i: u32, name: &str| {
            StreamEvent::ToolCallStart(ToolCallStart {
                index: i,
                id: format!("c{i}"),
                name: name.into(),
            })
        };
        let events = vec![
            start(0, "Bash"),
            delta(0, "{'command':".into()),
            start(1, "get_weather"),
            delta(1, "{city: 'Oslo'}".into()),
            delta(0, " 'ls'}".into()),
            StreamEvent::ToolCallEnd(1),
            StreamEvent::TextDelta("after".into()),
            StreamEvent::ToolCallEnd(0),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ];
        for g in 1..=events.len() {
            let groups = vec![g; events.len()];
            let out = feed(&Config::default(), &events, &groups).unwrap_or_default();
            let v = view(&out);
            assert_eq!(
                v,
                (
                    "after".into(),
                    vec![
                        ("Bash".into(), json!({"command": "ls"})),
                        ("get_weather".into(), json!({"city": "Oslo"}))
                    ],
                    Some(FinishReason::ToolCalls)
                ),
                "groups of {g}"
            );
        }
    }

    #[test]
    fn a_call_left_open_is_repaired_at_the_end() {
        let events = vec![
            StreamEvent::ToolCallStart(ToolCallStart {
                index: 3,
                id: "c".into(),
                name: "Bash".into(),
            }),
            delta(3, "{\"command\": \"ls".into()),
        ];
        let out = feed(&Config::default(), &events, &[1]).unwrap_or_default();
        assert_eq!(
            view(&out).1,
            vec![("Bash".into(), json!({"command": "ls"}))]
        );
    }

    #[test]
    fn an_error_flushes_in_order() {
        let err = Error {
            kind: crate::types::ErrorKind::Upstream,
            message: "boom".into(),
            status: 502,
            retryable: true,
        };
        let mut s = StreamState::new(env(Config::default()));
        let out = s
            .on_events(vec![
                StreamEvent::TextDelta("see <tool_".into()),
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 0,
                    id: "c".into(),
                    name: "Bash".into(),
                }),
                delta(0, "{\"comm".into()),
                StreamEvent::Error(err.clone()),
            ])
            .unwrap_or_default();
        assert_eq!(
            out,
            vec![
                StreamEvent::TextDelta("see ".into()),
                StreamEvent::TextDelta("<tool_".into()),
                StreamEvent::ToolCallStart(ToolCallStart {
                    index: 0,
                    id: "c".into(),
                    name: "Bash".into()
                }),
                delta(0, "{\"comm".into()),
                StreamEvent::Error(err),
            ]
        );
    }
}
