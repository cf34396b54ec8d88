//! Contract checks on what plugins return. A violation becomes a typed plugin
//! error, never a malformed answer to the client.

use std::collections::BTreeSet;

use super::{ContentPart, Error, Message, Request, Response, StreamEvent};
use crate::runtime::bindings::filter::exports::wasmgate::plugin::filter::MessageEdit;

/// A request a filter returns must still be a request. `before` is the
/// request the filter was given: a tool schema left as it was is not read
/// again (a coding agent sends 20 of them, 40 KB in all).
pub fn validate_request(req: &Request, before: &Request) -> Result<(), String> {
    if req.model.is_empty() {
        return Err("request.model is empty".into());
    }
    if req.messages.is_empty() {
        return Err("request.messages is empty".into());
    }
    json_object("request.extra", req.extra.as_deref())?;
    for (i, message) in req.messages.iter().enumerate() {
        validate_message(i, message)?;
    }
    for (i, tool) in req.tools.iter().enumerate() {
        if tool.name.is_empty() {
            return Err(format!("tools[{i}].name is empty"));
        }
        let unchanged = before
            .tools
            .get(i)
            .is_some_and(|t| t.parameters == tool.parameters);
        if !unchanged && !is_json(&tool.parameters) {
            return Err(format!("tools[{i}].parameters is not JSON"));
        }
        json_object(&format!("tools[{i}].extra"), tool.extra.as_deref())?;
    }
    Ok(())
}

/// An `edit` a filter returns must replace messages the request has, each
/// once, in order, with messages that are themselves well formed.
pub fn validate_edits(req: &Request, edits: &[MessageEdit]) -> Result<(), String> {
    let mut next = 0usize;
    for (i, edit) in edits.iter().enumerate() {
        let index = edit.index as usize;
        if index >= req.messages.len() {
            return Err(format!(
                "edit[{i}] replaces message {index} of {}",
                req.messages.len()
            ));
        }
        if index < next {
            return Err(format!(
                "edit[{i}] replaces message {index} out of order (indexes must increase)"
            ));
        }
        next = index + 1;
        validate_message(index, &edit.message)?;
    }
    Ok(())
}

/// Message `i` of a request: its extra fields must be a JSON object.
fn validate_message(i: usize, message: &Message) -> Result<(), String> {
    json_object(&format!("messages[{i}].extra"), message.extra.as_deref())
}

