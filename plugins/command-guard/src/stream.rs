//! The streaming path.
//!
//! A shell tool call's events are held from its `tool-call-start` to its
//! `tool-call-end`; then the call is judged and its events go out in the
//! order they came, or a text delta goes out in their place (block), or an
//! error event ends the stream (reject). Text and other tools' calls are
//! never held on their own account: they pass at once unless a held call
//! started before them, and then they wait only for that call, so the
//! order of the answer never changes. Calls after a removed one move down
//! an index.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::types::{FinishReason, StreamEvent};
use crate::verdict::{Judge, Outcome};

/// A shell call being received.
#[derive(Debug)]
struct Held {
    id: String,
    name: String,
    arguments: String,
    /// Its events as they came.
    events: Vec<StreamEvent>,
    ended: bool,
}

/// One place in the output order.
#[derive(Debug)]
enum Slot {
    /// An event to pass on.
    Event(StreamEvent),
    /// The held shell call with this upstream index.
    Call(u32),
}

/// Per-stream state.
#[derive(Debug)]
pub struct StreamGuard {
    judge: Judge,
    queue: VecDeque<Slot>,
    held: BTreeMap<u32, Held>,
    /// Upstream indices of calls replaced by text.
    removed: Vec<u32>,
    /// Upstream indices of passed-on calls whose start went out and whose
    /// end did not: their later events pass at once.
    open: BTreeSet<u32>,
    /// Calls passed on.
    kept: u32,
    /// Calls replaced by text.
    blocked: u32,
    /// Some text went out.
    text_out: bool,
    /// An error ended the stream.
    failed: bool,
}

impl StreamGuard {
    /// A fresh stream judged by `judge`.
    pub fn new(judge: Judge) -> Self {
        StreamGuard {
            judge,
            queue: VecDeque::new(),
            held: BTreeMap::new(),
            removed: Vec::new(),
            open: BTreeSet::new(),
            kept: 0,
            blocked: 0,
            text_out: false,
            failed: false,
        }
    }

    /// Log lines gathered since the last call.
    pub fn take_notes(&mut self) -> Vec<crate::verdict::Note> {
        std::mem::take(&mut self.judge.notes)
    }

