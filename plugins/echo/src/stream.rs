//! Streaming echo's answer: the whole body is collected, then replayed as
//! one text delta per word.

use crate::answer;
use crate::types::{Error, FinishReason, StreamEvent, StreamStart};

/// Collects the answer body until the stream ends.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Body bytes so far.
    body: Vec<u8>,
}

impl Decoder {
    /// Keep more body bytes; events only come at the end.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.body.extend_from_slice(chunk);
    }

    /// The whole answer as events: start, the reply word by word, usage
    /// and finish.
    pub fn finish(&mut self, now_ms: u64) -> Result<Vec<StreamEvent>, Error> {
        let answer = answer::read_body(&std::mem::take(&mut self.body))?;
        let mut events = vec![StreamEvent::Start(StreamStart {
            id: answer.id.clone(),
            model: answer.model.clone(),
            created: Some(now_ms / 1000),
            extra: None,
        })];
        events.extend(
            word_chunks(&answer.text)
                .into_iter()
                .map(|w| StreamEvent::TextDelta(w.to_string())),
        );
        events.push(StreamEvent::Usage(answer.usage()));
        events.push(StreamEvent::Finish(FinishReason::Stop));
        Ok(events)
    }
}

/// `text` cut before each word after the first, so every piece is one word
/// with the whitespace that follows it and the pieces join back to `text`.
pub fn word_chunks(text: &str) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut prev_space = false;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if prev_space && !space && i > start {
            chunks.push(&text[start..i]);
            start = i;
        }
        prev_space = space;
    }
    if start < text.len() {
        chunks.push(&text[start..]);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Usage;

    #[test]
    fn chunks_join_back() {
        for text in ["echo: hello  wide\tworld ", " lead", "", "one", "a b"] {
            let chunks = word_chunks(text);
            assert_eq!(chunks.concat(), text);
        }
        assert_eq!(
            word_chunks("echo: hi there"),
            vec!["echo: ", "hi ", "there"]
        );
    }

    #[test]
    fn stream_events() {
        let mut d = Decoder::default();
        let body = br#"{"id":"echo-1","model":"echo","text":"echo: hi you","input_tokens":2,"output_tokens":3}"#;
        let (a, b) = body.split_at(17);
        d.feed(a);
        d.feed(b);
        let events = d.finish(5000);
        assert_eq!(
            events,
            Ok(vec![
                StreamEvent::Start(StreamStart {
                    id: "echo-1".into(),
                    model: "echo".into(),
                    created: Some(5),
                    extra: None,
                }),
                StreamEvent::TextDelta("echo: ".into()),
                StreamEvent::TextDelta("hi ".into()),
                StreamEvent::TextDelta("you".into()),
                StreamEvent::Usage(Usage {
                    input_tokens: 2,
                    output_tokens: 3,
                    cached_input_tokens: None,
                    cache_write_tokens: None,
                    reasoning_tokens: None,
                }),
                StreamEvent::Finish(FinishReason::Stop),
            ])
        );
    }

    #[test]
    fn empty_body_is_an_error() {
        assert!(Decoder::default().finish(0).is_err());
    }
}
