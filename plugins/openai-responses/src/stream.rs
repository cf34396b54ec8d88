//! A streamed Responses API body (SSE of typed `response.*` events) to
//! canonical stream events.
//!
//! The decoder keys its state by each event's `output_index`. It prefers the
//! incremental events (`*.delta`) and falls back to the `*.done` events and
//! the final response for anything a terse server did not stream, so no
//! content is lost or doubled either way.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use wasmgate_wire::extra;
use wasmgate_wire::json::{non_empty_str, str_or_empty};
use wasmgate_wire::sse::SseParser;

use crate::fields;
use crate::response::{tool_call, unmapped_fields};
use crate::types::{
    Error, FinishReason, StreamEvent, StreamStart, ThinkingDelta, ToolCallDelta, ToolCallStart,
};
use crate::{WIRE, error};

/// One function call of the answer.
#[derive(Debug)]
struct Call {
    /// The canonical `index` (order of the calls in the answer).
    index: u32,
    /// True until `tool-call-end` was emitted.
    open: bool,
    /// True once any argument text was emitted.
    has_arguments: bool,
}

/// One reasoning item of the answer.
#[derive(Debug, Default)]
struct Reasoning {
    /// The (kind, index) parts that emitted text: kind 0 is a summary part,
    /// kind 1 a raw `reasoning_text` content part.
    parts: BTreeSet<(u8, u64)>,
    /// The part that emitted text last.
    last: Option<(u8, u64)>,
}

/// Decoder state for one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    /// SSE framing.
    sse: SseParser,
    /// True once `start` was emitted.
    started: bool,
    /// True once `finish` or `error` was emitted; nothing follows then.
    ended: bool,
    /// Function calls by output index.
    calls: BTreeMap<u64, Call>,
    /// Reasoning items by output index.
    reasoning: BTreeMap<u64, Reasoning>,
    /// (output index, content index) of message content that emitted text.
    texts: BTreeSet<(u64, u64)>,
    /// Output indexes whose `output_item.done` was handled.
    done_items: BTreeSet<u64>,
}

