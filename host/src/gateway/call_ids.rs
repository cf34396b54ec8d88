//! Ids for the tool calls an upstream answered without one.
//!
//! Some OpenAI-compatible servers and Gemini give a call no id, yet every
//! client API needs one: a tool result names the call it answers, and
//! Anthropic's API refuses a conversation in which two `tool_use` blocks
//! share an id. A provider plugin leaves such an id empty, and the gateway
//! fills it here, after the filters, with an id no other call of this
//! process or of an earlier run has: `call_wg` + the process's start time
//! + a counter. Numbering per answer (`call_0`) would repeat on every turn.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::canonical::{ContentPart, Response, StreamEvent};

/// Give every tool call of `response` with an empty id a fresh one.
pub fn fill_response(response: &mut Response) {
    for part in &mut response.content {
        if let ContentPart::ToolCall(call) = part
            && call.id.is_empty()
        {
            call.id = fresh();
        }
    }
}

/// Give every tool-call start in `events` with an empty id a fresh one.
pub fn fill_events(events: &mut [StreamEvent]) {
    for event in events {
        if let StreamEvent::ToolCallStart(start) = event
            && start.id.is_empty()
        {
            start.id = fresh();
        }
    }
}

/// A call id not given before, in this run or an earlier one.
fn fresh() -> String {
    /// The process's start, in microseconds since the epoch (hex).
    static RUN: LazyLock<String> = LazyLock::new(|| {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        format!("{micros:x}")
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("call_wg{}_{}", *RUN, NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{ToolCall, ToolCallStart};

    fn call(id: &str) -> ContentPart {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: "Bash".into(),
            arguments: "{}".into(),
        })
    }

    fn ids(response: &Response) -> Vec<String> {
        response
            .content
            .iter()
            .filter_map(|part| match part {
                ContentPart::ToolCall(call) => Some(call.id.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn empty_ids_get_distinct_ids_and_given_ones_stay() {
        let mut first = Response {
            id: "chatcmpl-1".into(),
            model: "m".into(),
            created: None,
            content: vec![
                call(""),
                ContentPart::Text("hi".into()),
                call("toolu_1"),
                call(""),
            ],
            finish_reason: None,
            usage: None,
            extra: None,
        };
        fill_response(&mut first);
        let first = ids(&first);
        assert_eq!(first[1], "toolu_1");
        assert!(first[0].starts_with("call_wg") && first[2].starts_with("call_wg"));
        assert_ne!(first[0], first[2]);

        // The next answer's calls are not numbered from zero again.
        let mut next = vec![
            StreamEvent::ToolCallStart(ToolCallStart {
                index: 0,
                id: String::new(),
                name: "Bash".into(),
            }),
            StreamEvent::ToolCallEnd(0),
        ];
        fill_events(&mut next);
        let id = match &next[0] {
            StreamEvent::ToolCallStart(start) => start.id.clone(),
            _ => String::new(),
        };
        assert!(id.starts_with("call_wg"), "{next:?}");
        assert!(!first.contains(&id));
        assert!(
            id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "Anthropic accepts [a-zA-Z0-9_-] ids: {id}"
        );
    }
}
