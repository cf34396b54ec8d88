//! Server-sent-events framing: raw body bytes, split anywhere, in; the
//! `data` payload of each complete event out.

/// Longest line the parser buffers before giving up on the stream.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// The body broke the SSE framing rules this parser can live with.
#[derive(Debug, PartialEq, Eq)]
pub struct LineTooLong;

/// An incremental SSE parser.
///
/// Lines end with `\n` (a `\r` before it is dropped); a blank line ends an
/// event. Only `data:` fields matter: one optional space after the colon is
/// stripped and several data lines are joined with `\n`. Comment lines
/// (starting with `:`) and other fields are ignored.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet ended.
    pending: Vec<u8>,
    /// Data lines of the event being read.
    data: Vec<String>,
    /// True once the event being read has any data line.
    has_data: bool,
}

impl SseParser {
    /// Take more body bytes; return the payloads of the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, LineTooLong> {
        let mut payloads = Vec::new();
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..pos]);
            rest = &rest[pos + 1..];
            let line = std::mem::take(&mut self.pending);
            if let Some(payload) = self.line(&line) {
                payloads.push(payload);
            }
        }
        self.pending.extend_from_slice(rest);
        if self.pending.len() > MAX_LINE_BYTES {
            return Err(LineTooLong);
        }
        Ok(payloads)
    }

    /// The body ended: treat an unterminated last line and event as
    /// complete and return the last payload, if any.
    pub fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.pending);
        if !line.is_empty()
            && let Some(payload) = self.line(&line)
        {
            return Some(payload);
        }
        self.dispatch()
    }

    /// Handle one line (without its `\n`); a blank line returns the payload
    /// of the event it ends.
    fn line(&mut self, line: &[u8]) -> Option<String> {
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
        if field == b"data" {
            self.data.push(String::from_utf8_lossy(value).into_owned());
            self.has_data = true;
        }
        None
    }

    /// End the current event, returning its payload when it had data.
    fn dispatch(&mut self) -> Option<String> {
        let data = std::mem::take(&mut self.data);
        std::mem::take(&mut self.has_data).then(|| data.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(parts: &[&[u8]]) -> Vec<String> {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        for part in parts {
            out.extend(p.feed(part).unwrap_or_default());
        }
        out.extend(p.finish());
        out
    }

    #[test]
    fn lf_and_crlf_events() {
        assert_eq!(all(&[b"data: a\n\ndata: b\r\n\r\n"]), vec!["a", "b"]);
    }

    #[test]
    fn comments_fields_and_multi_line_data() {
        let body = b": keep-alive\n\nevent: x\nid: 3\ndata:one\ndata:  two\nretry: 5\n\n";
        assert_eq!(all(&[body]), vec!["one\n two"]);
    }

    #[test]
    fn split_everywhere() {
        let body = "data: {\"t\":\"h\u{e9}llo\"}\r\n\r\ndata: [DONE]\r\n\r\n".as_bytes();
        for cut in 0..body.len() {
            assert_eq!(
                all(&[&body[..cut], &body[cut..]]),
                vec!["{\"t\":\"h\u{e9}llo\"}", "[DONE]"],
                "cut at {cut}"
            );
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(all(&bytes), vec!["{\"t\":\"h\u{e9}llo\"}", "[DONE]"]);
    }

    #[test]
    fn unterminated_last_event_is_flushed() {
        assert_eq!(all(&[b"data: a\n\ndata: [DONE]"]), vec!["a", "[DONE]"]);
        assert_eq!(all(&[b"data: a\n"]), vec!["a"]);
        assert!(all(&[b": only a comment"]).is_empty());
    }

    #[test]
    fn empty_data_line_is_an_event() {
        assert_eq!(all(&[b"data\n\n"]), vec![""]);
    }
}