impl Decoder {
    /// Decode more body bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if self.ended {
            return events;
        }
        match self.sse.feed(bytes) {
            Ok(sse_events) => {
                for event in sse_events {
                    self.payload(&event.data, &mut events);
                }
            }
            Err(e) => self.fail(error::upstream(e.to_string(), 502, false), &mut events),
        }
        events
    }

    /// The body ended: flush what is left; a stream cut before its terminal
    /// event ends with an `error` event.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if self.ended {
            return events;
        }
        if let Some(last) = self.sse.finish()
            && serde_json::from_str::<Value>(last.data.trim()).is_ok()
        {
            // An unterminated last event is used when it is whole; one cut
            // off mid-way is judged below like any early end.
            self.payload(&last.data, &mut events);
        }
        if !self.ended {
            self.fail(
                error::upstream(
                    "upstream stream ended before the response was complete",
                    502,
                    true,
                ),
                &mut events,
            );
        }
        events
    }

    /// Emit `error` and end the answer.
    fn fail(&mut self, err: Error, events: &mut Vec<StreamEvent>) {
        events.push(StreamEvent::Error(err));
        self.ended = true;
    }

    /// Handle one SSE data payload.
    fn payload(&mut self, payload: &str, events: &mut Vec<StreamEvent>) {
        let payload = payload.trim();
        if self.ended || payload.is_empty() || payload == "[DONE]" {
            return;
        }
        let event: Value = match serde_json::from_str(payload) {
            Ok(event) => event,
            Err(e) => {
                return self.fail(
                    error::upstream(
                        format!("upstream sent invalid JSON in the stream: {e}"),
                        502,
                        false,
                    ),
                    events,
                );
            }
        };
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        if kind == "error" || (kind.is_empty() && event.get("error").is_some_and(|e| !e.is_null()))
        {
            let err = match event.get("error") {
                Some(inner @ (Value::Object(_) | Value::String(_))) => inner,
                _ => &event,
            };
            return self.fail(error::from_stream_error(err), events);
        }
        let response = event.get("response").unwrap_or(&Value::Null);
        self.start(response, events);
        let output_index = event
            .get("output_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let item = event.get("item").unwrap_or(&Value::Null);
        match kind {
            "response.output_item.added" => self.item_added(output_index, item, events),
            "response.output_item.done" => self.item_done(output_index, item, events),
            "response.output_text.delta" | "response.refusal.delta" => {
                self.text(&event, "delta", events);
            }
            "response.output_text.done" => self.text(&event, "text", events),
            "response.refusal.done" => self.text(&event, "refusal", events),
            "response.content_part.done" => {
                let part = event.get("part").unwrap_or(&Value::Null);
                let key = match part.get("type").and_then(Value::as_str) {
                    Some("output_text") => Some("text"),
                    Some("refusal") => Some("refusal"),
                    _ => None,
                };
                if let Some(text) = key.and_then(|key| non_empty_str(part, key)) {
                    let content_index = content_index(&event);
                    self.emit_text(output_index, content_index, text, events);
                }
            }
            "response.reasoning_summary_text.delta" => {
                self.thinking(
                    output_index,
                    (0, summary_index(&event)),
                    &event,
                    "delta",
                    events,
                );
            }
            "response.reasoning_summary_text.done" => {
                self.thinking(
                    output_index,
                    (0, summary_index(&event)),
                    &event,
                    "text",
                    events,
                );
            }
            "response.reasoning_text.delta" => {
                self.thinking(
                    output_index,
                    (1, content_index(&event)),
                    &event,
                    "delta",
                    events,
                );
            }
            "response.reasoning_text.done" => {
                self.thinking(
                    output_index,
                    (1, content_index(&event)),
                    &event,
                    "text",
                    events,
                );
            }
            "response.function_call_arguments.delta" => {
                self.arguments(output_index, &event, "delta", events);
            }
            "response.function_call_arguments.done" => {
                self.arguments(output_index, &event, "arguments", events);
            }
            "response.completed" | "response.incomplete" => self.complete(response, events),
            "response.failed" => {
                let err = match response.get("error") {
                    Some(err @ Value::Object(_)) => error::from_stream_error(err),
                    _ => error::from_stream_error(&json!({
                        "code": "server_error",
                        "message": "upstream response failed",
                    })),
                };
                self.fail(err, events);
            }
            _ => {}
        }
    }

    /// Emit `start` (once), from the response object when the event has one.
    fn start(&mut self, response: &Value, events: &mut Vec<StreamEvent>) {
        if self.started {
            return;
        }
        self.started = true;
        events.push(StreamEvent::Start(StreamStart {
            id: str_or_empty(response, "id"),
            model: str_or_empty(response, "model"),
            created: response.get("created_at").and_then(Value::as_u64),
            extra: extra::to_text(unmapped_fields(response), WIRE),
        }));
    }

    /// `response.output_item.added`: a function call starts; a reasoning
    /// item is noted.
    fn item_added(&mut self, output_index: u64, item: &Value, events: &mut Vec<StreamEvent>) {
        match item.get("type").and_then(Value::as_str) {
            Some("function_call") => {
                if self.start_call(output_index, item, events)
                    && let Some(arguments) = non_empty_str(item, "arguments")
                {
                    self.emit_arguments(output_index, arguments, events);
                }
            }
            Some("reasoning") => {
                self.reasoning.entry(output_index).or_default();
            }
            _ => {}
        }
    }

    /// `response.output_item.done` (or an item of the final response that
    /// was never streamed): emit what the incremental events did not, then
    /// close the item.
    fn item_done(&mut self, output_index: u64, item: &Value, events: &mut Vec<StreamEvent>) {
        if !self.done_items.insert(output_index) {
            return;
        }
        match item.get("type").and_then(Value::as_str) {
            Some("message") => {
                let content = item.get("content").and_then(Value::as_array);
                for (i, part) in content.into_iter().flatten().enumerate() {
                    let key = match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => "text",
                        Some("refusal") => "refusal",
                        _ => continue,
                    };
                    if let Some(text) = non_empty_str(part, key) {
                        self.emit_text(output_index, i as u64, text, events);
                    }
                }
            }
            Some("reasoning") => {
                let state = self.reasoning.entry(output_index).or_default();
                if state.parts.is_empty() {
                    let text = fields::reasoning_text(item);
                    if !text.is_empty() {
                        state.parts.insert((0, 0));
                        events.push(thinking_delta(text, None));
                    }
                }
                if let Some(signature) = fields::encrypted_content(item) {
                    events.push(thinking_delta(String::new(), Some(signature)));
                }
            }
            Some("function_call") => {
                self.start_call(output_index, item, events);
                let has_arguments = self
                    .calls
                    .get(&output_index)
                    .is_some_and(|c| c.has_arguments);
                if !has_arguments && let Some(arguments) = non_empty_str(item, "arguments") {
                    self.emit_arguments(output_index, arguments, events);
                }
                if let Some(call) = self.calls.get_mut(&output_index)
                    && call.open
                {
                    call.open = false;
                    events.push(StreamEvent::ToolCallEnd(call.index));
                }
            }
            _ => {}
        }
    }

    /// Emit `tool-call-start` for the call at `output_index` (once); true
    /// when it started now.
    fn start_call(
        &mut self,
        output_index: u64,
        item: &Value,
        events: &mut Vec<StreamEvent>,
    ) -> bool {
        if self.calls.contains_key(&output_index) {
            return false;
        }
        let index = u32::try_from(self.calls.len()).unwrap_or(u32::MAX);
        let call = tool_call(item);
        self.calls.insert(
            output_index,
            Call {
                index,
                open: true,
                has_arguments: false,
            },
        );
        events.push(StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: call.id,
            name: call.name,
        }));
        true
    }

    /// Argument text for the open call at `output_index`.
    fn emit_arguments(
        &mut self,
        output_index: u64,
        arguments: &str,
        events: &mut Vec<StreamEvent>,
    ) {
        if let Some(call) = self.calls.get_mut(&output_index)
            && call.open
            && !arguments.is_empty()
        {
            call.has_arguments = true;
            events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                index: call.index,
                arguments: arguments.to_string(),
            }));
        }
    }

    /// `function_call_arguments.delta` (`key` = `delta`) or `.done` (`key`
    /// = `arguments`, used only when no delta came).
    fn arguments(
        &mut self,
        output_index: u64,
        event: &Value,
        key: &str,
        events: &mut Vec<StreamEvent>,
    ) {
        let Some(text) = non_empty_str(event, key) else {
            return;
        };
        let streamed = self
            .calls
            .get(&output_index)
            .is_some_and(|c| c.has_arguments);
        if key == "delta" || !streamed {
            self.emit_arguments(output_index, text, events);
        }
    }

    /// Output text: a `delta`, or the whole `text`/`refusal` of a `.done`
    /// event (used only when no delta came for that content part).
    fn text(&mut self, event: &Value, key: &str, events: &mut Vec<StreamEvent>) {
        let Some(text) = non_empty_str(event, key) else {
            return;
        };
        let output_index = event
            .get("output_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let content_index = content_index(event);
        if key == "delta" {
            self.texts.insert((output_index, content_index));
            events.push(StreamEvent::TextDelta(text.to_string()));
        } else {
            self.emit_text(output_index, content_index, text, events);
        }
    }

    /// Emit a content part's whole text unless it was streamed already.
    fn emit_text(
        &mut self,
        output_index: u64,
        content_index: u64,
        text: &str,
        events: &mut Vec<StreamEvent>,
    ) {
        if self.texts.insert((output_index, content_index)) {
            events.push(StreamEvent::TextDelta(text.to_string()));
        }
    }

    /// Reasoning text: a `delta`, or the whole `text` of a `.done` event
    /// (used only when no delta came for that part). Parts after the first
    /// are separated by a blank line, as in a whole response.
    fn thinking(
        &mut self,
        output_index: u64,
        part: (u8, u64),
        event: &Value,
        key: &str,
        events: &mut Vec<StreamEvent>,
    ) {
        let Some(text) = non_empty_str(event, key) else {
            return;
        };
        let state = self.reasoning.entry(output_index).or_default();
        let seen = state.parts.contains(&part);
        if key != "delta" && seen {
            return;
        }
        let separate = !state.parts.is_empty() && state.last != Some(part);
        state.parts.insert(part);
        state.last = Some(part);
        let text = if separate {
            format!("\n\n{text}")
        } else {
            text.to_string()
        };
        events.push(thinking_delta(text, None));
    }

    /// `response.completed` / `response.incomplete`: emit any output the
    /// stream skipped, close open calls, then `usage` and `finish`.
    fn complete(&mut self, response: &Value, events: &mut Vec<StreamEvent>) {
        let output = response.get("output").and_then(Value::as_array);
        for (i, item) in output.into_iter().flatten().enumerate() {
            if !self.done_items.contains(&(i as u64)) {
                self.item_added(i as u64, item, events);
                self.item_done(i as u64, item, events);
            }
        }
        for call in self.calls.values_mut().filter(|c| c.open) {
            call.open = false;
            events.push(StreamEvent::ToolCallEnd(call.index));
        }
        if let Some(usage) = response.get("usage").and_then(fields::usage) {
            events.push(StreamEvent::Usage(usage));
        }
        let has_calls = !self.calls.is_empty();
        let reason = fields::finish_reason(response, has_calls).unwrap_or(if has_calls {
            FinishReason::ToolCalls
        } else {
            FinishReason::Stop
        });
        events.push(StreamEvent::Finish(reason));
        self.ended = true;
    }
}

