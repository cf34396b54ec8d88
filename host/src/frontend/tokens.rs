//! A local token estimate for the count-tokens endpoints (Anthropic
//! `count_tokens`, Gemini `countTokens`). The gateway does not call the
//! upstream for these: it estimates about four bytes of text per token,
//! which is what clients use them for (budgeting, not billing).

use crate::canonical::{ContentPart, Request, ToolResultPart};

/// Bytes of text per estimated token.
const BYTES_PER_TOKEN: usize = 4;
/// A flat estimate for one image.
const IMAGE_TOKENS: usize = 1_000;

/// The estimated prompt size of `req` in tokens.
pub fn estimate(req: &Request) -> u64 {
    let mut bytes = 0usize;
    let mut images = 0usize;
    for message in &req.messages {
        bytes += 4; // role and framing
        for part in &message.content {
            match part {
                ContentPart::Text(text) => bytes += text.len(),
                ContentPart::Image(_) => images += 1,
                ContentPart::Thinking(t) => bytes += t.text.len(),
                ContentPart::ToolCall(call) => bytes += call.name.len() + call.arguments.len(),
                ContentPart::ToolResult(result) => {
                    for part in &result.content {
                        match part {
                            ToolResultPart::Text(text) => bytes += text.len(),
                            ToolResultPart::Image(_) => images += 1,
                        }
                    }
                }
            }
        }
    }
    for tool in &req.tools {
        bytes += tool.name.len()
            + tool.description.as_ref().map_or(0, String::len)
            + tool.parameters.len();
    }
    (bytes.div_ceil(BYTES_PER_TOKEN) + images * IMAGE_TOKENS) as u64
}
