//! Canonical stream events → Responses streaming events.
//!
//! The grammar (what `responses.stream()` and Codex check):
//! `response.created`, `response.in_progress`, then one output item at a
//! time — `response.output_item.added`, its content events,
//! `response.output_item.done` — and last `response.completed` (or
//! `response.incomplete`, or `response.failed` after an error). Every
//! event carries `type` and a `sequence_number` counting from 0, and is
//! written as `event: <type>` + `data: <json>`.
//!
//! Items never interleave on the wire: a tool call that starts while
//! another is still streaming is held back and sent whole once the
//! earlier one is done.

use serde_json::{Value, json};

use super::output::{
    Rendered, Shell, function_call_item, message_item, output_text, reasoning_item,
};
use super::request::Echo;
use super::{Status, call_id, failure_json, item_id, now_secs, response_id};
use crate::canonical::{FinishReason, StreamEvent, StreamStart, Usage};
use crate::frontend::sse::StreamEncoder;

/// A tool call not yet finished on the wire.
#[derive(Debug)]
struct Call {
    /// The canonical `index`.
    index: u32,
    call_id: String,
    name: String,
    arguments: String,
    /// `tool-call-end` arrived (for a held-back call).
    ended: bool,
}

/// The output item currently open on the wire.
#[derive(Debug)]
enum Open {
    None,
    Message {
        id: String,
        index: usize,
        text: String,
    },
    Reasoning {
        id: String,
        index: usize,
        text: String,
        signature: Option<String>,
        /// A summary part was opened (the first non-empty text).
        part_open: bool,
    },
    Call {
        id: String,
        index: usize,
        call: Call,
    },
}

/// Encodes one streamed answer as Responses events.
#[derive(Debug)]
pub struct ResponsesStreamEncoder {
    /// The gateway's request id, for the response id when the upstream
    /// gives none.
    gateway_id: String,
    /// The model the client asked for, until the upstream names its own.
    model: String,
    echo: Echo,
    /// Set when `response.created` was written.
    shell: Option<Shell>,
    sequence: u64,
    /// Finished output items, in order.
    output: Vec<Value>,
    open: Open,
    /// Tool calls started while another call was open, in order.
    held: Vec<Call>,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
    /// A terminal event (`response.failed`) was written.
    ended: bool,
}

impl ResponsesStreamEncoder {
    /// An encoder; `gateway_id` names the response when the upstream
    /// gives no id, `model` until the upstream names its own.
    pub fn new(gateway_id: &str, model: String, echo: Echo) -> Self {
        Self {
            gateway_id: gateway_id.to_string(),
            model,
            echo,
            shell: None,
            sequence: 0,
            output: Vec::new(),
            open: Open::None,
            held: Vec::new(),
            finish: None,
            usage: None,
            ended: false,
        }
    }

    /// Write `response.created` and `response.in_progress` once.
    fn start(&mut self, start: Option<&StreamStart>, out: &mut Vec<u8>) {
        if self.shell.is_some() {
            return;
        }
        let upstream_id = start.map_or("", |s| s.id.as_str());
        let id = response_id(upstream_id, || self.gateway_id.clone());
        let model = match start {
            Some(s) if !s.model.is_empty() => s.model.as_str(),
            _ => self.model.as_str(),
        };
        let created_at = start.and_then(|s| s.created).unwrap_or_else(now_secs);
        let extra = start.and_then(|s| s.extra.as_deref());
        let shell = self
            .shell
            .insert(Shell::new(&self.echo, extra, &id, created_at, model));
        let snapshot = shell.render("in_progress", Value::Null, Value::Null, &[], None);
        Self::emit_response(&mut self.sequence, out, "response.created", &snapshot);
        Self::emit_response(&mut self.sequence, out, "response.in_progress", &snapshot);
    }

    fn response_id(&self) -> &str {
        self.shell.as_ref().map_or("", Shell::id)
    }

