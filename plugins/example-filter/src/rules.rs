//! What the filter does to requests, responses and stream events.

use crate::bindings::exports::wasmgate::plugin::filter::RequestAction;
use crate::config::Config;
use crate::types::{ContentPart, Error, ErrorKind, Message, Request, Response, Role, StreamEvent};

/// The message a blocked prompt is rejected with.
pub const BLOCKED_MESSAGE: &str = "blocked by example-filter: the prompt contains a blocked word";

/// Block, prefix or pass the request.
pub fn on_request(config: &Config, mut req: Request) -> RequestAction {
    if let Some(word) = &config.block_word
        && contains_word(&req, word)
    {
        return RequestAction::Reject(Error {
            kind: ErrorKind::InvalidRequest,
            message: BLOCKED_MESSAGE.into(),
            status: 400,
            retryable: false,
        });
    }
    let Some(prefix) = &config.system_prefix else {
        return RequestAction::Pass;
    };
    req.messages.insert(
        0,
        Message {
            role: Role::System,
            content: vec![ContentPart::Text(prefix.clone())],
            name: None,
            extra: None,
        },
    );
    RequestAction::Continue(req)
}

/// True when any user message's text contains `word` (ignoring case).
fn contains_word(req: &Request, word: &str) -> bool {
    let word = word.to_lowercase();
    req.messages
        .iter()
        .filter(|m| m.role == Role::User)
        .flat_map(|m| &m.content)
        .any(|part| matches!(part, ContentPart::Text(t) if t.to_lowercase().contains(&word)))
}

/// Append the reply suffix to the last text part (or add one).
pub fn on_response(config: &Config, mut resp: Response) -> Response {
    let Some(suffix) = &config.reply_suffix else {
        return resp;
    };
    let last_text = resp.content.iter_mut().rev().find_map(|p| match p {
        ContentPart::Text(t) => Some(t),
        _ => None,
    });
    match last_text {
        Some(text) => text.push_str(suffix),
        None => resp.content.push(ContentPart::Text(suffix.clone())),
    }
    resp
}

/// Pass an event on; before `finish`, inject the suffix as a text delta.
pub fn on_stream_event(suffix: Option<&str>, event: StreamEvent) -> Vec<StreamEvent> {
    match (suffix, &event) {
        (Some(suffix), StreamEvent::Finish(_)) => {
            vec![StreamEvent::TextDelta(suffix.to_string()), event]
        }
        _ => vec![event],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FinishReason, Sampling, ToolCall};

    fn request(text: &str) -> Request {
        Request {
            model: "m".into(),
            messages: vec![Message {
                role: Role::User,
                content: vec![ContentPart::Text(text.into())],
                name: None,
                extra: None,
            }],
            tools: vec![],
            tool_choice: None,
            parallel_tool_calls: None,
            sampling: Sampling {
                max_tokens: None,
                temperature: None,
                top_p: None,
                stop: vec![],
                seed: None,
            },
            stream: false,
            reasoning: None,
            extra: None,
        }
    }

    fn response(content: Vec<ContentPart>) -> Response {
        Response {
            id: "r".into(),
            model: "m".into(),
            created: None,
            content,
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            extra: None,
        }
    }

    fn config(prefix: Option<&str>, suffix: Option<&str>, block: Option<&str>) -> Config {
        Config {
            system_prefix: prefix.map(Into::into),
            reply_suffix: suffix.map(Into::into),
            block_word: block.map(Into::into),
        }
    }

    #[test]
    fn passes_unchanged_without_config() {
        assert_eq!(
            on_request(&Config::default(), request("hello")),
            RequestAction::Pass
        );
    }

    #[test]
    fn blocks_the_word() {
        let action = on_request(
            &config(None, None, Some("secret")),
            request("tell me the SECRET"),
        );
        match action {
            RequestAction::Reject(e) => {
                assert_eq!(e.message, BLOCKED_MESSAGE);
                assert_eq!(
                    (e.kind, e.status, e.retryable),
                    (ErrorKind::InvalidRequest, 400, false)
                );
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn prefixes_a_system_message() {
        let action = on_request(
            &config(Some("be kind"), None, Some("secret")),
            request("hi"),
        );
        match action {
            RequestAction::Continue(req) => {
                assert_eq!(req.messages.len(), 2);
                assert_eq!(req.messages[0].role, Role::System);
                assert_eq!(
                    req.messages[0].content,
                    vec![ContentPart::Text("be kind".into())]
                );
            }
            other => panic!("expected continue, got {other:?}"),
        }
    }

    #[test]
    fn suffix_on_the_last_text_part() {
        let c = config(None, Some(" [ok]"), None);
        let call = ContentPart::ToolCall(ToolCall {
            id: "c".into(),
            name: "f".into(),
            arguments: "{}".into(),
        });
        let r = on_response(
            &c,
            response(vec![ContentPart::Text("a".into()), call.clone()]),
        );
        assert_eq!(
            r.content,
            vec![ContentPart::Text("a [ok]".into()), call.clone()]
        );
        let r = on_response(&c, response(vec![call.clone()]));
        assert_eq!(r.content, vec![call, ContentPart::Text(" [ok]".into())]);
    }

    #[test]
    fn stream_suffix_before_finish() {
        let finish = StreamEvent::Finish(FinishReason::Stop);
        let text = StreamEvent::TextDelta("x".into());
        assert_eq!(on_stream_event(Some("!"), text.clone()), vec![text.clone()]);
        assert_eq!(
            on_stream_event(Some("!"), finish.clone()),
            vec![StreamEvent::TextDelta("!".into()), finish.clone()]
        );
        assert_eq!(on_stream_event(None, finish.clone()), vec![finish]);
    }
}
