//! The streamed path: the same decisions as [`crate::guard::on_response`],
//! made on events arriving in any chunking.
//!
//! From a `tool-call-start` until every open call has ended, events are
//! held back. Then the held calls, whole arguments known, are judged in the
//! order they started (the order of a whole answer's parts), and the held
//! events go out in order, with a looping call replaced by a text delta
//! (steer) or the stream ended with an error (abort). Text is checked for a repeated passage as it passes,
//! character by character, so the cut falls at the same place as on the
//! whole path.

use crate::config::Action;
use crate::guard::{Host, Session, note};
use crate::report::{Loop, abort_error, steer_call, steer_text};
use crate::text_cycle::TextCycle;
use crate::types::{Error, FinishReason, StreamEvent, ToolCallDelta, ToolCallStart};

/// One call whose events are being held.
#[derive(Debug)]
struct Pending {
    index: u32,
    name: String,
    arguments: String,
    /// The call's `tool-call-end` arrived.
    ended: bool,
    /// Its verdict, once judged: `Some` when it continues a loop.
    verdict: Option<Loop>,
}

/// The state of one streamed answer.
#[derive(Debug)]
pub struct StreamGuard {
    session: Session,
    detector: Option<TextCycle>,
    /// Held events, from the first open call's start.
    held: Vec<StreamEvent>,
    /// Calls seen in the held span, by index.
    pending: Vec<Pending>,
    /// Original indices of calls replaced so far (kept calls move down).
    removed: Vec<u32>,
    /// Calls passed on.
    kept: usize,
    /// The answer's text was cut off after a repeated passage.
    cut: bool,
    /// Some text went out already.
    text_before: bool,
    /// An error ended the stream.
    failed: bool,
}

impl StreamGuard {
    /// A guard for the answer to the request `session` judged.
    pub fn new(session: Session) -> Self {
        StreamGuard {
            detector: session.text_cycle(),
            session,
            held: Vec::new(),
            pending: Vec::new(),
            removed: Vec::new(),
            kept: 0,
            cut: false,
            text_before: false,
            failed: false,
        }
    }

    fn open(&self) -> bool {
        self.pending.iter().any(|p| !p.ended)
    }

    /// The events to pass on for the next batch; `Err` ends the stream.
    pub fn on_events(
        &mut self,
        events: Vec<StreamEvent>,
        host: &mut dyn Host,
    ) -> Result<Vec<StreamEvent>, Error> {
        let mut out = Vec::with_capacity(events.len());
        if self.failed {
            return Ok(out);
        }
        for event in events {
            let result = self.one(event, &mut out, host);
            if result.is_err() {
                self.failed = true;
                self.held.clear();
                return result.map(|()| out);
            }
        }
        Ok(out)
    }

    /// The stream ended: let out what is still held (calls that never
    /// ended pass unjudged).
    pub fn finish(&mut self, host: &mut dyn Host) -> Result<Vec<StreamEvent>, Error> {
        let mut out = Vec::new();
        if self.failed {
            return Ok(out);
        }
        let result = self.judge(host).and_then(|()| self.flush(&mut out, host));
        if result.is_err() {
            self.failed = true;
        }
        result.map(|()| out)
    }

    fn one(
        &mut self,
        event: StreamEvent,
        out: &mut Vec<StreamEvent>,
        host: &mut dyn Host,
    ) -> Result<(), Error> {
        match &event {
            StreamEvent::ToolCallStart(start) => {
                // A repeated index starts a new call.
                self.pending.retain(|p| p.index != start.index || !p.ended);
                self.pending.push(Pending {
                    index: start.index,
                    name: start.name.clone(),
                    arguments: String::new(),
                    ended: false,
                    verdict: None,
                });
                self.held.push(event);
            }
            StreamEvent::ToolCallDelta(delta) => {
                if let Some(p) = self
                    .pending
                    .iter_mut()
                    .find(|p| p.index == delta.index && !p.ended)
                {
                    p.arguments.push_str(&delta.arguments);
                }
                if self.open() {
                    self.held.push(event);
                } else {
                    self.pass(event, out, host)?;
                }
            }
            StreamEvent::ToolCallEnd(index) => {
                let index = *index;
                let ended = self
                    .pending
                    .iter_mut()
                    .find(|p| p.index == index && !p.ended);
                let known = ended.map(|p| p.ended = true).is_some();
                match known {
                    true => {
                        self.held.push(event);
                        if !self.open() {
                            self.judge(host)?;
                            self.flush(out, host)?;
                        }
                    }
                    false if self.open() => self.held.push(event),
                    false => self.pass(event, out, host)?,
                }
            }
            _ if self.open() => self.held.push(event),
            _ => self.pass(event, out, host)?,
        }
        Ok(())
    }

