//! A streamed Messages API body (SSE with `event:` lines) to canonical
//! stream events.
//!
//! Wire grammar: `message_start`, then per content block
//! `content_block_start`, `content_block_delta`…, `content_block_stop`;
//! then `message_delta` (stop reason, output tokens) and `message_stop`.
//! `ping` may come anywhere; an `error` event ends the stream.

use std::collections::BTreeMap;

use serde_json::Value;
use wasmgate_wire::extra;
use wasmgate_wire::json::str_or_empty;
use wasmgate_wire::sse::SseParser;

use crate::fields::{self, WireUsage};
use crate::frame::{self, Frame};
use crate::types::{
    Error, FinishReason, StreamEvent, StreamStart, ThinkingDelta, ToolCallDelta, ToolCallStart,
};
use crate::{WIRE, error};

/// Keys of `message_start.message` with a canonical home.
const KNOWN_MESSAGE_KEYS: &[&str] = &[
    "id",
    "type",
    "role",
    "model",
    "content",
    "stop_reason",
    "usage",
];

/// An open content block.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    /// Text: deltas pass straight through.
    Text,
    /// Reasoning; its signature is held until the block ends.
    Thinking {
        /// The signature seen so far.
        signature: Option<String>,
    },
    /// A tool call with its canonical index.
    Tool {
        /// Canonical `index`: the call's position among this answer's calls.
        index: u32,
        /// True once any argument text was emitted.
        has_arguments: bool,
    },
    /// A block with no canonical home (redacted thinking is sent whole at
    /// its start; server tool blocks are skipped).
    Other,
}

/// Decoder state for one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    /// SSE framing.
    sse: SseParser,
    /// True once `start` was emitted.
    started: bool,
    /// Open content blocks by wire index.
    blocks: BTreeMap<u64, Block>,
    /// Canonical index of the next tool call.
    next_tool: u32,
    /// Token counts so far (`message_start`, then `message_delta`).
    usage: WireUsage,
    /// True once any usage arrived.
    has_usage: bool,
    /// `stop_reason` from `message_delta`.
    stop_reason: Option<String>,
    /// True once `usage` and `finish` were emitted.
    finished: bool,
    /// True once an error ended the answer.
    failed: bool,
}