    /// Append one event: `type` and `sequence_number` first, then `fields`.
    fn emit(&mut self, out: &mut Vec<u8>, kind: &str, fields: Value) {
        self.head(out, kind);
        let body = serde_json::to_vec(&fields).unwrap_or_default();
        match body.get(1..) {
            Some(rest) if body.len() > 2 => {
                out.push(b',');
                out.extend_from_slice(rest);
            }
            _ => out.push(b'}'),
        }
        out.extend_from_slice(b"\n\n");
    }

    /// Append one event whose field is the whole Response object, written
    /// from the shell as it stands (not copied into an event tree first).
    /// An associated function: the object borrows from the encoder.
    fn emit_response(sequence: &mut u64, out: &mut Vec<u8>, kind: &str, response: &Rendered) {
        head(sequence, out, kind);
        out.extend_from_slice(b",\"response\":");
        response.write(out);
        out.extend_from_slice(b"}\n\n");
    }

    /// See [`head`].
    fn head(&mut self, out: &mut Vec<u8>, kind: &str) {
        head(&mut self.sequence, out, kind);
    }

    /// A delta event, written directly (this is the hot path).
    fn delta(
        &mut self,
        out: &mut Vec<u8>,
        kind: &str,
        item_id: &str,
        index: usize,
        sub_index: Option<(&str, usize)>,
        delta: &str,
    ) {
        self.head(out, kind);
        out.extend_from_slice(b",\"item_id\":");
        write_json(out, item_id);
        out.extend_from_slice(b",\"output_index\":");
        out.extend_from_slice(index.to_string().as_bytes());
        if let Some((key, sub)) = sub_index {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(sub.to_string().as_bytes());
        }
        out.extend_from_slice(b",\"delta\":");
        write_json(out, delta);
        if kind == "response.output_text.delta" {
            out.extend_from_slice(b",\"logprobs\":[]");
        }
        out.extend_from_slice(b"}\n\n");
    }

