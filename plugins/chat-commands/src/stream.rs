//! The confirmation line on a streamed answer: one text delta injected
//! after `start` (and any leading thinking), before the first text, tool
//! call, usage or finish, exactly where a whole answer gets it. Nothing is
//! held back; after an `error` nothing is injected.

use crate::types::StreamEvent;

/// Injects a confirmation line once.
#[derive(Debug, Default)]
pub struct Confirmer {
    /// The line, until injected (or dropped after an error).
    line: Option<String>,
}

impl Confirmer {
    /// A confirmer for `line` (`None`: events pass untouched).
    pub fn new(line: Option<String>) -> Self {
        Confirmer { line }
    }

    /// The events to pass on.
    pub fn on_events(&mut self, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        if self.line.is_none() {
            return events;
        }
        let mut out = Vec::with_capacity(events.len() + 1);
        for event in events {
            match &event {
                StreamEvent::Start(_) | StreamEvent::ThinkingDelta(_) => {}
                StreamEvent::Error(_) => self.line = None,
                _ => {
                    if let Some(line) = self.line.take() {
                        out.push(StreamEvent::TextDelta(line));
                    }
                }
            }
            out.push(event);
        }
        out
    }

    /// The stream ended: the line if it never found its place (a stream
    /// without content, usage or finish).
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        self.line
            .take()
            .map(StreamEvent::TextDelta)
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Error, ErrorKind, FinishReason, StreamStart, ThinkingDelta};

    fn start() -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: "s".into(),
            model: "m".into(),
            created: None,
            extra: None,
        })
    }

    fn text(t: &str) -> StreamEvent {
        StreamEvent::TextDelta(t.into())
    }

    #[test]
    fn injects_once_before_the_first_content() {
        let mut c = Confirmer::new(Some("[c]\n\n".into()));
        assert_eq!(c.on_events(vec![start()]), vec![start()]);
        let thinking = StreamEvent::ThinkingDelta(ThinkingDelta {
            text: "hm".into(),
            signature: None,
            redacted: false,
        });
        assert_eq!(c.on_events(vec![thinking.clone()]), vec![thinking]);
        assert_eq!(
            c.on_events(vec![text("Hel"), text("lo")]),
            vec![text("[c]\n\n"), text("Hel"), text("lo")]
        );
        assert_eq!(c.on_events(vec![text("!")]), vec![text("!")]);
        assert_eq!(c.finish(), vec![]);
    }

    #[test]
    fn empty_answers_and_errors() {
        let finish = StreamEvent::Finish(FinishReason::Stop);
        let mut c = Confirmer::new(Some("[c]".into()));
        assert_eq!(
            c.on_events(vec![start(), finish.clone()]),
            vec![start(), text("[c]"), finish]
        );
        let error = StreamEvent::Error(Error {
            kind: ErrorKind::Upstream,
            message: "x".into(),
            status: 502,
            retryable: true,
        });
        let mut c = Confirmer::new(Some("[c]".into()));
        assert_eq!(
            c.on_events(vec![start(), error.clone()]),
            vec![start(), error]
        );
        assert_eq!(c.finish(), vec![]);
        let mut c = Confirmer::new(Some("[c]".into()));
        c.on_events(vec![start()]);
        assert_eq!(c.finish(), vec![text("[c]")]);
        let mut c = Confirmer::new(None);
        assert_eq!(
            c.on_events(vec![start(), text("a")]),
            vec![start(), text("a")]
        );
    }
}