impl Decoder {
    /// Decode more body bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, Error> {
        let sse_events = self.sse.feed(bytes).map_err(|e| {
            self.failed = true;
            error::upstream(e.to_string(), 502, false)
        })?;
        let mut events = Vec::new();
        for event in sse_events {
            self.payload(&event.event, &event.data, &mut events)?;
        }
        Ok(events)
    }

    /// The body ended: flush what is left. A stream cut before its end
    /// gives an `error` event.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        let mut events = Vec::new();
        if let Some(last) = self.sse.finish() {
            // An unterminated last event counts when it is whole; one cut
            // off mid-line is judged below like any early end.
            let mut more = Vec::new();
            match self.payload(&last.event, &last.data, &mut more) {
                Ok(()) => events.append(&mut more),
                Err(_) => self.failed = false,
            }
        }
        if !self.finished && !self.failed {
            self.failed = true;
            events.push(StreamEvent::Error(error::ended_early()));
        }
        Ok(events)
    }

    /// Handle one SSE event.
    fn payload(
        &mut self,
        name: &str,
        data: &str,
        events: &mut Vec<StreamEvent>,
    ) -> Result<(), Error> {
        if self.finished || self.failed {
            return Ok(());
        }
        let data = data.trim();
        if data.is_empty() {
            return Ok(());
        }
        let frame = match frame::parse(data) {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(e) => {
                self.failed = true;
                return Err(error::upstream(
                    format!("upstream sent invalid JSON in the stream: {e}"),
                    502,
                    false,
                ));
            }
        };
        let kind = frame.kind.as_deref().unwrap_or(name);
        match kind {
            "message_start" => self.message_start(&frame, events),
            "content_block_start" => self.block_start(&frame, events),
            "content_block_delta" => self.block_delta(&frame, events),
            "content_block_stop" => {
                if let Some(block) = frame.index.and_then(|i| self.blocks.remove(&i)) {
                    close_block(block, events);
                }
            }
            "message_delta" => {
                if let Some(reason) = frame.delta.as_ref().and_then(|d| d.stop_reason.as_deref()) {
                    self.stop_reason = Some(reason.to_string());
                }
                self.add_usage(frame.usage.as_ref());
                self.finish_answer(events);
            }
            "message_stop" => self.finish_answer(events),
            "error" => {
                let err = frame.error.as_ref().unwrap_or(&Value::Null);
                events.push(StreamEvent::Error(error::from_error_object(err)));
                self.failed = true;
            }
            // `ping` and anything newer.
            _ => {}
        }
        Ok(())
    }

    /// `message_start`: the `start` event and the prompt's token counts.
    fn message_start(&mut self, frame: &Frame<'_>, events: &mut Vec<StreamEvent>) {
        let message = frame.message.as_ref().unwrap_or(&Value::Null);
        self.add_usage(message.get("usage"));
        if self.started {
            return;
        }
        let rest = message
            .as_object()
            .map(|obj| extra::leftovers(obj, KNOWN_MESSAGE_KEYS))
            .unwrap_or_default();
        self.started = true;
        events.push(StreamEvent::Start(StreamStart {
            id: str_or_empty(message, "id"),
            model: str_or_empty(message, "model"),
            created: None,
            extra: extra::to_text(rest, WIRE),
        }));
    }

    /// Emit an empty `start` when the stream skipped `message_start`.
    fn ensure_started(&mut self, events: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            events.push(StreamEvent::Start(StreamStart {
                id: String::new(),
                model: String::new(),
                created: None,
                extra: None,
            }));
        }
    }

    /// Fold a `usage` object into the counts.
    fn add_usage(&mut self, usage: Option<&Value>) {
        if let Some(usage) = usage.and_then(WireUsage::read) {
            self.usage.update(usage);
            self.has_usage = true;
        }
    }

    /// `content_block_start`: open the block and emit what it already holds.
    fn block_start(&mut self, frame: &Frame<'_>, events: &mut Vec<StreamEvent>) {
        self.ensure_started(events);
        let Some(index) = frame.index else {
            return;
        };
        if let Some(previous) = self.blocks.remove(&index) {
            close_block(previous, events);
        }
        let block = frame.content_block.as_ref().unwrap_or(&Value::Null);
        let text = |key: &str| {
            block
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let state = match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                if let Some(t) = text("text") {
                    events.push(StreamEvent::TextDelta(t.to_string()));
                }
                Block::Text
            }
            Some("thinking") => {
                if let Some(t) = text("thinking") {
                    events.push(thinking_delta(t.to_string(), None, false));
                }
                Block::Thinking {
                    signature: text("signature").map(str::to_string),
                }
            }
            Some("redacted_thinking") => {
                events.push(thinking_delta(
                    text("data").unwrap_or_default().to_string(),
                    None,
                    true,
                ));
                Block::Other
            }
            Some("tool_use") => {
                let index = self.next_tool;
                self.next_tool = self.next_tool.saturating_add(1);
                events.push(StreamEvent::ToolCallStart(ToolCallStart {
                    index,
                    id: str_or_empty(block, "id"),
                    name: str_or_empty(block, "name"),
                }));
                // The API streams the input; a non-empty one up front is
                // sent whole.
                let has_arguments = match block.get("input") {
                    Some(Value::Object(input)) if !input.is_empty() => {
                        events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                            index,
                            arguments: Value::Object(input.clone()).to_string(),
                        }));
                        true
                    }
                    _ => false,
                };
                Block::Tool {
                    index,
                    has_arguments,
                }
            }
            _ => Block::Other,
        };
        self.blocks.insert(index, state);
    }

    /// `content_block_delta`.
    fn block_delta(&mut self, frame: &Frame<'_>, events: &mut Vec<StreamEvent>) {
        let Some(delta) = &frame.delta else {
            return;
        };
        let block = frame.index.and_then(|i| self.blocks.get_mut(&i));
        let non_empty = |s: &Option<std::borrow::Cow<'_, str>>| {
            s.as_deref().filter(|s| !s.is_empty()).map(str::to_string)
        };
        match (delta.kind.as_deref(), block) {
            (Some("text_delta"), Some(Block::Text) | None) => {
                if let Some(text) = non_empty(&delta.text) {
                    self.ensure_started(events);
                    events.push(StreamEvent::TextDelta(text));
                }
            }
            (Some("thinking_delta"), Some(Block::Thinking { .. }) | None) => {
                if let Some(text) = non_empty(&delta.thinking) {
                    self.ensure_started(events);
                    events.push(thinking_delta(text, None, false));
                }
            }
            (Some("signature_delta"), Some(Block::Thinking { signature })) => {
                if let Some(more) = non_empty(&delta.signature) {
                    signature.get_or_insert_default().push_str(&more);
                }
            }
            (
                Some("input_json_delta"),
                Some(Block::Tool {
                    index,
                    has_arguments,
                }),
            ) => {
                if let Some(arguments) = non_empty(&delta.partial_json) {
                    *has_arguments = true;
                    events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                        index: *index,
                        arguments,
                    }));
                }
            }
            // `citations_delta`, deltas of skipped blocks, anything newer.
            _ => {}
        }
    }

    /// Close the answer: end open blocks, then `usage` and `finish`.
    fn finish_answer(&mut self, events: &mut Vec<StreamEvent>) {
        if self.finished {
            return;
        }
        self.ensure_started(events);
        for (_, block) in std::mem::take(&mut self.blocks) {
            close_block(block, events);
        }
        if self.has_usage {
            events.push(StreamEvent::Usage(self.usage.canonical()));
        }
        let reason = match &self.stop_reason {
            Some(reason) => fields::finish_reason(reason),
            None if self.next_tool > 0 => FinishReason::ToolCalls,
            None => FinishReason::Stop,
        };
        events.push(StreamEvent::Finish(reason));
        self.finished = true;
    }
}