    /// Judge the ended held calls in the order they started.
    fn judge(&mut self, host: &mut dyn Host) -> Result<(), Error> {
        for p in self.pending.iter_mut().filter(|p| p.ended) {
            p.verdict = self.session.judge_call(&p.name, &p.arguments);
            if let Some(found) = &p.verdict {
                host.log(
                    true,
                    &format!("loop detected in the answer: {}", found.what()),
                );
                let config = &self.session.config;
                if config.action == Action::Abort {
                    return Err(abort_error(found, config.abort_status));
                }
            }
        }
        Ok(())
    }

    /// Let the held events out, applying the verdicts.
    fn flush(&mut self, out: &mut Vec<StreamEvent>, host: &mut dyn Host) -> Result<(), Error> {
        let held = std::mem::take(&mut self.held);
        let pending = std::mem::take(&mut self.pending);
        let replaced = |index: u32| {
            pending
                .iter()
                .find(|p| p.index == index)
                .and_then(|p| p.verdict.as_ref())
        };
        for event in held {
            match event {
                StreamEvent::ToolCallStart(start) => match replaced(start.index) {
                    Some(found) => {
                        self.removed.push(start.index);
                        out.push(StreamEvent::TextDelta(note(
                            self.text_before,
                            steer_call(found),
                        )));
                        self.text_before = true;
                    }
                    None => {
                        self.kept += 1;
                        out.push(StreamEvent::ToolCallStart(ToolCallStart {
                            index: self.renumber(start.index),
                            ..start
                        }));
                    }
                },
                StreamEvent::ToolCallDelta(delta) => {
                    if replaced(delta.index).is_none() {
                        out.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                            index: self.renumber(delta.index),
                            ..delta
                        }));
                    }
                }
                StreamEvent::ToolCallEnd(index) => {
                    if replaced(index).is_none() {
                        out.push(StreamEvent::ToolCallEnd(self.renumber(index)));
                    }
                }
                other => self.pass(other, out, host)?,
            }
        }
        Ok(())
    }

    /// A kept call's index, moved down past the replaced calls before it so
    /// indices stay dense.
    fn renumber(&self, index: u32) -> u32 {
        let before = self.removed.iter().filter(|&&r| r < index).count() as u32;
        index - before
    }

    /// Pass an event that is not part of a held call: check text, fix the
    /// finish reason.
    fn pass(
        &mut self,
        event: StreamEvent,
        out: &mut Vec<StreamEvent>,
        host: &mut dyn Host,
    ) -> Result<(), Error> {
        match event {
            StreamEvent::TextDelta(_) if self.cut => {}
            StreamEvent::TextDelta(text) => {
                let found = self.detector.as_mut().and_then(|d| d.feed(&text));
                let Some(f) = found else {
                    self.text_before |= !text.is_empty();
                    out.push(StreamEvent::TextDelta(text));
                    return Ok(());
                };
                let found = Loop::Text {
                    sample: f.sample,
                    chars: f.chars,
                    repeats: f.repeats,
                };
                host.log(
                    true,
                    &format!("loop detected in the answer: {}", found.what()),
                );
                let config = &self.session.config;
                if config.action == Action::Abort {
                    return Err(abort_error(&found, config.abort_status));
                }
                let head = &text[..f.end];
                if !head.is_empty() {
                    out.push(StreamEvent::TextDelta(head.to_string()));
                }
                out.push(StreamEvent::TextDelta(steer_text(&found)));
                self.text_before = true;
                self.cut = true;
            }
            StreamEvent::Finish(FinishReason::ToolCalls)
                if !self.removed.is_empty() && self.kept == 0 =>
            {
                out.push(StreamEvent::Finish(FinishReason::Stop));
            }
            other => out.push(other),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::guard::tests::{MemHost, request, response, tool_call};
    use crate::guard::{on_request, on_response};
    use crate::history::tests::bash_history;
    use crate::types::{ContentPart, Response, StreamStart, ToolCall, Usage};

    /// The events of a whole answer, with text and arguments split small,
    /// the way a provider decodes a stream.
    fn events_of(resp: &Response) -> Vec<StreamEvent> {
        let mut events = vec![StreamEvent::Start(StreamStart {
            id: resp.id.clone(),
            model: resp.model.clone(),
            created: None,
            extra: None,
        })];
        let mut index = 0;
        for part in &resp.content {
            match part {
                ContentPart::Text(t) => {
                    let chars: Vec<char> = t.chars().collect();
                    for piece in chars.chunks(3) {
                        events.push(StreamEvent::TextDelta(piece.iter().collect()));
                    }
                }
                ContentPart::ToolCall(c) => {
                    events.push(StreamEvent::ToolCallStart(ToolCallStart {
                        index,
                        id: c.id.clone(),
                        name: c.name.clone(),
                    }));
                    let chars: Vec<char> = c.arguments.chars().collect();
                    for piece in chars.chunks(5) {
                        events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                            index,
                            arguments: piece.iter().collect(),
                        }));
                    }
                    events.push(StreamEvent::ToolCallEnd(index));
                    index += 1;
                }
                _ => {}
            }
        }
        events.push(StreamEvent::Usage(Usage {
            input_tokens: 1,
            output_tokens: 1,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        }));
        if let Some(f) = &resp.finish_reason {
            events.push(StreamEvent::Finish(f.clone()));
        }
        events
    }

    /// What a client assembles from events: merged text and calls, and the
    /// error if the stream failed.
    fn assemble(
        events: &[StreamEvent],
    ) -> (Vec<ContentPart>, Option<FinishReason>, Option<String>) {
        let mut content: Vec<ContentPart> = Vec::new();
        let mut calls: Vec<(u32, usize)> = Vec::new();
        let mut finish = None;
        let mut error = None;
        for e in events {
            match e {
                StreamEvent::TextDelta(t) => match content.last_mut() {
                    Some(ContentPart::Text(last)) => last.push_str(t),
                    _ => content.push(ContentPart::Text(t.clone())),
                },
                StreamEvent::ToolCallStart(s) => {
                    calls.push((s.index, content.len()));
                    content.push(ContentPart::ToolCall(ToolCall {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        arguments: String::new(),
                    }));
                }
                StreamEvent::ToolCallDelta(d) => {
                    if let Some((_, at)) = calls.iter().find(|(i, _)| *i == d.index)
                        && let ContentPart::ToolCall(c) = &mut content[*at]
                    {
                        c.arguments.push_str(&d.arguments);
                    }
                }
                StreamEvent::Finish(f) => finish = Some(f.clone()),
                StreamEvent::Error(e) => error = Some(e.message.clone()),
                _ => {}
            }
        }
        (content, finish, error)
    }

    /// Check the grammar: start first, every call started once and ended,
    /// deltas only inside their call, usage/finish last.
    fn check_grammar(events: &[StreamEvent]) {
        assert!(
            matches!(events.first(), Some(StreamEvent::Start(_))),
            "{events:?}"
        );
        let mut open = Vec::new();
        let mut seen = Vec::new();
        let mut tail = false;
        for e in &events[1..] {
            match e {
                StreamEvent::Start(_) => panic!("second start"),
                StreamEvent::ToolCallStart(s) => {
                    assert!(!tail && !seen.contains(&s.index));
                    seen.push(s.index);
                    open.push(s.index);
                }
                StreamEvent::ToolCallDelta(d) => assert!(open.contains(&d.index)),
                StreamEvent::ToolCallEnd(i) => {
                    assert!(open.contains(i));
                    open.retain(|o| o != i);
                }
                StreamEvent::Usage(_) | StreamEvent::Finish(_) => tail = true,
                StreamEvent::Error(_) => {}
                _ => assert!(!tail, "content after usage/finish"),
            }
        }
        assert!(open.is_empty(), "calls left open");
        let mut indices = seen.clone();
        indices.sort_unstable();
        assert_eq!(
            indices,
            (0..seen.len() as u32).collect::<Vec<_>>(),
            "dense indices"
        );
    }

    /// Run `events` through a fresh guard for `session`, in the batches
    /// `sizes` gives (cycled), as a client would see them.
    fn run(session: &Session, events: &[StreamEvent], sizes: &[usize]) -> Vec<StreamEvent> {
        let mut host = MemHost::default();
        let mut guard = StreamGuard::new(session.clone());
        let mut out = Vec::new();
        let mut rest = events;
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].clamp(1, rest.len());
            i += 1;
            let (batch, tail) = rest.split_at(n);
            rest = tail;
            match guard.on_events(batch.to_vec(), &mut host) {
                Ok(events) => out.extend(events),
                Err(e) => {
                    out.push(StreamEvent::Error(e));
                    return out;
                }
            }
        }
        match guard.finish(&mut host) {
            Ok(events) => out.extend(events),
            Err(e) => out.push(StreamEvent::Error(e)),
        }
        out
    }

    /// Every chunking gives the same result as the whole path.
    fn same_as_whole(session: &Session, resp: &Response) -> Vec<StreamEvent> {
        let events = events_of(resp);
        let whole = on_response(&mut session.clone(), resp.clone(), &mut MemHost::default());
        let mut chunkings: Vec<Vec<usize>> =
            vec![vec![1], vec![events.len()], vec![2, 3], vec![7, 1, 4]];
        let mut x: u64 = 42;
        for _ in 0..40 {
            let sizes = (0..8)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    1 + ((x >> 33) % 9) as usize
                })
                .collect();
            chunkings.push(sizes);
        }
        // Every single split point too.
        for k in 1..events.len() {
            chunkings.push(vec![k, events.len()]);
        }
        let mut first = None;
        for sizes in chunkings {
            let out = run(session, &events, &sizes);
            let (content, finish, error) = assemble(&out);
            match &whole {
                Ok(w) => {
                    check_grammar(&out);
                    assert_eq!(error, None, "{sizes:?}");
                    assert_eq!(content, merged(&w.content), "{sizes:?}");
                    assert_eq!(finish, w.finish_reason, "{sizes:?}");
                }
                Err(e) => assert_eq!(error.as_ref(), Some(&e.message), "{sizes:?}"),
            }
            first.get_or_insert(out);
        }
        first.unwrap_or_default()
    }

    /// Adjacent text parts merged (as a client sees a stream).
    fn merged(parts: &[ContentPart]) -> Vec<ContentPart> {
        let mut out: Vec<ContentPart> = Vec::new();
        for p in parts {
            match (out.last_mut(), p) {
                (Some(ContentPart::Text(a)), ContentPart::Text(b)) => a.push_str(b),
                _ => out.push(p.clone()),
            }
        }
        out
    }

    fn session(config: Config, history: &[&str]) -> Session {
        on_request(
            config,
            request(bash_history(history)),
            &mut MemHost::default(),
        )
        .1
    }

    fn abort() -> Config {
        Config {
            action: crate::config::Action::Abort,
            ..Config::default()
        }
    }

    #[test]
    fn a_repeated_call_is_replaced_in_every_chunking() {
        let resp = response(
            vec![
                ContentPart::Text("Let me list the files again.".into()),
                tool_call("c3", "ls"),
            ],
            FinishReason::ToolCalls,
        );
        let out = same_as_whole(&session(Config::default(), &["ls", "ls"]), &resp);
        let (content, finish, _) = assemble(&out);
        assert_eq!(finish, Some(FinishReason::Stop));
        assert!(
            matches!(&content[..], [ContentPart::Text(t)] if t.contains("[loop-guard] Loop detected"))
        );
    }

    #[test]
    fn a_repeated_call_aborts_in_every_chunking() {
        let resp = response(vec![tool_call("c3", "ls")], FinishReason::ToolCalls);
        let out = same_as_whole(&session(abort(), &["ls", "ls"]), &resp);
        let (_, _, error) = assemble(&out);
        assert!(error.is_some_and(|e| e.contains("loop detected")));
    }

    #[test]
    fn new_calls_pass_unchanged() {
        let resp = response(
            vec![
                ContentPart::Text("Next.".into()),
                tool_call("c3", "pwd"),
                tool_call("c4", "cat a"),
            ],
            FinishReason::ToolCalls,
        );
        let s = session(abort(), &["ls", "ls"]);
        let out = same_as_whole(&s, &resp);
        assert_eq!(out, events_of(&resp));
    }

    #[test]
    fn the_middle_of_parallel_calls_is_replaced_and_indices_stay_dense() {
        let resp = response(
            vec![
                tool_call("a", "ls"),
                tool_call("b", "ls"),
                tool_call("c", "ls"),
                tool_call("d", "pwd"),
            ],
            FinishReason::ToolCalls,
        );
        let out = same_as_whole(&session(Config::default(), &[]), &resp);
        let (content, finish, _) = assemble(&out);
        assert_eq!(finish, Some(FinishReason::ToolCalls));
        assert!(
            matches!(
                &content[..],
                [ContentPart::ToolCall(a), ContentPart::ToolCall(b), ContentPart::Text(_), ContentPart::ToolCall(d)]
                    if a.id == "a" && b.id == "b" && d.id == "d"
            ),
            "{content:?}"
        );
    }

    #[test]
    fn interleaved_calls_are_held_until_both_end() {
        let s = session(Config::default(), &["ls", "ls"]);
        let start = |index, id: &str| {
            StreamEvent::ToolCallStart(ToolCallStart {
                index,
                id: id.into(),
                name: "Bash".into(),
            })
        };
        let delta = |index, a: &str| {
            StreamEvent::ToolCallDelta(ToolCallDelta {
                index,
                arguments: a.into(),
            })
        };
        let events = vec![
            StreamEvent::Start(StreamStart {
                id: "r".into(),
                model: "m".into(),
                created: None,
                extra: None,
            }),
            start(0, "a"),
            start(1, "b"),
            delta(0, r#"{"command":"#),
            delta(1, r#"{"command":"pwd"}"#),
            delta(0, r#""ls"}"#),
            StreamEvent::ToolCallEnd(1),
            StreamEvent::TextDelta("odd text".into()),
            StreamEvent::ToolCallEnd(0),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ];
        for sizes in [vec![1], vec![3], vec![events.len()]] {
            let out = run(&s, &events, &sizes);
            check_grammar(&out);
            let (content, _, _) = assemble(&out);
            // Call 0 (ls, a third time) is replaced, judged first as it
            // started first; call 1 keeps its place and moves to index 0.
            assert!(
                matches!(&content[..], [ContentPart::Text(t), ContentPart::ToolCall(b), ContentPart::Text(o)]
                if t.starts_with("[loop-guard]") && o == "odd text" && b.id == "b" && b.arguments == r#"{"command":"pwd"}"#),
                "{content:?}"
            );
        }
    }

    #[test]
    fn text_before_a_call_is_not_delayed() {
        let s = session(Config::default(), &[]);
        let mut host = MemHost::default();
        let mut guard = StreamGuard::new(s);
        let out = guard
            .on_events(vec![StreamEvent::TextDelta("hello".into())], &mut host)
            .unwrap_or_default();
        assert_eq!(out, vec![StreamEvent::TextDelta("hello".into())]);
        let out = guard
            .on_events(
                vec![StreamEvent::ToolCallStart(ToolCallStart {
                    index: 0,
                    id: "x".into(),
                    name: "Bash".into(),
                })],
                &mut host,
            )
            .unwrap_or_default();
        assert!(out.is_empty());
        // The stream ends with the call still open: it is let out unjudged.
        let out = guard.finish(&mut host).unwrap_or_default();
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn repeated_text_is_cut_in_every_chunking() {
        let sentence = "I need to check the configuration again. ";
        let resp = response(
            vec![ContentPart::Text(format!(
                "Hmm. {}The end.",
                sentence.repeat(5)
            ))],
            FinishReason::Stop,
        );
        let out = same_as_whole(&Session::new(Config::default()), &resp);
        let (content, _, _) = assemble(&out);
        let [ContentPart::Text(t)] = &content[..] else {
            panic!("{content:?}");
        };
        assert!(
            t.contains("answer was cut off") && !t.contains("The end."),
            "{t}"
        );
        same_as_whole(&Session::new(abort()), &resp);
    }

    #[test]
    fn a_call_after_cut_text_still_passes() {
        let sentence = "I need to check the configuration again. ";
        let resp = response(
            vec![ContentPart::Text(sentence.repeat(4)), tool_call("c", "pwd")],
            FinishReason::ToolCalls,
        );
        let out = same_as_whole(&Session::new(Config::default()), &resp);
        let (content, _, _) = assemble(&out);
        assert!(matches!(
            &content[..],
            [ContentPart::Text(_), ContentPart::ToolCall(_)]
        ));
    }

    #[test]
    fn after_an_error_nothing_more() {
        let resp = response(vec![tool_call("c3", "ls")], FinishReason::ToolCalls);
        let mut host = MemHost::default();
        let mut guard = StreamGuard::new(session(abort(), &["ls", "ls"]));
        let events = events_of(&resp);
        let mut failed = false;
        for e in events {
            match guard.on_events(vec![e], &mut host) {
                Err(_) => failed = true,
                Ok(out) => assert!(!failed || out.is_empty()),
            }
        }
        assert!(failed);
        assert_eq!(guard.finish(&mut host), Ok(vec![]));
    }
}