/// A thinking delta.
fn thinking_delta(text: String, signature: Option<String>) -> StreamEvent {
    StreamEvent::ThinkingDelta(ThinkingDelta {
        text,
        signature,
        redacted: false,
    })
}

/// An event's `content_index` (0 when absent).
fn content_index(event: &Value) -> u64 {
    event
        .get("content_index")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// An event's `summary_index` (0 when absent).
fn summary_index(event: &Value) -> u64 {
    event
        .get("summary_index")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, Usage};
    use wasmgate_wire::testing::splits;

    const FULL_TEXT: &str = include_str!("../tests/fixtures/full.responses.text.sse");
    const FULL_TOOL: &str = include_str!("../tests/fixtures/full.responses.tool.sse");
    const MIN_TEXT: &str = include_str!("../tests/fixtures/minimal.responses.text.sse");
    const MIN_TOOL: &str = include_str!("../tests/fixtures/minimal.responses.tool.sse");

    /// Decode `body` fed in the given pieces.
    fn decode(pieces: &[&[u8]]) -> Vec<StreamEvent> {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(d.feed(piece));
        }
        out.extend(d.finish());
        out
    }

    fn decode_str(body: &str) -> Vec<StreamEvent> {
        decode(&[body.as_bytes()])
    }

    /// Every way of cutting `body` in two, many ways of cutting it in three
    /// and single bytes decode to the same events as the whole body; the
    /// same holds with `\r\n` line ends.
    fn assert_split_invariant(body: &str, expected: &[StreamEvent]) {
        let crlf = body.replace('\n', "\r\n");
        for body in [body.as_bytes(), crlf.as_bytes()] {
            for split in splits(body, 97, 131) {
                assert_eq!(decode(&split.pieces), expected, "{}", split.label);
            }
        }
    }

    fn usage(cached: u64, reasoning: u64) -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: Some(cached),
            cache_write_tokens: Some(0),
            reasoning_tokens: Some(reasoning),
        })
    }

    fn text(t: &str) -> StreamEvent {
        StreamEvent::TextDelta(t.into())
    }

    fn think(t: &str, signature: Option<&str>) -> StreamEvent {
        thinking_delta(t.into(), signature.map(Into::into))
    }

    fn call_start(index: u32, id: &str, name: &str) -> StreamEvent {
        StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: id.into(),
            name: name.into(),
        })
    }

    fn delta(index: u32, arguments: &str) -> StreamEvent {
        StreamEvent::ToolCallDelta(ToolCallDelta {
            index,
            arguments: arguments.into(),
        })
    }

    /// The `start` event for a fixture, whose `extra` is every unmapped
    /// field of its `response.created` response.
    fn fixture_start(body: &str) -> StreamEvent {
        let first = body
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .unwrap_or_default();
        let response = &first["response"];
        StreamEvent::Start(StreamStart {
            id: "resp_fake1".into(),
            model: "gpt-fake".into(),
            created: response["created_at"].as_u64(),
            extra: extra::to_text(unmapped_fields(response), WIRE),
        })
    }

    /// Like [`fixture_start`] for any id and model.
    fn fixture_start_of(body: &str, id: &str, model: &str) -> StreamEvent {
        match fixture_start(body) {
            StreamEvent::Start(start) => StreamEvent::Start(StreamStart {
                id: id.into(),
                model: model.into(),
                ..start
            }),
            other => other,
        }
    }

    #[test]
    fn full_text_fixture() {
        let expected = vec![
            fixture_start(FULL_TEXT),
            text("Hello from fak"),
            text("e openai-respo"),
            text("nses upstream."),
            usage(0, 0),
            StreamEvent::Finish(FinishReason::Stop),
        ];
        assert_eq!(decode_str(FULL_TEXT), expected);
        if let StreamEvent::Start(start) = &expected[0] {
            let extra: Value =
                serde_json::from_str(start.extra.as_deref().unwrap_or("{}")).unwrap_or_default();
            assert_eq!(extra["openai-responses"]["truncation"], json!("disabled"));
            assert!(extra["openai-responses"].get("output").is_none());
        }
        assert_split_invariant(FULL_TEXT, &expected);
    }

    #[test]
    fn full_tool_fixture() {
        let expected = vec![
            fixture_start(FULL_TOOL),
            call_start(0, "call_fake1", "get_weather"),
            delta(0, "{\"cit"),
            delta(0, "y\": \""),
            delta(0, "Paris"),
            delta(0, "\"}"),
            StreamEvent::ToolCallEnd(0),
            usage(0, 0),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ];
        assert_eq!(decode_str(FULL_TOOL), expected);
        assert_split_invariant(FULL_TOOL, &expected);
    }

    #[test]
    fn minimal_fixtures() {
        let expected = vec![
            fixture_start(MIN_TEXT),
            text("Hello from fak"),
            text("e openai-respo"),
            text("nses upstream."),
            usage(0, 0),
            StreamEvent::Finish(FinishReason::Stop),
        ];
        assert_eq!(decode_str(MIN_TEXT), expected);
        assert_split_invariant(MIN_TEXT, &expected);

        // No argument deltas: the whole arguments come with the item's end.
        let expected = vec![
            fixture_start(MIN_TOOL),
            call_start(0, "call_fake1", "get_weather"),
            delta(0, "{\"city\": \"Paris\"}"),
            StreamEvent::ToolCallEnd(0),
            usage(0, 0),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ];
        assert_eq!(decode_str(MIN_TOOL), expected);
        assert_split_invariant(MIN_TOOL, &expected);
    }

    /// SSE text for a list of event payloads.
    fn sse(events: &[Value]) -> String {
        events
            .iter()
            .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap_or("")))
            .collect()
    }

    fn created() -> Value {
        json!({"type": "response.created", "sequence_number": 0, "response": {
            "id": "resp_1", "object": "response", "created_at": 7, "model": "o4-mini",
            "status": "in_progress", "output": [], "usage": null}})
    }

    fn reasoning_item(done: bool) -> Value {
        if done {
            json!({"type": "reasoning", "id": "rs_1", "summary": [
                {"type": "summary_text", "text": "Plan."}, {"type": "summary_text", "text": "Act."}],
                "encrypted_content": "enc-1"})
        } else {
            json!({"type": "reasoning", "id": "rs_1", "summary": []})
        }
    }

    fn fc_item(output_index: u64, n: u32, arguments: &str) -> Value {
        json!({"type": "function_call", "id": format!("fc_{n}"), "call_id": format!("call_{n}"),
               "name": "get_weather", "arguments": arguments, "status": "completed",
               "output_index": output_index})
    }

    #[test]
    fn reasoning_and_parallel_calls() {
        let body = sse(&[
            created(),
            json!({"type": "response.output_item.added", "output_index": 0, "item": reasoning_item(false)}),
            json!({"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 0}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "summary_index": 0, "delta": "Pl"}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "summary_index": 0, "delta": "an."}),
            json!({"type": "response.reasoning_summary_text.done", "output_index": 0, "summary_index": 0, "text": "Plan."}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "summary_index": 1, "delta": "Act."}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": reasoning_item(true)}),
            json!({"type": "response.output_item.added", "output_index": 1, "item": fc_item(1, 1, "")}),
            json!({"type": "response.output_item.added", "output_index": 2, "item": fc_item(2, 2, "")}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 2, "delta": "{\"city\":\"Tokyo\"}"}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "{\"city\":"}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "\"Paris\"}"}),
            json!({"type": "response.function_call_arguments.done", "output_index": 1, "arguments": "{\"city\":\"Paris\"}"}),
            json!({"type": "response.output_item.done", "output_index": 1, "item": fc_item(1, 1, "{\"city\":\"Paris\"}")}),
            json!({"type": "response.completed", "response": {
                "id": "resp_1", "model": "o4-mini", "status": "completed",
                "output": [reasoning_item(true), fc_item(1, 1, "{}"), fc_item(2, 2, "{}")],
                "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
                          "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 2}}}}),
            json!({"type": "response.output_text.delta", "output_index": 3, "delta": "late"}),
        ]);
        let expected = vec![
            StreamEvent::Start(StreamStart {
                id: "resp_1".into(),
                model: "o4-mini".into(),
                created: Some(7),
                extra: None,
            }),
            think("Pl", None),
            think("an.", None),
            think("\n\nAct.", None),
            think("", Some("enc-1")),
            call_start(0, "call_1", "get_weather"),
            call_start(1, "call_2", "get_weather"),
            delta(1, "{\"city\":\"Tokyo\"}"),
            delta(0, "{\"city\":"),
            delta(0, "\"Paris\"}"),
            StreamEvent::ToolCallEnd(0),
            StreamEvent::ToolCallEnd(1),
            usage(4, 2),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ];
        assert_eq!(decode_str(&body), expected);
        assert_split_invariant(&body, &expected);
    }

    #[test]
    fn done_events_fill_in_what_was_not_streamed() {
        let message = json!({"type": "message", "id": "msg_1", "role": "assistant", "content": [
            {"type": "output_text", "text": "one", "annotations": []},
            {"type": "refusal", "refusal": "two"},
            {"type": "output_text", "text": "three", "annotations": []}]});
        let body = sse(&[
            created(),
            json!({"type": "response.output_item.added", "output_index": 0, "item": reasoning_item(false)}),
            json!({"type": "response.reasoning_summary_text.done", "output_index": 0, "summary_index": 0, "text": "Plan."}),
            json!({"type": "response.reasoning_summary_text.done", "output_index": 0, "summary_index": 1, "text": "Act."}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": reasoning_item(true)}),
            json!({"type": "response.output_text.done", "output_index": 1, "content_index": 0, "text": "one"}),
            json!({"type": "response.refusal.delta", "output_index": 1, "content_index": 1, "delta": "two"}),
            json!({"type": "response.refusal.done", "output_index": 1, "content_index": 1, "refusal": "two"}),
            json!({"type": "response.output_item.done", "output_index": 1, "item": message}),
            json!({"type": "response.incomplete", "response": {"id": "resp_1", "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"}}}),
        ]);
        assert_eq!(
            decode_str(&body)[1..],
            [
                think("Plan.", None),
                think("\n\nAct.", None),
                think("", Some("enc-1")),
                text("one"),
                text("two"),
                text("three"),
                StreamEvent::Finish(FinishReason::Length),
            ]
        );
    }

    #[test]
    fn terse_stream_takes_everything_from_the_final_response() {
        let body = sse(&[json!({"type": "response.completed", "response": {
            "id": "resp_9", "model": "m", "created_at": 3, "status": "completed",
            "output": [reasoning_item(true),
                {"type": "message", "content": [{"type": "output_text", "text": "hi"}]},
                fc_item(2, 1, "{\"a\":1}")]}})]);
        assert_eq!(
            decode_str(&body),
            vec![
                StreamEvent::Start(StreamStart {
                    id: "resp_9".into(),
                    model: "m".into(),
                    created: Some(3),
                    extra: None,
                }),
                think("Plan.\n\nAct.", None),
                think("", Some("enc-1")),
                text("hi"),
                call_start(0, "call_1", "get_weather"),
                delta(0, "{\"a\":1}"),
                StreamEvent::ToolCallEnd(0),
                StreamEvent::Finish(FinishReason::ToolCalls),
            ]
        );
    }

    #[test]
    fn failed_response_and_error_events() {
        let body = sse(&[
            created(),
            json!({"type": "response.failed", "response": {"id": "resp_1", "status": "failed",
                "error": {"code": "rate_limit_exceeded", "message": "slow down"}}}),
            json!({"type": "response.output_text.delta", "output_index": 0, "delta": "x"}),
        ]);
        let events = decode_str(&body);
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[1],
            StreamEvent::Error(Error {
                kind: ErrorKind::RateLimit,
                message: "slow down".into(),
                status: 429,
                retryable: true,
            })
        );

        let body = "event: error\ndata: {\"type\":\"error\",\"sequence_number\":1,\"code\":\"server_error\",\"message\":\"The server had an error\",\"param\":null}\n\n";
        assert_eq!(
            decode_str(body),
            vec![StreamEvent::Error(Error {
                kind: ErrorKind::Upstream,
                message: "The server had an error".into(),
                status: 502,
                retryable: true,
            })]
        );
        let body = "data: {\"type\":\"error\",\"error\":{\"message\":\"nested\",\"code\":\"invalid_prompt\"}}\n\n";
        match decode_str(body).as_slice() {
            [StreamEvent::Error(e)] => {
                assert_eq!(
                    (e.kind, e.message.as_str()),
                    (ErrorKind::InvalidRequest, "nested")
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn mock_upstream_streams() {
        const TOOLS: &str = include_str!("../tests/fixtures/mock.responses.reasoning-tools.sse");
        const TEXT: &str = include_str!("../tests/fixtures/mock.responses.reasoning-text.sse");
        let thinking = [
            think("Let me ", None),
            think("think.", None),
            think("", Some("sig-openai-responses-1")),
        ];
        let mut expected = vec![fixture_start_of(TOOLS, "resp_mock_1", "gpt-5")];
        expected.extend(thinking.clone());
        expected.extend([
            call_start(0, "call_mock_1", "get_weather"),
            delta(0, "{\"city"),
            delta(0, "\":\"Pa"),
            delta(0, "ris\"}"),
            StreamEvent::ToolCallEnd(0),
            call_start(1, "call_mock_2", "get_weather"),
            delta(1, "{\"city"),
            delta(1, "\":\"To"),
            delta(1, "kyo\"}"),
            StreamEvent::ToolCallEnd(1),
            usage(4, 2),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ]);
        assert_eq!(decode_str(TOOLS), expected);
        assert_split_invariant(TOOLS, &expected);

        let mut expected = vec![fixture_start_of(TEXT, "resp_mock_1", "gpt-5")];
        expected.extend(thinking);
        expected.extend([
            text("Hello from the m"),
            text("ock openai-resp"),
            text("onses upstream."),
            usage(4, 2),
            StreamEvent::Finish(FinishReason::Stop),
        ]);
        assert_eq!(decode_str(TEXT), expected);
    }

    fn early_end() -> StreamEvent {
        StreamEvent::Error(Error {
            kind: ErrorKind::Upstream,
            message: "upstream stream ended before the response was complete".into(),
            status: 502,
            retryable: true,
        })
    }

    #[test]
    fn truncated_stream_ends_with_an_error_event() {
        let completed = FULL_TEXT.find("event: response.completed").unwrap_or(0);
        let mid = completed + 60;
        for cut in [completed, mid] {
            let events = decode(&[&FULL_TEXT.as_bytes()[..cut]]);
            assert_eq!(events.len(), 5, "cut at {cut}");
            assert_eq!(events.last(), Some(&early_end()), "cut at {cut}");
        }
        assert_eq!(decode(&[b""]), vec![early_end()]);
        // A whole last event without its blank line still counts.
        let trimmed = FULL_TEXT.trim_end();
        assert_eq!(
            decode_str(trimmed).last(),
            Some(&StreamEvent::Finish(FinishReason::Stop))
        );
    }

    #[test]
    fn invalid_json_is_an_error_event_and_the_end() {
        let body = format!(
            "data: {}\n\ndata: {{nope\n\ndata: {}\n\n",
            created(),
            created()
        );
        let events = decode_str(&body);
        assert_eq!(events.len(), 2);
        match &events[1] {
            StreamEvent::Error(e) => assert_eq!((e.kind, e.status), (ErrorKind::Upstream, 502)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn nothing_after_finish() {
        let mut d = Decoder::default();
        let mut events = d.feed(FULL_TEXT.as_bytes());
        events.extend(d.feed(FULL_TEXT.as_bytes()));
        events.extend(d.finish());
        events.extend(d.finish());
        assert_eq!(events.len(), 6);
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finish(FinishReason::Stop))
        );
    }
}