/// The events that end a block: a held signature, or a tool call's end
/// (with `{}` arguments when none came).
fn close_block(block: Block, events: &mut Vec<StreamEvent>) {
    match block {
        Block::Thinking {
            signature: Some(signature),
        } => events.push(thinking_delta(String::new(), Some(signature), false)),
        Block::Tool {
            index,
            has_arguments,
        } => {
            if !has_arguments {
                events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                    index,
                    arguments: "{}".into(),
                }));
            }
            events.push(StreamEvent::ToolCallEnd(index));
        }
        Block::Text | Block::Thinking { signature: None } | Block::Other => {}
    }
}

/// A `thinking-delta` event.
fn thinking_delta(text: String, signature: Option<String>, redacted: bool) -> StreamEvent {
    StreamEvent::ThinkingDelta(ThinkingDelta {
        text,
        signature,
        redacted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, Usage};
    use wasmgate_wire::testing::splits;

    const FULL_TEXT: &str = include_str!("../tests/fixtures/full.anthropic.text.sse");
    const FULL_TOOL: &str = include_str!("../tests/fixtures/full.anthropic.tool.sse");
    const MINIMAL_TEXT: &str = include_str!("../tests/fixtures/minimal.anthropic.text.sse");
    const MINIMAL_TOOL: &str = include_str!("../tests/fixtures/minimal.anthropic.tool.sse");

    /// Decode `body` fed in the given pieces.
    fn decode(pieces: &[&[u8]]) -> Result<Vec<StreamEvent>, Error> {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(d.feed(piece)?);
        }
        out.extend(d.finish()?);
        Ok(out)
    }

    fn decode_ok(body: &str) -> Vec<StreamEvent> {
        decode(&[body.as_bytes()]).unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
    }

    /// Every way of cutting `body` in two, many ways of cutting it in
    /// three, and single bytes decode to the same events as the whole body.
    fn assert_split_invariant(body: &[u8], expected: &[StreamEvent]) {
        for split in splits(body, 37, 53) {
            let got = decode(&split.pieces);
            assert_eq!(got.as_deref(), Ok(expected), "{}", split.label);
        }
    }

    /// The split invariant for LF and CRLF line ends.
    fn assert_fixture(body: &str, expected: &[StreamEvent]) {
        assert_eq!(decode_ok(body), expected);
        assert_split_invariant(body.as_bytes(), expected);
        let crlf = body.replace('\n', "\r\n");
        assert_split_invariant(crlf.as_bytes(), expected);
    }

    fn start(extra: Option<&str>) -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: "msg_fake1".into(),
            model: "claude-fake".into(),
            created: None,
            extra: extra.map(Into::into),
        })
    }

    fn usage(cache: Option<u64>) -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: cache,
            cache_write_tokens: cache,
            reasoning_tokens: None,
        })
    }

    fn text(t: &str) -> StreamEvent {
        StreamEvent::TextDelta(t.into())
    }

    fn delta(index: u32, arguments: &str) -> StreamEvent {
        StreamEvent::ToolCallDelta(ToolCallDelta {
            index,
            arguments: arguments.into(),
        })
    }

    fn tool_start(index: u32, id: &str, name: &str) -> StreamEvent {
        StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: id.into(),
            name: name.into(),
        })
    }

    const STOP_SEQUENCE_EXTRA: Option<&str> = Some(r#"{"anthropic":{"stop_sequence":null}}"#);

    #[test]
    fn text_fixtures() {
        let body = |cache| {
            vec![
                start(STOP_SEQUENCE_EXTRA),
                text("Hello from "),
                text("fake anthro"),
                text("pic upstrea"),
                text("m."),
                usage(cache),
                StreamEvent::Finish(FinishReason::Stop),
            ]
        };
        assert_fixture(FULL_TEXT, &body(Some(0)));
        assert_fixture(MINIMAL_TEXT, &body(None));
    }

    #[test]
    fn tool_fixtures() {
        let body = |cache| {
            vec![
                start(STOP_SEQUENCE_EXTRA),
                tool_start(0, "toolu_fake1", "get_weather"),
                delta(0, "{\"cit"),
                delta(0, "y\": \""),
                delta(0, "Paris"),
                delta(0, "\"}"),
                StreamEvent::ToolCallEnd(0),
                usage(cache),
                StreamEvent::Finish(FinishReason::ToolCalls),
            ]
        };
        assert_fixture(FULL_TOOL, &body(Some(0)));
        assert_fixture(MINIMAL_TOOL, &body(None));
    }

    /// An SSE event line pair for `data`.
    fn ev(name: &str, data: &str) -> String {
        format!("event: {name}\ndata: {data}\n\n")
    }

    #[test]
    fn thinking_parallel_tools_cache_and_ping() {
        let body = [
            ev(
                "message_start",
                r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"container":null,"usage":{"input_tokens":6,"cache_read_input_tokens":4,"cache_creation_input_tokens":0,"output_tokens":1}}}"#,
            ),
            ev("ping", r#"{"type":"ping"}"#),
            ev(
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me "}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"think."}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig-1"}}"#,
            ),
            ev("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            ev(
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwK"}}"#,
            ),
            ev("content_block_stop", r#"{"type":"content_block_stop","index":1}"#),
            ev(
                "content_block_start",
                r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_a","name":"get_weather","input":{}}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#,
            ),
            ev("ping", r#"{"type":"ping"}"#),
            ev(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}"#,
            ),
            ev("content_block_stop", r#"{"type":"content_block_stop","index":2}"#),
            ev(
                "content_block_start",
                r#"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_b","name":"now","input":{}}}"#,
            ),
            ev("content_block_stop", r#"{"type":"content_block_stop","index":3}"#),
            ev(
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":5}}"#,
            ),
            ev("message_stop", r#"{"type":"message_stop"}"#),
        ]
        .concat();
        let expected = vec![
            StreamEvent::Start(StreamStart {
                id: "msg_1".into(),
                model: "claude-x".into(),
                created: None,
                extra: Some(r#"{"anthropic":{"container":null,"stop_sequence":null}}"#.into()),
            }),
            thinking_delta("Let me ".into(), None, false),
            thinking_delta("think.".into(), None, false),
            thinking_delta(String::new(), Some("sig-1".into()), false),
            thinking_delta("EmwK".into(), None, true),
            tool_start(0, "toolu_a", "get_weather"),
            delta(0, "{\"city\":"),
            delta(0, "\"Paris\"}"),
            StreamEvent::ToolCallEnd(0),
            tool_start(1, "toolu_b", "now"),
            delta(1, "{}"),
            StreamEvent::ToolCallEnd(1),
            StreamEvent::Usage(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: Some(4),
                cache_write_tokens: Some(0),
                reasoning_tokens: None,
            }),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ];
        assert_eq!(decode_ok(&body), expected);
        assert_split_invariant(body.as_bytes(), &expected);
    }

    #[test]
    fn in_stream_error_event_ends_the_stream() {
        let body = [
            FULL_TEXT.split("event: content_block_delta").next().unwrap_or_default().to_string(),
            ev(
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"late"}}"#,
            ),
        ]
        .concat();
        let events = decode_ok(&body);
        assert_eq!(
            events,
            vec![
                start(STOP_SEQUENCE_EXTRA),
                StreamEvent::Error(Error {
                    kind: ErrorKind::Overloaded,
                    message: "Overloaded".into(),
                    status: 529,
                    retryable: true,
                }),
            ]
        );
        assert_split_invariant(body.as_bytes(), &events);
    }

    #[test]
    fn truncated_stream_ends_with_an_error_event() {
        let stop = FULL_TEXT.find("event: message_delta").unwrap_or(0);
        // Cut on an event boundary, mid-event, and before anything.
        for cut in [stop, stop + 30, 0] {
            let events = decode(&[&FULL_TEXT.as_bytes()[..cut]])
                .unwrap_or_else(|e| panic!("unexpected error: {e:?}"));
            assert_eq!(
                events.last(),
                Some(&StreamEvent::Error(Error {
                    kind: ErrorKind::Upstream,
                    message: "upstream stream ended early, before the answer was complete".into(),
                    status: 502,
                    retryable: true,
                })),
                "cut at {cut}"
            );
            assert!(!events.iter().any(|e| matches!(e, StreamEvent::Finish(_))));
        }
        // Cut after message_delta: the answer is whole already.
        let end = FULL_TEXT.find("event: message_stop").unwrap_or(0);
        let events = decode(&[&FULL_TEXT.as_bytes()[..end]]).unwrap_or_default();
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finish(FinishReason::Stop))
        );
    }

    #[test]
    fn nothing_after_finish() {
        let mut d = Decoder::default();
        let mut events = d.feed(FULL_TEXT.as_bytes()).unwrap_or_default();
        events.extend(
            d.feed(
                ev(
                    "error",
                    r#"{"type":"error","error":{"type":"api_error","message":"x"}}"#,
                )
                .as_bytes(),
            )
            .unwrap_or_default(),
        );
        events.extend(d.finish().unwrap_or_default());
        events.extend(d.finish().unwrap_or_default());
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finish(FinishReason::Stop))
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, StreamEvent::Finish(_)))
                .count(),
            1
        );
    }

    #[test]
    fn lenient_shapes() {
        // No message_start, no `type` (the event name stands in), text in
        // the block start, stop without message_delta, unknown events.
        let body = [
            ev(
                "content_block_start",
                r#"{"index":0,"content_block":{"type":"text","text":"Hi"}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"index":0,"delta":{"type":"text_delta","text":"!"}}"#,
            ),
            ev(
                "content_block_delta",
                r#"{"index":0,"delta":{"type":"citations_delta","citation":{}}}"#,
            ),
            ev("brand_new", r#"{"type":"brand_new","index":"odd"}"#),
            ev("message_stop", r#"{"type":"message_stop"}"#),
        ]
        .concat();
        assert_eq!(
            decode_ok(&body),
            vec![
                StreamEvent::Start(StreamStart {
                    id: String::new(),
                    model: String::new(),
                    created: None,
                    extra: None,
                }),
                text("Hi"),
                text("!"),
                StreamEvent::Finish(FinishReason::Stop),
            ]
        );
    }

    #[test]
    fn open_tool_calls_are_closed_at_message_delta() {
        let body = [
            ev("message_start", r#"{"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":1,"output_tokens":1}}}"#),
            ev("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{"a":1}}}"#),
            ev("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}}"#),
        ]
        .concat();
        let events = decode_ok(&body);
        assert_eq!(
            &events[1..],
            &[
                tool_start(0, "t", "f"),
                delta(0, r#"{"a":1}"#),
                StreamEvent::ToolCallEnd(0),
                StreamEvent::Usage(Usage {
                    input_tokens: 1,
                    output_tokens: 9,
                    cached_input_tokens: None,
                    cache_write_tokens: None,
                    reasoning_tokens: None,
                }),
                StreamEvent::Finish(FinishReason::Length),
            ]
        );
    }

    #[test]
    fn invalid_json_is_an_error() {
        let err = decode(&[b"event: message_start\ndata: {nope\n\n"]).err();
        assert_eq!(
            err.map(|e| (e.kind, e.status)),
            Some((ErrorKind::Upstream, 502))
        );
    }
}