    /// The status items get when they close now.
    fn item_status(&self) -> &'static str {
        Status::from_finish(self.finish.as_ref()).item_status()
    }

    /// Close the open item, if any.
    fn close_open(&mut self, out: &mut Vec<u8>) {
        let status = self.item_status();
        match std::mem::replace(&mut self.open, Open::None) {
            Open::None => {}
            Open::Message { id, index, text } => {
                let located = json!({"item_id": id, "output_index": index, "content_index": 0});
                let mut done = located.clone();
                done["text"] = text.as_str().into();
                done["logprobs"] = json!([]);
                self.emit(out, "response.output_text.done", done);
                let mut part = located;
                part["part"] = output_text(&text);
                self.emit(out, "response.content_part.done", part);
                self.item_done(out, index, message_item(&id, Some(&text), status));
            }
            Open::Reasoning {
                id,
                index,
                text,
                signature,
                part_open,
            } => {
                if part_open {
                    let located = json!({"item_id": id, "output_index": index, "summary_index": 0});
                    let mut done = located.clone();
                    done["text"] = text.as_str().into();
                    self.emit(out, "response.reasoning_summary_text.done", done);
                    let mut part = located;
                    part["part"] = json!({"type": "summary_text", "text": text});
                    self.emit(out, "response.reasoning_summary_part.done", part);
                }
                let item = reasoning_item(&id, &text, signature.as_deref());
                self.item_done(out, index, item);
            }
            Open::Call { id, index, call } => self.close_call(out, id, index, call, status),
        }
    }

    fn close_call(
        &mut self,
        out: &mut Vec<u8>,
        id: String,
        index: usize,
        mut call: Call,
        status: &str,
    ) {
        if call.arguments.is_empty() {
            call.arguments = "{}".into();
            self.delta(
                out,
                "response.function_call_arguments.delta",
                &id,
                index,
                None,
                "{}",
            );
        }
        self.emit(
            out,
            "response.function_call_arguments.done",
            json!({"item_id": id, "output_index": index, "arguments": call.arguments}),
        );
        let item = function_call_item(&id, &call.call_id, &call.name, &call.arguments, status);
        self.item_done(out, index, item);
    }

    fn item_done(&mut self, out: &mut Vec<u8>, index: usize, item: Value) {
        self.emit(
            out,
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
        self.output.push(item);
    }

    /// Open `item` at the next output index; returns the index.
    fn item_added(&mut self, out: &mut Vec<u8>, item: Value) -> usize {
        let index = self.output.len();
        self.emit(
            out,
            "response.output_item.added",
            json!({"output_index": index, "item": item}),
        );
        index
    }

    /// Put `call` on the wire (with any held-back arguments); close it
    /// right away when it already ended.
    fn open_call(&mut self, out: &mut Vec<u8>, mut call: Call) {
        let index = self.output.len();
        let id = item_id("fc", self.response_id(), index);
        if call.call_id.is_empty() {
            call.call_id = call_id(self.response_id(), index);
        }
        let added = function_call_item(&id, &call.call_id, &call.name, "", "in_progress");
        self.item_added(out, added);
        if !call.arguments.is_empty() {
            let arguments = call.arguments.clone();
            self.delta(
                out,
                "response.function_call_arguments.delta",
                &id,
                index,
                None,
                &arguments,
            );
        }
        if call.ended {
            self.close_call(out, id, index, call, "completed");
        } else {
            self.open = Open::Call { id, index, call };
        }
    }

    /// Send held-back calls until one is still streaming.
    fn release_held(&mut self, out: &mut Vec<u8>) {
        while matches!(self.open, Open::None) && !self.held.is_empty() {
            let call = self.held.remove(0);
            self.open_call(out, call);
        }
    }

    /// Close the open item and every held-back call.
    fn close_all(&mut self, out: &mut Vec<u8>) {
        loop {
            self.close_open(out);
            if self.held.is_empty() {
                return;
            }
            let call = self.held.remove(0);
            self.open_call(out, call);
        }
    }

    fn text(&mut self, out: &mut Vec<u8>, text: &str) {
        if text.is_empty() {
            return;
        }
        if !matches!(self.open, Open::Message { .. }) {
            self.close_all(out);
            let index = self.output.len();
            let id = item_id("msg", self.response_id(), index);
            self.item_added(out, message_item(&id, None, "in_progress"));
            self.emit(
                out,
                "response.content_part.added",
                json!({"item_id": id, "output_index": index, "content_index": 0, "part": output_text("")}),
            );
            self.open = Open::Message {
                id,
                index,
                text: String::new(),
            };
        }
        let (id, index) = match &mut self.open {
            Open::Message {
                id,
                index,
                text: all,
            } => {
                all.push_str(text);
                (id.clone(), *index)
            }
            _ => return,
        };
        let sub = Some(("content_index", 0));
        self.delta(out, "response.output_text.delta", &id, index, sub, text);
    }

    fn thinking(&mut self, out: &mut Vec<u8>, text: &str, signature: Option<String>) {
        // A signature ends its block: what follows is a new reasoning item.
        let reuse = matches!(
            self.open,
            Open::Reasoning {
                signature: None,
                ..
            }
        );
        if !reuse {
            self.close_all(out);
            let index = self.output.len();
            let id = item_id("rs", self.response_id(), index);
            self.item_added(out, reasoning_item(&id, "", None));
            self.open = Open::Reasoning {
                id,
                index,
                text: String::new(),
                signature: None,
                part_open: false,
            };
        }
        let Open::Reasoning {
            id,
            index,
            text: all,
            signature: signed,
            part_open,
        } = &mut self.open
        else {
            return;
        };
        let (id, index) = (id.clone(), *index);
        let opening = !text.is_empty() && !*part_open;
        if !text.is_empty() {
            *part_open = true;
            all.push_str(text);
        }
        if signature.is_some() {
            *signed = signature;
        }
        if opening {
            self.emit(
                out,
                "response.reasoning_summary_part.added",
                json!({"item_id": id, "output_index": index, "summary_index": 0,
                       "part": {"type": "summary_text", "text": ""}}),
            );
        }
        if !text.is_empty() {
            let sub = Some(("summary_index", 0));
            self.delta(
                out,
                "response.reasoning_summary_text.delta",
                &id,
                index,
                sub,
                text,
            );
        }
    }

    fn call_start(&mut self, out: &mut Vec<u8>, index: u32, id: String, name: String) {
        let call = Call {
            index,
            call_id: id,
            name,
            arguments: String::new(),
            ended: false,
        };
        if matches!(self.open, Open::Call { .. }) {
            self.held.push(call);
        } else {
            self.close_all(out);
            self.open_call(out, call);
        }
    }

    fn call_delta(&mut self, out: &mut Vec<u8>, index: u32, arguments: &str) {
        if let Open::Call {
            id,
            index: at,
            call,
        } = &mut self.open
            && call.index == index
        {
            call.arguments.push_str(arguments);
            let (id, at) = (id.clone(), *at);
            self.delta(
                out,
                "response.function_call_arguments.delta",
                &id,
                at,
                None,
                arguments,
            );
        } else if let Some(call) = self.held.iter_mut().find(|c| c.index == index) {
            call.arguments.push_str(arguments);
        } else {
            tracing::debug!(index, "tool-call delta for no open call; dropped");
        }
    }

    fn call_end(&mut self, out: &mut Vec<u8>, index: u32) {
        if matches!(&self.open, Open::Call { call, .. } if call.index == index) {
            self.close_open(out);
            self.release_held(out);
        } else if let Some(call) = self.held.iter_mut().find(|c| c.index == index) {
            call.ended = true;
        }
    }
}

