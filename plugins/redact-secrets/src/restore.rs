//! Putting the real values back into answers (`restore: true`).
//!
//! Only placeholders this request made are restored; anything else that
//! looks like one is left as it is. In tool-call arguments (JSON text) the
//! value is inserted JSON-escaped, since the placeholder stands inside a JSON
//! string there. Reasoning is never changed (providers check its signature).
//!
//! Streams: text deltas and each tool call's argument deltas are scanned as
//! they come; only a tail that could still grow into one of this request's
//! placeholders (such as `[[REDAC`) is held back, and released with the next
//! delta, before any other event, or at the end.

use std::collections::{BTreeMap, HashMap};

use crate::redact::openings;
use crate::types::{ContentPart, Response, StreamEvent, ToolCallDelta};

/// Placeholder → secret for one request.
#[derive(Debug, Clone, Default)]
pub struct Restorer {
    /// Placeholder → secret.
    map: HashMap<String, String>,
    /// Length of the longest placeholder.
    longest: usize,
}

impl Restorer {
    /// A restorer for these placeholder → secret pairs.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        let longest = pairs.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
        Restorer {
            map: pairs.into_iter().collect(),
            longest,
        }
    }

    /// True when there is nothing to restore.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// `text` with this request's placeholders replaced by their secrets
    /// (JSON-escaped when `json`); `None` when there were none.
    pub fn restore(&self, text: &str, json: bool) -> Option<String> {
        let mut out = String::new();
        let mut copied = 0;
        for (at, end) in openings(text) {
            let Some(end) = end else {
                continue;
            };
            let Some(secret) = self.map.get(&text[at..end]) else {
                continue;
            };
            out.push_str(&text[copied..at]);
            if json {
                out.push_str(&json_escape(secret));
            } else {
                out.push_str(secret);
            }
            copied = end;
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&text[copied..]);
        Some(out)
    }

    /// Where the tail of `text` that may still become one of this request's
    /// placeholders starts (`text.len()` when there is none).
    fn hold_from(&self, text: &str) -> usize {
        let b = text.as_bytes();
        let start = b.len().saturating_sub(self.longest.saturating_sub(1));
        (start..b.len())
            .filter(|&p| b[p] == b'[')
            .find(|&p| {
                let tail = &text[p..];
                self.map
                    .keys()
                    .any(|k| k.len() > tail.len() && k.starts_with(tail))
            })
            .unwrap_or(b.len())
    }
}

/// `s` as the inside of a JSON string literal.
fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string()
}

/// Restore placeholders in a whole answer's text and tool-call arguments.
pub fn restore_response(r: &Restorer, mut resp: Response) -> Response {
    if r.is_empty() {
        return resp;
    }
    for part in &mut resp.content {
        match part {
            ContentPart::Text(t) => {
                if let Some(new) = r.restore(t, false) {
                    *t = new;
                }
            }
            ContentPart::ToolCall(c) => {
                if let Some(new) = r.restore(&c.arguments, true) {
                    c.arguments = new;
                }
            }
            _ => {}
        }
    }
    resp
}

/// Restores placeholders in a streamed answer.
#[derive(Debug, Default)]
pub struct StreamRestorer {
    /// The request's mapping.
    restorer: Restorer,
    /// Text held back: a possible start of a placeholder.
    text: String,
    /// Argument text held back per tool-call index.
    calls: BTreeMap<u32, String>,
}

impl StreamRestorer {
    /// A stream restorer for this mapping.
    pub fn new(restorer: Restorer) -> Self {
        StreamRestorer {
            restorer,
            text: String::new(),
            calls: BTreeMap::new(),
        }
    }

