//! The whole-answer path: the same repairs as the stream, on a response.

use crate::calls::Env;
use crate::flow::{Emitted, Flow, Item};
use crate::types::{ContentPart, Error, Response};

/// Repair every call in `resp` and turn textual calls into calls. Also
/// returns log notes.
pub fn repair(env: Env, mut resp: Response) -> (Result<Response, Error>, Vec<String>) {
    let scanning = env.textual;
    let mut flow = Flow::new(env);
    let mut ordered: Vec<Result<Item, ContentPart>> = Vec::new();
    for part in std::mem::take(&mut resp.content) {
        match part {
            ContentPart::Text(t) => ordered.extend(flow.text(t).into_iter().map(Ok)),
            other => {
                ordered.extend(flow.end_text().into_iter().map(Ok));
                match other {
                    ContentPart::ToolCall(call) => ordered.push(Ok(Item::Call(call))),
                    other => ordered.push(Err(other)),
                }
            }
        }
    }
    ordered.extend(flow.end_text().into_iter().map(Ok));
    let mut content: Vec<ContentPart> = Vec::new();
    for entry in ordered {
        let emitted = match entry {
            Err(part) => {
                content.push(part);
                continue;
            }
            Ok(Item::Text(t)) => flow.emit_text(t),
            Ok(Item::Call(call)) => match flow.resolve(call) {
                Ok(e) => e,
                Err(e) => return (Err(e), std::mem::take(&mut flow.notes)),
            },
        };
        match emitted {
            // Text the scanner split around a call it left alone is joined
            // again; without a scanner the parts stay as they came.
            Emitted::Text(t) => match content.last_mut() {
                Some(ContentPart::Text(last)) if scanning => last.push_str(&t),
                _ => content.push(ContentPart::Text(t)),
            },
            Emitted::Call(call) => content.push(ContentPart::ToolCall(call)),
        }
    }
    resp.content = content;
    resp.finish_reason = resp.finish_reason.map(|r| flow.finish_reason(r));
    (Ok(resp), std::mem::take(&mut flow.notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::tests::{call, env};
    use crate::config::Config;
    use crate::types::{FinishReason, Thinking, ToolCall};

    fn response(content: Vec<ContentPart>, finish: FinishReason) -> Response {
        Response {
            id: "r".into(),
            model: "m".into(),
            created: Some(1),
            content,
            finish_reason: Some(finish),
            usage: None,
            extra: Some("{\"x\":1}".into()),
        }
    }

    #[test]
    fn clean_answer_is_unchanged() {
        let thinking = ContentPart::Thinking(Thinking {
            text: String::new(),
            signature: Some("sig".into()),
            redacted: false,
        });
        let resp = response(
            vec![
                ContentPart::Text("a".into()),
                ContentPart::Text("b".into()),
                thinking,
                ContentPart::ToolCall(call("Bash", "{\"command\":  \"ls\"}")),
            ],
            FinishReason::ToolCalls,
        );
        let (out, notes) = repair(env(Config::default()), resp.clone());
        // Adjacent text parts may be joined by the scanner; nothing else moves.
        let mut want = resp.clone();
        want.content.remove(1);
        want.content[0] = ContentPart::Text("ab".into());
        assert_eq!(out, Ok(want));
        assert!(notes.is_empty());
        // Without declared tools, parts stay exactly as they came.
        let bare = crate::calls::Env::new(Config::default(), vec![], true, "x".into());
        let (out, _) = repair(bare, resp.clone());
        assert_eq!(out, Ok(resp));
    }

    #[test]
    fn textual_call_before_thinking_is_converted() {
        let resp = response(
            vec![
                ContentPart::Text(
                    "<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}".into(),
                ),
                ContentPart::Thinking(Thinking {
                    text: "hm".into(),
                    signature: None,
                    redacted: false,
                }),
                ContentPart::Text(" done".into()),
            ],
            FinishReason::Stop,
        );
        let (out, notes) = repair(env(Config::default()), resp);
        let out = out.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            out.content,
            vec![
                ContentPart::ToolCall(ToolCall {
                    id: "call_t_1".into(),
                    name: "Bash".into(),
                    arguments: "{\"command\":\"ls\"}".into()
                }),
                ContentPart::Thinking(Thinking {
                    text: "hm".into(),
                    signature: None,
                    redacted: false
                }),
                ContentPart::Text(" done".into()),
            ]
        );
        assert_eq!(out.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(notes.len(), 1, "{notes:?}");
    }
}
