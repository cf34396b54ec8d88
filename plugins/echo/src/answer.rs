//! Reading echo's local answer back into canonical form.

use serde_json::Value;

use crate::error;
use crate::types::{ContentPart, Error, FinishReason, HttpResponse, Response, Usage};

/// The fields of echo's JSON answer body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Answer id.
    pub id: String,
    /// Model name.
    pub model: String,
    /// The reply text.
    pub text: String,
    /// Words in the request.
    pub input_tokens: u64,
    /// Words in the reply.
    pub output_tokens: u64,
}

impl Answer {
    /// Token usage of this answer.
    pub fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        }
    }
}

/// Read an answer body.
pub fn read_body(body: &[u8]) -> Result<Answer, Error> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| error::bad_body(format!("echo answer is not valid JSON: {e}")))?;
    let text = |key: &str| {
        json.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let count = |key: &str| json.get(key).and_then(Value::as_u64).unwrap_or(0);
    Ok(Answer {
        id: text("id"),
        model: text("model"),
        text: text("text"),
        input_tokens: count("input_tokens"),
        output_tokens: count("output_tokens"),
    })
}

/// The canonical response for a whole answer, or the error it carries.
pub fn parse(resp: &HttpResponse, now_ms: u64) -> Result<Response, Error> {
    if !(200..=299).contains(&resp.status) {
        return Err(error::refused(
            error_message(resp.status, &resp.body),
            resp.status,
        ));
    }
    let answer = read_body(&resp.body)?;
    Ok(Response {
        usage: Some(answer.usage()),
        id: answer.id,
        model: answer.model,
        created: Some(now_ms / 1000),
        content: vec![ContentPart::Text(answer.text)],
        finish_reason: Some(FinishReason::Stop),
        extra: None,
    })
}

/// `error.message` of an error body, else the body text, else the status.
fn error_message(status: u16, body: &[u8]) -> String {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if let Some(message) = json.pointer("/error/message").and_then(Value::as_str) {
        return message.to_string();
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("echo returned HTTP {status}")
    } else {
        text.chars().take(1000).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorKind;

    fn http(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn whole_answer() {
        let body = r#"{"id":"echo-5","model":"echo","text":"echo: hi","input_tokens":1,"output_tokens":2}"#;
        let r = parse(&http(200, body), 1_700_000_000_123);
        assert_eq!(
            r,
            Ok(Response {
                id: "echo-5".into(),
                model: "echo".into(),
                created: Some(1_700_000_000),
                content: vec![ContentPart::Text("echo: hi".into())],
                finish_reason: Some(FinishReason::Stop),
                usage: Some(Usage {
                    input_tokens: 1,
                    output_tokens: 2,
                    cached_input_tokens: None,
                    cache_write_tokens: None,
                    reasoning_tokens: None,
                }),
                extra: None,
            })
        );
    }

    #[test]
    fn error_answer() {
        let e = parse(
            &http(400, r#"{"error":{"message":"echo was asked to fail"}}"#),
            0,
        );
        assert_eq!(
            e,
            Err(Error {
                kind: ErrorKind::InvalidRequest,
                message: "echo was asked to fail".into(),
                status: 400,
                retryable: false,
            })
        );
    }

    #[test]
    fn bad_body() {
        assert!(parse(&http(200, "nope"), 0).is_err());
    }
}