    /// The events to pass on for these events.
    pub fn on_events(&mut self, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        if self.restorer.is_empty() {
            return events;
        }
        let mut out = Vec::with_capacity(events.len() + 1);
        for event in events {
            match event {
                StreamEvent::TextDelta(delta) => {
                    let mut text = std::mem::take(&mut self.text);
                    text.push_str(&delta);
                    let (ready, held) = self.split(text, false);
                    self.text = held;
                    if !ready.is_empty() {
                        out.push(StreamEvent::TextDelta(ready));
                    }
                }
                StreamEvent::ToolCallDelta(d) => {
                    let mut text = self.calls.remove(&d.index).unwrap_or_default();
                    text.push_str(&d.arguments);
                    let (ready, held) = self.split(text, true);
                    if !held.is_empty() {
                        self.calls.insert(d.index, held);
                    }
                    if !ready.is_empty() {
                        out.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                            index: d.index,
                            arguments: ready,
                        }));
                    }
                }
                StreamEvent::ToolCallEnd(index) => {
                    self.flush_text(&mut out);
                    self.flush_call(index, &mut out);
                    out.push(StreamEvent::ToolCallEnd(index));
                }
                StreamEvent::Usage(_) | StreamEvent::Finish(_) | StreamEvent::Error(_) => {
                    self.flush_all(&mut out);
                    out.push(event);
                }
                other => {
                    self.flush_text(&mut out);
                    out.push(other);
                }
            }
        }
        out
    }

    /// The stream ended: everything still held.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        self.flush_all(&mut out);
        out
    }

    /// Split `text` into the restored part ready to go and the tail to hold.
    fn split(&self, mut text: String, json: bool) -> (String, String) {
        let held = text.split_off(self.restorer.hold_from(&text));
        let ready = self.restorer.restore(&text, json).unwrap_or(text);
        (ready, held)
    }

    /// Emit held text.
    fn flush_text(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.text.is_empty() {
            out.push(StreamEvent::TextDelta(std::mem::take(&mut self.text)));
        }
    }

    /// Emit held arguments of the call at `index`.
    fn flush_call(&mut self, index: u32, out: &mut Vec<StreamEvent>) {
        if let Some(arguments) = self.calls.remove(&index).filter(|a| !a.is_empty()) {
            out.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                index,
                arguments,
            }));
        }
    }

    /// Emit everything held.
    fn flush_all(&mut self, out: &mut Vec<StreamEvent>) {
        self.flush_text(out);
        let indexes: Vec<u32> = self.calls.keys().copied().collect();
        for index in indexes {
            self.flush_call(index, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FinishReason, StreamStart, ToolCall, ToolCallStart};

    fn restorer() -> Restorer {
        Restorer::new(vec![
            ("[[REDACTED:openai_key:1]]".into(), "sk-REAL1".into()),
            (
                "[[REDACTED:private_key:1]]".into(),
                "-----BEGIN X\n\"q\"".into(),
            ),
            ("[[REDACTED:token:1]]".into(), "t1".into()),
            ("[[REDACTED:token:12]]".into(), "t12".into()),
        ])
    }

    #[test]
    fn whole_text_and_json() {
        let r = restorer();
        assert_eq!(
            r.restore(
                "a [[REDACTED:openai_key:1]] b [[REDACTED:openai_key:2]] [[REDACTED:token:12]]",
                false
            )
            .unwrap(),
            "a sk-REAL1 b [[REDACTED:openai_key:2]] t12"
        );
        assert_eq!(r.restore("nothing [[REDACTED:x:1]] here", false), None);
        assert_eq!(
            r.restore(r#"{"k":"[[REDACTED:private_key:1]]"}"#, true)
                .unwrap(),
            r#"{"k":"-----BEGIN X\n\"q\""}"#
        );
    }

    #[test]
    fn hold_only_possible_placeholders() {
        let r = restorer();
        assert_eq!(r.hold_from("abc"), 3);
        assert_eq!(r.hold_from("abc [[RED"), 4);
        assert_eq!(r.hold_from("abc ["), 4);
        assert_eq!(r.hold_from("abc [x"), 6);
        assert_eq!(r.hold_from("abc [[REDACTED:token:1"), 4);
        assert_eq!(r.hold_from("[[REDACTED:token:1]]"), 20);
        assert_eq!(r.hold_from("[[REDACTED:jwt:"), 15);
    }

    #[test]
    fn response_parts() {
        let resp = Response {
            id: "r".into(),
            model: "m".into(),
            created: None,
            content: vec![
                ContentPart::Text("key [[REDACTED:openai_key:1]]".into()),
                ContentPart::ToolCall(ToolCall {
                    id: "c".into(),
                    name: "Bash".into(),
                    arguments: r#"{"command":"echo [[REDACTED:token:1]]"}"#.into(),
                }),
            ],
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            extra: None,
        };
        let out = restore_response(&restorer(), resp.clone());
        assert_eq!(out.content[0], ContentPart::Text("key sk-REAL1".into()));
        assert!(
            matches!(&out.content[1], ContentPart::ToolCall(c) if c.arguments == r#"{"command":"echo t1"}"#)
        );
        assert_eq!(restore_response(&Restorer::default(), resp.clone()), resp);
    }

    fn text_of(events: &[StreamEvent]) -> String {
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn stream_text_every_split() {
        let answer =
            "Use [[REDACTED:openai_key:1]] and [[REDACTED:token:12]] or [[REDACTED:token:1]] [[x";
        let want = "Use sk-REAL1 and t12 or t1 [[x";
        let chars: Vec<char> = answer.chars().collect();
        for a in 0..=chars.len() {
            for b in a..=chars.len() {
                let pieces = [&chars[..a], &chars[a..b], &chars[b..]];
                let mut s = StreamRestorer::new(restorer());
                let mut out = Vec::new();
                for piece in pieces {
                    out.extend(s.on_events(vec![StreamEvent::TextDelta(piece.iter().collect())]));
                }
                out.extend(s.on_events(vec![StreamEvent::Finish(FinishReason::Stop)]));
                out.extend(s.finish());
                assert_eq!(text_of(&out), want, "split {a} {b}");
                assert!(
                    out.iter()
                        .all(|e| !matches!(e, StreamEvent::TextDelta(t) if t.is_empty()))
                );
                assert_eq!(out.last(), Some(&StreamEvent::Finish(FinishReason::Stop)));
            }
        }
    }

    #[test]
    fn stream_text_flushed_before_other_events() {
        let mut s = StreamRestorer::new(restorer());
        let start = StreamEvent::ToolCallStart(ToolCallStart {
            index: 0,
            id: "c".into(),
            name: "f".into(),
        });
        let out = s.on_events(vec![
            StreamEvent::TextDelta("a [[RED".into()),
            start.clone(),
        ]);
        assert_eq!(
            out,
            vec![
                StreamEvent::TextDelta("a ".into()),
                StreamEvent::TextDelta("[[RED".into()),
                start
            ]
        );
        assert!(s.finish().is_empty());
    }

    #[test]
    fn stream_tool_calls_keep_order() {
        let args = r#"{"command":"curl -H 'X: [[REDACTED:private_key:1]]' [[REDACTED:token:1]]"}"#;
        let want = r#"{"command":"curl -H 'X: -----BEGIN X\n\"q\"' t1"}"#;
        let chars: Vec<char> = args.chars().collect();
        for size in 1..=chars.len() {
            let mut events = vec![StreamEvent::Start(StreamStart {
                id: "s".into(),
                model: "m".into(),
                created: None,
                extra: None,
            })];
            events.push(StreamEvent::ToolCallStart(ToolCallStart {
                index: 0,
                id: "c".into(),
                name: "Bash".into(),
            }));
            for piece in chars.chunks(size) {
                events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                    index: 0,
                    arguments: piece.iter().collect(),
                }));
            }
            events.push(StreamEvent::ToolCallEnd(0));
            events.push(StreamEvent::Finish(FinishReason::ToolCalls));
            // One event per call, and all at once.
            for grouped in [false, true] {
                let mut s = StreamRestorer::new(restorer());
                let mut out = Vec::new();
                if grouped {
                    out.extend(s.on_events(events.clone()));
                } else {
                    for e in &events {
                        out.extend(s.on_events(vec![e.clone()]));
                    }
                }
                out.extend(s.finish());
                let got: String = out
                    .iter()
                    .filter_map(|e| match e {
                        StreamEvent::ToolCallDelta(d) => Some(d.arguments.as_str()),
                        _ => None,
                    })
                    .collect();
                assert_eq!(got, want, "size {size}");
                let end = out.iter().position(|e| *e == StreamEvent::ToolCallEnd(0));
                let last_delta = out
                    .iter()
                    .rposition(|e| matches!(e, StreamEvent::ToolCallDelta(_)));
                assert!(last_delta < end);
                assert_eq!(
                    out.last(),
                    Some(&StreamEvent::Finish(FinishReason::ToolCalls))
                );
            }
        }
    }

    #[test]
    fn empty_mapping_passes_through() {
        let mut s = StreamRestorer::new(Restorer::default());
        let events = vec![
            StreamEvent::TextDelta(String::new()),
            StreamEvent::TextDelta("[[RED".into()),
        ];
        assert_eq!(s.on_events(events.clone()), events);
    }
}