/// Append `value` as a JSON string.
fn write_json(out: &mut Vec<u8>, value: &str) {
    // Serialising a `&str` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

impl StreamEncoder for ResponsesStreamEncoder {
    fn event(&mut self, event: StreamEvent, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        if let StreamEvent::Start(start) = &event {
            self.start(Some(start), out);
            return;
        }
        self.start(None, out);
        match event {
            StreamEvent::Start(_) => {}
            StreamEvent::TextDelta(text) => self.text(out, &text),
            StreamEvent::ThinkingDelta(thinking) => {
                if !thinking.redacted && (!thinking.text.is_empty() || thinking.signature.is_some())
                {
                    self.thinking(out, &thinking.text, thinking.signature);
                }
            }
            StreamEvent::ToolCallStart(start) => {
                self.call_start(out, start.index, start.id, start.name)
            }
            StreamEvent::ToolCallDelta(delta) => {
                self.call_delta(out, delta.index, &delta.arguments)
            }
            StreamEvent::ToolCallEnd(index) => self.call_end(out, index),
            StreamEvent::Usage(usage) => self.usage = Some(usage),
            StreamEvent::Finish(reason) => self.finish = Some(reason),
            StreamEvent::Error(error) => {
                self.ended = true;
                let failure = failure_json(error.kind, &error.message);
                let response = self.shell.as_ref().map(|shell| {
                    shell.render(
                        "failed",
                        Value::Null,
                        failure,
                        &self.output,
                        self.usage.as_ref(),
                    )
                });
                if let Some(response) = response {
                    Self::emit_response(&mut self.sequence, out, "response.failed", &response);
                }
            }
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.start(None, out);
        self.close_all(out);
        let status = Status::from_finish(self.finish.as_ref());
        let (kind, error) = match status {
            Status::Completed => ("response.completed", Value::Null),
            Status::Incomplete(_) => ("response.incomplete", Value::Null),
            Status::Failed => (
                "response.failed",
                failure_json(
                    crate::canonical::ErrorKind::Upstream,
                    "the upstream stopped with an error",
                ),
            ),
        };
        let response = self.shell.as_ref().map(|shell| {
            shell.render(
                status.name(),
                status.incomplete_details(),
                error,
                &self.output,
                self.usage.as_ref(),
            )
        });
        if let Some(response) = response {
            Self::emit_response(&mut self.sequence, out, kind, &response);
        }
    }
}

/// `event: kind`, `data: {"type":kind,"sequence_number":n` (the caller
/// closes the object and the event); `sequence` counts on.
fn head(sequence: &mut u64, out: &mut Vec<u8>, kind: &str) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\ndata: {\"type\":");
    write_json(out, kind);
    out.extend_from_slice(b",\"sequence_number\":");
    out.extend_from_slice(sequence.to_string().as_bytes());
    *sequence += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{Error, ErrorKind, ThinkingDelta, ToolCallDelta, ToolCallStart};

    fn start(id: &str) -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: id.into(),
            model: "up-model".into(),
            created: Some(7),
            extra: None,
        })
    }

    fn usage() -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        })
    }

    fn thinking(text: &str, signature: Option<&str>) -> StreamEvent {
        StreamEvent::ThinkingDelta(ThinkingDelta {
            text: text.into(),
            signature: signature.map(str::to_string),
            redacted: false,
        })
    }

    fn call_start(index: u32, id: &str, name: &str) -> StreamEvent {
        StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: id.into(),
            name: name.into(),
        })
    }

    fn call_delta(index: u32, arguments: &str) -> StreamEvent {
        StreamEvent::ToolCallDelta(ToolCallDelta {
            index,
            arguments: arguments.into(),
        })
    }

    /// Run `events` through a fresh encoder; the events as JSON, after
    /// checking the SSE framing, the `type` and the sequence numbers.
    fn run(events: Vec<StreamEvent>) -> Vec<Value> {
        run_echoing(Echo::default(), events)
    }

    /// [`run`] for a request whose fields the answer echoes.
    fn run_echoing(echo: Echo, events: Vec<StreamEvent>) -> Vec<Value> {
        let mut encoder = ResponsesStreamEncoder::new("wg-1", "asked".into(), echo);
        let mut out = Vec::new();
        for event in events {
            encoder.event(event, &mut out);
        }
        encoder.end(&mut out);
        let text = String::from_utf8(out).unwrap_or_default();
        assert!(text.ends_with("\n\n"));
        let mut parsed = Vec::new();
        for (n, block) in text.split("\n\n").filter(|b| !b.is_empty()).enumerate() {
            let mut lines = block.lines();
            let name = lines.next().and_then(|l| l.strip_prefix("event: "));
            let data = lines.next().and_then(|l| l.strip_prefix("data: "));
            assert!(lines.next().is_none(), "{block}");
            let value: Value = data
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or(Value::Null);
            assert!(data.is_some_and(|d| d.starts_with("{\"type\":")), "{block}");
            assert_eq!(value["type"].as_str(), name, "{block}");
            assert_eq!(value["sequence_number"], n, "{block}");
            parsed.push(value);
        }
        parsed
    }

    fn kinds(events: &[Value]) -> Vec<&str> {
        events.iter().filter_map(|e| e["type"].as_str()).collect()
    }

    #[test]
    fn the_client_tools_are_echoed_on_one_data_line() -> Result<(), crate::api_error::ApiError> {
        let body = br#"{"model": "m", "input": "x", "stream": true,
            "tools": [
              {"type": "function", "name": "a",
               "parameters": {"type": "object",
                              "properties": {"p": {"type": "string", "description": "line\nbreak"}}}}
            ]}"#;
        let (_, echo) = super::super::decode_request(body)?;
        let events = run_echoing(
            echo,
            vec![
                start("chatcmpl-1"),
                StreamEvent::TextDelta("Hi".into()),
                StreamEvent::Finish(FinishReason::Stop),
            ],
        );
        let tools = json!([{"type": "function", "name": "a", "parameters": {"type": "object",
            "properties": {"p": {"type": "string", "description": "line\nbreak"}}}}]);
        let echoing: Vec<_> = events
            .iter()
            .filter(|e| e.get("response").is_some())
            .collect();
        assert_eq!(echoing.len(), 3);
        for event in echoing {
            assert_eq!(event["response"]["tools"], tools, "{event}");
            assert_eq!(event["response"]["tool_choice"], "auto", "{event}");
        }
        Ok(())
    }

    #[test]
    fn text_answer_has_the_full_grammar() {
        let events = run(vec![
            start("chatcmpl-1"),
            StreamEvent::TextDelta("Hel".into()),
            StreamEvent::TextDelta(String::new()),
            StreamEvent::TextDelta("lo".into()),
            StreamEvent::Finish(FinishReason::Stop),
            usage(),
        ]);
        assert_eq!(
            kinds(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        let created = &events[0]["response"];
        assert_eq!(created["id"], "resp_chatcmpl-1");
        assert_eq!(created["status"], "in_progress");
        assert_eq!(created["output"], json!([]));
        assert_eq!(created["model"], "up-model");
        assert_eq!(created["created_at"], 7);
        for key in ["object", "parallel_tool_calls", "tool_choice", "tools"] {
            assert!(created.get(key).is_some(), "{key}");
        }
        assert_eq!(
            events[2]["item"],
            json!({"type": "message", "id": "msg_chatcmpl-1_0", "status": "in_progress", "role": "assistant", "content": []})
        );
        assert_eq!(events[3]["part"]["text"], "");
        assert_eq!(
            events[4],
            json!({"type": "response.output_text.delta", "sequence_number": 4, "item_id": "msg_chatcmpl-1_0",
                   "output_index": 0, "content_index": 0, "delta": "Hel", "logprobs": []})
        );
        assert_eq!(events[6]["text"], "Hello");
        assert_eq!(events[6]["logprobs"], json!([]));
        assert_eq!(events[7]["part"]["text"], "Hello");
        assert_eq!(events[8]["item"]["content"][0]["text"], "Hello");
        assert_eq!(events[8]["item"]["status"], "completed");
        let done = &events[9]["response"];
        assert_eq!(done["id"], "resp_chatcmpl-1");
        assert_eq!(done["status"], "completed");
        assert_eq!(done["output"][0], events[8]["item"]);
        assert_eq!(done["usage"]["total_tokens"], 15);
        assert_eq!(
            done["usage"]["input_tokens_details"]["cache_write_tokens"],
            0
        );
    }

    #[test]
    fn reasoning_text_and_parallel_calls_stay_in_order() {
        let events = run(vec![
            start("resp_up"),
            thinking("Let me ", None),
            thinking("think.", None),
            thinking("", Some("sig")),
            StreamEvent::TextDelta("Calling.".into()),
            call_start(0, "call_a", "get_weather"),
            call_delta(0, "{\"city\":"),
            call_start(1, "call_b", "get_time"),
            call_delta(0, "\"Paris\"}"),
            call_delta(1, "{\"tz\":\"CET\"}"),
            StreamEvent::ToolCallEnd(0),
            StreamEvent::ToolCallEnd(1),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ]);
        assert_eq!(
            kinds(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.reasoning_summary_part.added",
                "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done",
                "response.reasoning_summary_part.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        assert_eq!(events[0]["response"]["id"], "resp_up");
        assert_eq!(
            events[2]["item"],
            json!({"type": "reasoning", "id": "rs_up_0", "summary": []})
        );
        assert_eq!(
            events[4],
            json!({"type": "response.reasoning_summary_text.delta", "sequence_number": 4, "item_id": "rs_up_0",
                   "output_index": 0, "summary_index": 0, "delta": "Let me "})
        );
        assert_eq!(events[6]["text"], "Let me think.");
        assert_eq!(
            events[8]["item"],
            json!({"type": "reasoning", "id": "rs_up_0", "encrypted_content": "sig",
                   "summary": [{"type": "summary_text", "text": "Let me think."}]})
        );
        assert_eq!(events[11]["output_index"], 1);
        assert_eq!(
            events[15]["item"],
            json!({"type": "function_call", "id": "fc_up_2", "call_id": "call_a", "name": "get_weather",
                   "arguments": "", "status": "in_progress"})
        );
        assert_eq!(events[18]["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(events[20]["item"]["call_id"], "call_b");
        assert_eq!(events[20]["output_index"], 3);
        assert_eq!(events[21]["delta"], "{\"tz\":\"CET\"}");
        assert_eq!(events[23]["item"]["arguments"], "{\"tz\":\"CET\"}");
        let output = &events[24]["response"]["output"];
        assert_eq!(output.as_array().map(Vec::len), Some(4));
        assert_eq!(output[2], events[19]["item"]);
        assert_eq!(output[3]["status"], "completed");
    }

    #[test]
    fn signature_only_reasoning_and_calls_without_id_or_arguments() {
        let events = run(vec![
            start(""),
            thinking("", Some("gemini-sig")),
            call_start(0, "", "f"),
            StreamEvent::ToolCallEnd(0),
            thinking("again", None),
        ]);
        assert_eq!(events[0]["response"]["id"], "resp_wg-1");
        assert_eq!(events[0]["response"]["model"], "up-model");
        assert_eq!(
            kinds(&events)[2..],
            [
                "response.output_item.added",
                "response.output_item.done",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.reasoning_summary_part.added",
                "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done",
                "response.reasoning_summary_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        assert_eq!(
            events[3]["item"],
            json!({"type": "reasoning", "id": "rs_wg-1_0", "summary": [], "encrypted_content": "gemini-sig"})
        );
        assert_eq!(events[4]["item"]["call_id"], "call_wg-1_1");
        assert_eq!(events[5]["delta"], "{}");
        assert_eq!(events[7]["item"]["arguments"], "{}");
    }

    #[test]
    fn length_ends_incomplete() {
        let events = run(vec![
            StreamEvent::TextDelta("cut".into()),
            StreamEvent::Finish(FinishReason::Length),
        ]);
        assert_eq!(events[0]["type"], "response.created");
        assert_eq!(events[0]["response"]["model"], "asked");
        assert_eq!(events[2]["item"]["id"], events[3]["item_id"]);
        let last = &events[events.len() - 1];
        assert_eq!(last["type"], "response.incomplete");
        assert_eq!(last["response"]["status"], "incomplete");
        assert_eq!(
            last["response"]["incomplete_details"],
            json!({"reason": "max_output_tokens"})
        );
        assert_eq!(last["response"]["output"][0]["status"], "incomplete");
    }

    #[test]
    fn error_ends_with_response_failed() {
        let events = run(vec![
            start("c"),
            StreamEvent::TextDelta("partial".into()),
            StreamEvent::Error(Error::new(ErrorKind::Upstream, 502, "connection reset")),
            StreamEvent::TextDelta("ignored".into()),
        ]);
        assert_eq!(
            kinds(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.failed",
            ]
        );
        let failed = &events[5]["response"];
        assert_eq!(failed["status"], "failed");
        assert_eq!(
            failed["error"],
            json!({"code": "server_error", "message": "connection reset"})
        );
        assert_eq!(failed["id"], "resp_c");

        let events = run(vec![StreamEvent::Error(Error::new(
            ErrorKind::RateLimit,
            429,
            "slow down",
        ))]);
        assert_eq!(
            kinds(&events),
            [
                "response.created",
                "response.in_progress",
                "response.failed"
            ]
        );
        assert_eq!(
            events[2]["response"]["error"]["code"],
            "rate_limit_exceeded"
        );
    }

    #[test]
    fn empty_stream_still_completes() {
        let events = run(vec![]);
        assert_eq!(
            kinds(&events),
            [
                "response.created",
                "response.in_progress",
                "response.completed"
            ]
        );
        assert_eq!(events[2]["response"]["output"], json!([]));
    }
}