    /// The next events from upstream; returns what can be passed on.
    pub fn on_events(&mut self, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            if self.failed {
                break;
            }
            self.accept(event, &mut out);
            self.flush(&mut out);
        }
        out
    }

    /// The stream ended: judge calls that never ended with what arrived,
    /// and pass on the rest.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if self.failed {
            return out;
        }
        for h in self.held.values_mut() {
            h.ended = true;
        }
        self.flush(&mut out);
        out
    }

    fn accept(&mut self, event: StreamEvent, out: &mut Vec<StreamEvent>) {
        match event {
            StreamEvent::ToolCallStart(ref s)
                if !self.held.contains_key(&s.index) && self.judge.is_shell(&s.name) =>
            {
                let index = s.index;
                self.held.insert(
                    index,
                    Held {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        arguments: String::new(),
                        events: vec![event],
                        ended: false,
                    },
                );
                self.queue.push_back(Slot::Call(index));
            }
            StreamEvent::ToolCallDelta(ref d)
                if self.held.get(&d.index).is_some_and(|h| !h.ended) =>
            {
                if let Some(h) = self.held.get_mut(&d.index) {
                    h.arguments.push_str(&d.arguments);
                    h.events.push(event);
                }
            }
            StreamEvent::ToolCallEnd(index) if self.held.get(&index).is_some_and(|h| !h.ended) => {
                if let Some(h) = self.held.get_mut(&index) {
                    h.ended = true;
                    h.events.push(event);
                }
            }
            // A call already passed on: the rest of it follows at once
            // (it is not held behind a shell call that started later).
            StreamEvent::ToolCallDelta(ref d) if self.open.contains(&d.index) => {
                self.emit(event, out);
            }
            StreamEvent::ToolCallEnd(index) if self.open.contains(&index) => {
                self.emit(event, out);
            }
            StreamEvent::Error(_) => {
                // The answer failed: calls not yet complete are never
                // released unjudged; what is complete goes out first.
                let open: Vec<u32> = self
                    .held
                    .iter()
                    .filter(|(_, h)| !h.ended)
                    .map(|(i, _)| *i)
                    .collect();
                for i in open {
                    self.held.remove(&i);
                }
                self.queue
                    .retain(|s| !matches!(s, Slot::Call(i) if !self.held.contains_key(i)));
                self.flush(out);
                out.push(event);
                self.failed = true;
            }
            other => self.queue.push_back(Slot::Event(other)),
        }
    }

    /// Pass on the ready front of the queue.
    fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        while let Some(slot) = self.queue.front() {
            if self.failed {
                self.queue.clear();
                return;
            }
            if let Slot::Call(index) = slot {
                let index = *index;
                if self.held.get(&index).is_some_and(|h| !h.ended) {
                    return;
                }
                self.queue.pop_front();
                if let Some(h) = self.held.remove(&index) {
                    self.resolve(index, h, out);
                }
                continue;
            }
            if let Some(Slot::Event(e)) = self.queue.pop_front() {
                self.emit(e, out);
            }
        }
    }

    /// Judge a complete held call and pass on what its outcome says.
    fn resolve(&mut self, index: u32, h: Held, out: &mut Vec<StreamEvent>) {
        let outcome = self.judge.decide(&h.id, &h.name, &h.arguments);
        match outcome {
            Ok(Outcome::Pass) => {
                for e in h.events {
                    self.emit(e, out);
                }
            }
            Ok(Outcome::Replace(text)) => {
                self.blocked += 1;
                self.removed.push(index);
                let text = if self.text_out {
                    format!("\n\n{text}")
                } else {
                    text
                };
                self.emit(StreamEvent::TextDelta(text), out);
            }
            Ok(Outcome::Fail(e)) | Err(e) => {
                out.push(StreamEvent::Error(e));
                self.failed = true;
            }
        }
    }

    /// The index a call has downstream: less one for each call removed
    /// before it.
    fn shift(&self, index: u32) -> u32 {
        let before = self.removed.iter().filter(|&&r| r < index).count();
        index.saturating_sub(u32::try_from(before).unwrap_or(u32::MAX))
    }

    fn emit(&mut self, event: StreamEvent, out: &mut Vec<StreamEvent>) {
        let event = match event {
            StreamEvent::ToolCallStart(mut s) => {
                self.kept += 1;
                self.open.insert(s.index);
                s.index = self.shift(s.index);
                StreamEvent::ToolCallStart(s)
            }
            StreamEvent::ToolCallDelta(mut d) => {
                d.index = self.shift(d.index);
                StreamEvent::ToolCallDelta(d)
            }
            StreamEvent::ToolCallEnd(i) => {
                self.open.remove(&i);
                StreamEvent::ToolCallEnd(self.shift(i))
            }
            StreamEvent::TextDelta(t) => {
                self.text_out |= !t.is_empty();
                StreamEvent::TextDelta(t)
            }
            StreamEvent::Finish(FinishReason::ToolCalls) if self.kept == 0 && self.blocked > 0 => {
                StreamEvent::Finish(FinishReason::Stop)
            }
            other => other,
        };
        out.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::tests::response;
    use crate::types::{
        ContentPart, Error, ErrorKind, Response, StreamStart, ToolCall, ToolCallDelta,
        ToolCallStart, Usage,
    };
    use crate::verdict::tests::judge;

    fn start(i: u32, name: &str) -> StreamEvent {
        StreamEvent::ToolCallStart(ToolCallStart {
            index: i,
            id: format!("c{i}"),
            name: name.into(),
        })
    }

    fn delta(i: u32, a: &str) -> StreamEvent {
        StreamEvent::ToolCallDelta(ToolCallDelta {
            index: i,
            arguments: a.into(),
        })
    }

    /// Events as the OpenAI decoder makes them: text in 4-char deltas,
    /// each call's arguments in 5-char deltas, ends at the finish.
    fn upstream(text: &str, calls: &[(&str, &str)]) -> Vec<StreamEvent> {
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
            events.push(start(i, name));
            let chars: Vec<char> = args.chars().collect();
            for piece in chars.chunks(5) {
                events.push(delta(i, &piece.iter().collect::<String>()));
            }
        }
        for i in 0..calls.len() {
            events.push(StreamEvent::ToolCallEnd(u32::try_from(i).unwrap_or(0)));
        }
        let finish = if calls.is_empty() {
            FinishReason::Stop
        } else {
            FinishReason::ToolCalls
        };
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

    fn whole(text: &str, calls: &[(&str, &str)]) -> Response {
        let mut content = Vec::new();
        if !text.is_empty() {
            content.push(ContentPart::Text(text.into()));
        }
        for (i, (name, args)) in calls.iter().enumerate() {
            content.push(ContentPart::ToolCall(ToolCall {
                id: format!("c{i}"),
                name: (*name).into(),
                arguments: (*args).into(),
            }));
        }
        let finish = if calls.is_empty() {
            FinishReason::Stop
        } else {
            FinishReason::ToolCalls
        };
        response(content, finish)
    }

    /// What a client sees: text, calls (name, arguments), finish, error.
    type View = (
        String,
        Vec<(String, String)>,
        Option<FinishReason>,
        Option<String>,
    );

    /// Check the grammar and collapse the events into a view.
    fn view(events: &[StreamEvent]) -> View {
        let mut text = String::new();
        let mut calls: Vec<(u32, String, String)> = Vec::new();
        let mut open = std::collections::BTreeSet::new();
        let mut finish = None;
        let mut error = None;
        for e in events {
            assert!(error.is_none(), "{e:?} after an error");
            match e {
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
                StreamEvent::Finish(r) => finish = Some(r.clone()),
                StreamEvent::Error(e) => error = Some(e.message.clone()),
                _ => {}
            }
        }
        if error.is_none() {
            assert!(open.is_empty(), "calls left open");
        }
        (
            text,
            calls.into_iter().map(|(_, n, a)| (n, a)).collect(),
            finish,
            error,
        )
    }

    fn view_response(resp: &Result<Response, Error>) -> View {
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return (String::new(), vec![], None, Some(e.message.clone())),
        };
        let mut text = String::new();
        let mut calls = Vec::new();
        for part in &resp.content {
            match part {
                ContentPart::Text(t) => text.push_str(t),
                ContentPart::ToolCall(c) => calls.push((c.name.clone(), c.arguments.clone())),
                _ => {}
            }
        }
        (text, calls, resp.finish_reason.clone(), None)
    }

    fn feed(config: &str, events: &[StreamEvent], groups: &[usize]) -> Vec<StreamEvent> {
        let mut s = StreamGuard::new(judge(config));
        let mut out = Vec::new();
        let mut at = 0;
        for &g in groups {
            let end = (at + g).min(events.len());
            out.extend(s.on_events(events[at..end].to_vec()));
            at = end;
        }
        out.extend(s.on_events(events[at..].to_vec()));
        out.extend(s.finish());
        out
    }

    /// Every grouping of the stream gives the same view as the whole path.
    fn check_all(config: &str, text: &str, calls: &[(&str, &str)]) -> View {
        let events = upstream(text, calls);
        let n = events.len();
        let base = view(&feed(config, &events, &[n]));
        assert_eq!(view(&feed(config, &events, &vec![1; n])), base);
        for split in 0..=n {
            assert_eq!(
                view(&feed(config, &events, &[split])),
                base,
                "split {split}"
            );
        }
        let resp = crate::response::guard(&mut judge(config), whole(text, calls));
        let mut want = view_response(&resp);
        if want.3.is_some() {
            // A stream fails after what was already passed on.
            want.0 = base.0.clone();
        }
        assert_eq!(base, want, "stream and whole answer differ");
        base
    }

    #[test]
    fn harmless_calls_pass_unchanged() {
        let v = check_all(
            "{}",
            "Running the tests.",
            &[("Bash", r#"{"command": "cargo test --release"}"#)],
        );
        assert_eq!(v.0, "Running the tests.");
        assert_eq!(
            v.1,
            vec![(
                "Bash".into(),
                r#"{"command": "cargo test --release"}"#.into()
            )]
        );
        assert_eq!(v.2, Some(FinishReason::ToolCalls));
    }

    #[test]
    fn blocked_call_is_replaced_by_text() {
        let v = check_all(
            "{}",
            "Let me clean up.",
            &[("Bash", r#"{"command": "rm -rf / --no-preserve-root"}"#)],
        );
        assert!(
            v.0.starts_with("Let me clean up.\n\n[command-guard] Blocked"),
            "{}",
            v.0
        );
        assert!(v.1.is_empty());
        assert_eq!(v.2, Some(FinishReason::Stop));
    }

    #[test]
    fn calls_after_a_blocked_one_move_down() {
        let v = check_all(
            "{}",
            "",
            &[
                ("Bash", r#"{"command": "git reset --hard"}"#),
                ("Read", r#"{"path": "a.txt"}"#),
                ("Bash", r#"{"command": "ls"}"#),
            ],
        );
        assert!(v.0.starts_with("[command-guard] Blocked"), "{}", v.0);
        assert_eq!(v.1.len(), 2);
        assert_eq!(v.2, Some(FinishReason::ToolCalls));
    }

    #[test]
    fn warn_passes_and_reject_fails() {
        let calls = [("Bash", r#"{"command": "terraform destroy -auto-approve"}"#)];
        let v = check_all(r#"{"action": "warn"}"#, "ok", &calls);
        assert_eq!(v.1.len(), 1);
        let v = check_all(r#"{"action": "reject"}"#, "ok", &calls);
        assert!(v.3.is_some_and(|e| e.contains("terraform-destroy")));
        assert_eq!(v.0, "ok");
    }

    #[test]
    fn text_before_a_call_is_not_delayed() {
        let mut s = StreamGuard::new(judge("{}"));
        let out = s.on_events(vec![StreamEvent::TextDelta("Hi".into())]);
        assert_eq!(out, vec![StreamEvent::TextDelta("Hi".into())]);
        let out = s.on_events(vec![start(0, "Bash"), delta(0, r#"{"command":"#)]);
        assert!(out.is_empty());
        // Other tools' calls are not held when nothing is held before them.
        let mut s2 = StreamGuard::new(judge("{}"));
        let out = s2.on_events(vec![start(0, "Read"), delta(0, "{}")]);
        assert_eq!(out.len(), 2);
        let out = s.on_events(vec![delta(0, r#" "ls"}"#), StreamEvent::ToolCallEnd(0)]);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn a_passed_call_is_not_held_behind_a_later_shell_call() {
        let mut s = StreamGuard::new(judge("{}"));
        let mut out = s.on_events(vec![
            start(0, "Read"),
            delta(0, "{}"),
            start(1, "Bash"),
            delta(1, r#"{"command": "ls"}"#),
        ]);
        assert_eq!(out.len(), 2);
        out.extend(s.on_events(vec![StreamEvent::ToolCallEnd(0)]));
        assert_eq!(out.last(), Some(&StreamEvent::ToolCallEnd(0)));
        out.extend(s.on_events(vec![StreamEvent::ToolCallEnd(1)]));
        assert_eq!(out.len(), 6);
        assert_eq!(out.last(), Some(&StreamEvent::ToolCallEnd(1)));
    }

    #[test]
    fn an_error_drops_open_calls() {
        let mut s = StreamGuard::new(judge("{}"));
        let err = Error {
            kind: ErrorKind::Upstream,
            message: "boom".into(),
            status: 502,
            retryable: true,
        };
        let out = s.on_events(vec![
            StreamEvent::TextDelta("a".into()),
            start(0, "Bash"),
            delta(0, r#"{"command": "rm -rf /"#),
            StreamEvent::Error(err.clone()),
            StreamEvent::TextDelta("late".into()),
        ]);
        assert_eq!(
            out,
            vec![StreamEvent::TextDelta("a".into()), StreamEvent::Error(err)]
        );
        assert!(s.finish().is_empty());
    }

    #[test]
    fn a_call_left_open_is_judged_at_the_end() {
        let mut s = StreamGuard::new(judge("{}"));
        let mut out = s.on_events(vec![
            start(0, "Bash"),
            delta(0, r#"{"command": "rm -rf ~"}"#),
        ]);
        out.extend(s.finish());
        assert!(matches!(&out[..], [StreamEvent::TextDelta(t)] if t.contains("Blocked")));
    }
}
