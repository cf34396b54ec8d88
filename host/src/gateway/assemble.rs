//! A whole answer made from stream events: for an upstream that streams
//! though the request asked it not to. The inverse of
//! [`super::events::response_events`].

use crate::api_error::ApiError;
use crate::canonical::{ContentPart, Response, StreamEvent, Thinking, ToolCall};

/// The answer `events` (a whole stream, in the contract's grammar) spell;
/// an `error` event is the answer's error.
pub fn answer(events: Vec<StreamEvent>) -> Result<Response, ApiError> {
    let mut response = Response {
        id: String::new(),
        model: String::new(),
        created: None,
        content: Vec::new(),
        finish_reason: None,
        usage: None,
        extra: None,
    };
    // Where each tool call (by its stream index) is in `content`.
    let mut calls: Vec<(u32, usize)> = Vec::new();
    for event in events {
        match event {
            StreamEvent::Start(start) => {
                response.id = start.id;
                response.model = start.model;
                response.created = start.created;
                response.extra = start.extra;
            }
            StreamEvent::TextDelta(text) => match response.content.last_mut() {
                Some(ContentPart::Text(last)) => last.push_str(&text),
                _ => response.content.push(ContentPart::Text(text)),
            },
            StreamEvent::ThinkingDelta(delta) => match response.content.last_mut() {
                // A block goes on until it is signed, or its kind changes.
                Some(ContentPart::Thinking(last))
                    if last.signature.is_none() && last.redacted == delta.redacted =>
                {
                    last.text.push_str(&delta.text);
                    last.signature = delta.signature;
                }
                _ => response.content.push(ContentPart::Thinking(Thinking {
                    text: delta.text,
                    signature: delta.signature,
                    redacted: delta.redacted,
                })),
            },
            StreamEvent::ToolCallStart(start) => {
                calls.push((start.index, response.content.len()));
                response.content.push(ContentPart::ToolCall(ToolCall {
                    id: start.id,
                    name: start.name,
                    arguments: String::new(),
                }));
            }
            StreamEvent::ToolCallDelta(delta) => {
                let at = calls.iter().rev().find(|(index, _)| *index == delta.index);
                if let Some(ContentPart::ToolCall(call)) =
                    at.and_then(|(_, at)| response.content.get_mut(*at))
                {
                    call.arguments.push_str(&delta.arguments);
                }
            }
            StreamEvent::ToolCallEnd(_) => {}
            StreamEvent::Usage(usage) => response.usage = Some(usage),
            StreamEvent::Finish(reason) => response.finish_reason = Some(reason),
            StreamEvent::Error(error) => return Err(error.into()),
        }
    }
    // A call streamed without arguments takes none.
    for part in &mut response.content {
        if let ContentPart::ToolCall(call) = part
            && call.arguments.trim().is_empty()
        {
            call.arguments = "{}".to_string();
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{FinishReason, ThinkingDelta, ToolCallDelta, ToolCallStart, Usage};
    use crate::gateway::events::response_events;

    fn call(id: &str, name: &str, arguments: &str) -> ContentPart {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        })
    }

    #[test]
    fn events_make_the_answer_they_came_from() -> Result<(), ApiError> {
        let response = Response {
            id: "r1".into(),
            model: "m".into(),
            created: Some(7),
            content: vec![
                ContentPart::Thinking(Thinking {
                    text: "hmm".into(),
                    signature: Some("sig".into()),
                    redacted: false,
                }),
                ContentPart::Text("Hello".into()),
                call("c1", "f", r#"{"a":1}"#),
                call("c2", "g", "{}"),
            ],
            finish_reason: Some(FinishReason::ToolCalls),
            usage: Some(Usage {
                input_tokens: 3,
                output_tokens: 4,
                cached_input_tokens: None,
                cache_write_tokens: None,
                reasoning_tokens: None,
            }),
            extra: Some(r#"{"openai-chat":{"system_fingerprint":"fp"}}"#.into()),
        };
        let again = answer(response_events(&response))?;
        assert_eq!(format!("{again:?}"), format!("{response:?}"));
        Ok(())
    }

    #[test]
    fn deltas_join_and_an_error_is_the_answer() {
        let thinking = |text: &str, signature: Option<&str>| {
            StreamEvent::ThinkingDelta(ThinkingDelta {
                text: text.into(),
                signature: signature.map(str::to_string),
                redacted: false,
            })
        };
        let events = vec![
            thinking("a", None),
            thinking("b", Some("s1")),
            thinking("c", None),
            StreamEvent::TextDelta("Hel".into()),
            StreamEvent::TextDelta("lo".into()),
            StreamEvent::ToolCallStart(ToolCallStart {
                index: 0,
                id: "c1".into(),
                name: "f".into(),
            }),
            StreamEvent::ToolCallStart(ToolCallStart {
                index: 1,
                id: "c2".into(),
                name: "g".into(),
            }),
            StreamEvent::ToolCallDelta(ToolCallDelta {
                index: 0,
                arguments: "{\"a\"".into(),
            }),
            StreamEvent::ToolCallDelta(ToolCallDelta {
                index: 0,
                arguments: ":1}".into(),
            }),
            StreamEvent::ToolCallEnd(0),
            StreamEvent::ToolCallEnd(1),
        ];
        let content = answer(events.clone()).map(|r| format!("{:?}", r.content));
        let expected = vec![
            ContentPart::Thinking(Thinking {
                text: "ab".into(),
                signature: Some("s1".into()),
                redacted: false,
            }),
            ContentPart::Thinking(Thinking {
                text: "c".into(),
                signature: None,
                redacted: false,
            }),
            ContentPart::Text("Hello".into()),
            call("c1", "f", r#"{"a":1}"#),
            call("c2", "g", "{}"),
        ];
        assert_eq!(content.ok(), Some(format!("{expected:?}")));

        let mut failed = events;
        failed.push(StreamEvent::Error(crate::canonical::Error {
            kind: crate::canonical::ErrorKind::Overloaded,
            message: "busy".into(),
            status: 529,
            retryable: true,
        }));
        let error = answer(failed).err();
        assert_eq!(
            error.map(|e| (e.status.as_u16(), e.message)),
            Some((529, "busy".to_string()))
        );
    }
}
