//! Server-sent-events framing: raw body bytes, split anywhere, in; the
//! `event` name and `data` payload of each complete event out.

use std::fmt;

/// Longest line the parser buffers before giving up on the stream.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// A line grew past [`MAX_LINE_BYTES`] without ending.
#[derive(Debug, PartialEq, Eq)]
pub struct LineTooLong;

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("upstream stream sent a line longer than the decoder accepts")
    }
}

/// One complete event.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field (`""` when absent).
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// An incremental SSE parser.
///
/// Lines end with `\n` (a `\r` before it is dropped); a blank line ends an
/// event. Only `event:` and `data:` fields matter: one optional space after
/// the colon is stripped and several data lines are joined with `\n`.
/// Comment lines (starting with `:`) and other fields are ignored; an event
/// without data is not dispatched.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet ended (its buffer is kept between lines).
    pending: Vec<u8>,
    /// The `event:` name of the event being read.
    event: String,
    /// Data lines of the event being read, joined with `\n`.
    data: String,
    /// True once the event being read has any data line.
    has_data: bool,
}

impl SseParser {
    /// Take more body bytes; return the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, LineTooLong> {
        let mut events = Vec::new();
        let mut rest = bytes;
        // memchr scans a word at a time; a byte loop cost a tenth of a
        // streamed answer's decoding.
        while let Some(pos) = memchr::memchr(b'\n', rest) {
            let line = &rest[..pos];
            rest = &rest[pos + 1..];
            let event = if self.pending.is_empty() {
                // The whole line is in this chunk: read it where it lies.
                self.line(line)
            } else {
                let mut pending = std::mem::take(&mut self.pending);
                pending.extend_from_slice(line);
                let event = self.line(&pending);
                pending.clear();
                self.pending = pending;
                event
            };
            events.extend(event);
        }
        self.pending.extend_from_slice(rest);
        if self.pending.len() > MAX_LINE_BYTES {
            return Err(LineTooLong);
        }
        Ok(events)
    }

    /// The body ended: treat an unterminated last line and event as
    /// complete and return the last event, if any.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.pending);
        if !line.is_empty()
            && let Some(event) = self.line(&line)
        {
            return Some(event);
        }
        self.dispatch()
    }

    /// Handle one line (without its `\n`); a blank line returns the event
    /// it ends.
    fn line(&mut self, line: &[u8]) -> Option<SseEvent> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(b":") {
            return None;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                push_text(&mut self.data, value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                push_text(&mut self.event, value);
            }
            _ => {}
        }
        None
    }

    /// End the current event, returning it when it had data.
    fn dispatch(&mut self) -> Option<SseEvent> {
        let data = std::mem::take(&mut self.data);
        let event = std::mem::take(&mut self.event);
        std::mem::take(&mut self.has_data).then_some(SseEvent { event, data })
    }
}

/// Append `bytes` as text: as they stand when they are UTF-8 (checked a
/// word at a time, where `from_utf8_lossy` goes a character at a time),
/// else with U+FFFD for each invalid sequence.
fn push_text(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::splits;

    fn all(parts: &[&[u8]]) -> Vec<(String, String)> {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        for part in parts {
            out.extend(p.feed(part).unwrap_or_default());
        }
        out.extend(p.finish());
        out.into_iter().map(|e| (e.event, e.data)).collect()
    }

    fn pair(event: &str, data: &str) -> (String, String) {
        (event.to_string(), data.to_string())
    }

    #[test]
    fn lf_and_crlf_events() {
        assert_eq!(
            all(&[b"event: ping\ndata: a\n\ndata: b\r\n\r\n"]),
            vec![pair("ping", "a"), pair("", "b")]
        );
    }

    #[test]
    fn comments_fields_and_multi_line_data() {
        let body = b": keep-alive\n\nevent: x\nid: 3\ndata:one\ndata:  two\nretry: 5\n\n";
        assert_eq!(all(&[body]), vec![pair("x", "one\n two")]);
        // An event name without data is forgotten at the blank line.
        assert_eq!(all(&[b"event: a\n\ndata: b\n\n"]), vec![pair("", "b")]);
    }

    #[test]
    fn split_everywhere() {
        let body =
            "event: e\r\ndata: {\"t\":\"h\u{e9}llo\"}\r\n\r\ndata: [DONE]\r\n\r\n".as_bytes();
        let expected = vec![pair("e", "{\"t\":\"h\u{e9}llo\"}"), pair("", "[DONE]")];
        for split in splits(body, 1, 1) {
            assert_eq!(all(&split.pieces), expected, "{}", split.label);
        }
    }

    #[test]
    fn text_is_utf8_split_anywhere_and_invalid_bytes_are_replaced() {
        let body = "event: é\ndata: naïve ✓ 𝄞\n\n".as_bytes();
        for split in splits(body, 1, 1) {
            assert_eq!(
                all(&split.pieces),
                vec![pair("é", "naïve ✓ 𝄞")],
                "{}",
                split.label
            );
        }
        assert_eq!(
            all(&[b"event: x\xff\ndata: a\xc3(b\n\n"]),
            vec![pair("x\u{fffd}", "a\u{fffd}(b")]
        );
    }

    #[test]
    fn unterminated_last_event_is_flushed() {
        assert_eq!(
            all(&[b"data: a\n\ndata: [DONE]"]),
            vec![pair("", "a"), pair("", "[DONE]")]
        );
        assert_eq!(all(&[b"data: a\n"]), vec![pair("", "a")]);
        assert!(all(&[b": only a comment"]).is_empty());
    }

    #[test]
    fn empty_data_line_is_an_event() {
        assert_eq!(all(&[b"data\n\n"]), vec![pair("", "")]);
    }

    #[test]
    fn overlong_line_is_refused() {
        let mut p = SseParser::default();
        let big = vec![b'x'; MAX_LINE_BYTES + 1];
        assert_eq!(p.feed(&big), Err(LineTooLong));
        assert_eq!(
            LineTooLong.to_string(),
            "upstream stream sent a line longer than the decoder accepts"
        );
    }
}