/// A response must be an assistant answer.
pub fn validate_response(resp: &Response) -> Result<(), String> {
    json_object("response.extra", resp.extra.as_deref())?;
    for (i, part) in resp.content.iter().enumerate() {
        match part {
            ContentPart::ToolResult(_) => {
                return Err(format!("response.content[{i}] is a tool result"));
            }
            ContentPart::ToolCall(call) if call.name.is_empty() => {
                return Err(format!("response.content[{i}] is a tool call with no name"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// An error's status must be an HTTP error status.
pub fn validate_error(error: &Error) -> Result<(), String> {
    if (400..=599).contains(&error.status) {
        Ok(())
    } else {
        Err(format!("error.status {} is not in 400..=599", error.status))
    }
}

/// `text`, when there is one, must be a JSON object.
fn json_object(what: &str, text: Option<&str>) -> Result<(), String> {
    match text {
        None => Ok(()),
        Some(text) if text.trim_start().starts_with('{') && is_json(text) => Ok(()),
        Some(_) => Err(format!("{what} is not a JSON object")),
    }
}

/// Whether `text` is one JSON value (read through, not built).
fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Checks the stream-event grammar of one plugin's output.
#[derive(Debug, Default)]
pub struct StreamChecker {
    open: BTreeSet<u32>,
    seen: BTreeSet<u32>,
}

impl StreamChecker {
    /// Check the next event.
    pub fn check(&mut self, event: &StreamEvent) -> Result<(), String> {
        match event {
            StreamEvent::ToolCallStart(start) => {
                if !self.seen.insert(start.index) {
                    return Err(format!("tool call {} started twice", start.index));
                }
                self.open.insert(start.index);
            }
            StreamEvent::ToolCallDelta(delta) if !self.open.contains(&delta.index) => {
                return Err(format!(
                    "arguments for tool call {} which is not open",
                    delta.index
                ));
            }
            StreamEvent::ToolCallEnd(index) if !self.open.remove(index) => {
                return Err(format!("end of tool call {index} which is not open"));
            }
            StreamEvent::Error(error) => validate_error(error)?,
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{Role, ToolCallDelta, ToolCallStart, ToolDefinition};

    fn with_tool(parameters: &str) -> Request {
        let mut req = Request::new(
            "m",
            vec![Message::new(
                Role::User,
                vec![ContentPart::Text("hi".into())],
            )],
        );
        req.tools.push(ToolDefinition {
            name: "t".into(),
            description: None,
            parameters: parameters.into(),
            extra: None,
        });
        req
    }

    #[test]
    fn a_changed_schema_must_be_json_and_extra_an_object() {
        let before = with_tool(r#"{"type":"object"}"#);
        assert_eq!(validate_request(&before, &before), Ok(()));
        let changed = with_tool(r#"{"type":"object","properties":{}}"#);
        assert_eq!(validate_request(&changed, &before), Ok(()));
        let broken = with_tool(r#"{"type":"#);
        assert_eq!(
            validate_request(&broken, &before),
            Err("tools[0].parameters is not JSON".into())
        );
        // The filter was given this text: it is not the filter's fault.
        assert_eq!(validate_request(&broken, &broken), Ok(()));
        for (extra, ok) in [
            (r#" {"a":[1]} "#, true),
            ("[1]", false),
            (r#"{"a":"#, false),
        ] {
            let mut req = before.clone();
            req.extra = Some(extra.into());
            assert_eq!(validate_request(&req, &before).is_ok(), ok, "{extra}");
        }
    }

    #[test]
    fn stream_checker_rejects_orphan_delta() {
        let mut checker = StreamChecker::default();
        let delta = StreamEvent::ToolCallDelta(ToolCallDelta {
            index: 3,
            arguments: "{}".into(),
        });
        assert!(checker.check(&delta).is_err());
        let start = StreamEvent::ToolCallStart(ToolCallStart {
            index: 3,
            id: "c".into(),
            name: "f".into(),
        });
        assert!(checker.check(&start).is_ok());
        assert!(checker.check(&delta).is_ok());
        assert!(checker.check(&StreamEvent::ToolCallEnd(3)).is_ok());
        assert!(checker.check(&StreamEvent::ToolCallEnd(3)).is_err());
    }

    fn message(text: &str, extra: Option<&str>) -> crate::canonical::Message {
        crate::canonical::Message {
            role: crate::canonical::Role::User,
            content: vec![ContentPart::Text(text.into())],
            name: None,
            extra: extra.map(Into::into),
        }
    }

    #[test]
    fn edits_must_name_messages_in_range_and_in_order() {
        let req = Request::new(
            "m",
            vec![message("a", None), message("b", None), message("c", None)],
        );
        let edit = |index, extra| MessageEdit {
            index,
            message: message("x", extra),
        };
        let refused = |edits: &[MessageEdit]| validate_edits(&req, edits).err().unwrap_or_default();
        assert_eq!(validate_edits(&req, &[]), Ok(()));
        assert_eq!(
            validate_edits(&req, &[edit(0, None), edit(2, None)]),
            Ok(())
        );
        let past = refused(&[edit(3, None)]);
        assert!(past.contains("message 3 of 3"), "{past}");
        let backwards = refused(&[edit(2, None), edit(1, None)]);
        assert!(backwards.contains("out of order"), "{backwards}");
        let twice = refused(&[edit(1, None), edit(1, None)]);
        assert!(twice.contains("out of order"), "{twice}");
        let extra = refused(&[edit(1, Some("[1]"))]);
        assert!(extra.contains("messages[1].extra"), "{extra}");
    }
}
