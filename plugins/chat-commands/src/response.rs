//! The confirmation line on a whole answer.

use crate::types::{ContentPart, Response};

/// Put `line` before the answer's first text, after any leading thinking
/// (a new text part when the answer starts with something else).
pub fn confirm(resp: &mut Response, line: &str) {
    let at = resp
        .content
        .iter()
        .position(|p| !matches!(p, ContentPart::Thinking(_)))
        .unwrap_or(resp.content.len());
    match resp.content.get_mut(at) {
        Some(ContentPart::Text(text)) => text.insert_str(0, line),
        _ => resp.content.insert(at, ContentPart::Text(line.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FinishReason, Thinking, ToolCall};

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

    #[test]
    fn prepends_to_text_after_thinking() {
        let thinking = ContentPart::Thinking(Thinking {
            text: "hm".into(),
            signature: None,
            redacted: false,
        });
        let mut r = response(vec![thinking.clone(), ContentPart::Text("Hi".into())]);
        confirm(&mut r, "[c]\n\n");
        assert_eq!(
            r.content,
            vec![thinking, ContentPart::Text("[c]\n\nHi".into())]
        );
    }

    #[test]
    fn adds_text_before_a_call_or_into_an_empty_answer() {
        let call = ContentPart::ToolCall(ToolCall {
            id: "c".into(),
            name: "f".into(),
            arguments: "{}".into(),
        });
        let mut r = response(vec![call.clone()]);
        confirm(&mut r, "[c]\n\n");
        assert_eq!(r.content, vec![ContentPart::Text("[c]\n\n".into()), call]);
        let mut r = response(vec![]);
        confirm(&mut r, "[c]\n\n");
        assert_eq!(r.content, vec![ContentPart::Text("[c]\n\n".into())]);
    }
}
