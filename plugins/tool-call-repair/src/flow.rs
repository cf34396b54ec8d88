//! What both paths share: scanning text for textual calls and resolving
//! calls in answer order, with the bookkeeping the finish reason needs.

use crate::calls::{self, Disposition, Env};
use crate::textual::{Piece, Scanner};
use crate::types::{Error, FinishReason, ToolCall};

/// A piece of the answer, in order, before calls are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Text to pass on.
    Text(String),
    /// A call to repair (from the upstream, or found in text).
    Call(ToolCall),
}

/// What the client gets for an [`Item`].
#[derive(Debug, Clone, PartialEq)]
pub enum Emitted {
    /// Text.
    Text(String),
    /// A (repaired) call.
    Call(ToolCall),
}

/// Per-answer state.
#[derive(Debug)]
pub struct Flow {
    env: Env,
    scanner: Option<Scanner>,
    /// Calls made from text so far (numbers their ids).
    made: u32,
    /// Calls passed on.
    kept: u32,
    /// Calls replaced by text.
    replaced: u32,
    /// Trailing newlines of the text passed on so far (up to 2), or `None`
    /// before any text.
    tail: Option<usize>,
    /// Log lines about what was repaired.
    pub notes: Vec<String>,
}

impl Flow {
    /// A fresh answer for `env`.
    pub fn new(env: Env) -> Self {
        let scanner = env.textual.then(Scanner::default);
        Flow {
            env,
            scanner,
            made: 0,
            kept: 0,
            replaced: 0,
            tail: None,
            notes: Vec::new(),
        }
    }

    /// More assistant text.
    pub fn text(&mut self, text: String) -> Vec<Item> {
        match self.scanner.as_mut() {
            None => vec![Item::Text(text)],
            Some(s) => {
                let pieces = s.push(&text, &self.env);
                self.items(pieces)
            }
        }
    }

    /// The text run ended (another kind of content follows, or the answer
    /// ended): release what the scanner holds.
    pub fn end_text(&mut self) -> Vec<Item> {
        match self.scanner.as_mut() {
            Some(s) => {
                let pieces = s.finish(&self.env);
                self.items(pieces)
            }
            None => Vec::new(),
        }
    }

    fn items(&mut self, pieces: Vec<Piece>) -> Vec<Item> {
        pieces
            .into_iter()
            .filter_map(|p| match p {
                Piece::Text(t) if t.is_empty() => None,
                Piece::Text(t) => Some(Item::Text(t)),
                Piece::Call { name, arguments } => {
                    self.made += 1;
                    self.notes.push(format!(
                        "turned a tool call to `{name}` written as text into a call"
                    ));
                    Some(Item::Call(ToolCall {
                        id: format!("{}_{}", self.env.id_prefix, self.made),
                        name,
                        arguments: serde_json::Value::Object(arguments).to_string(),
                    }))
                }
            })
            .collect()
    }

    /// Pass text on (bookkeeping only).
    pub fn emit_text(&mut self, text: String) -> Emitted {
        let newlines = text.len() - text.trim_end_matches('\n').len();
        self.tail = Some(if newlines == text.len() {
            (self.tail.unwrap_or(0) + newlines).min(2)
        } else {
            newlines.min(2)
        });
        Emitted::Text(text)
    }

    /// Repair a call in answer order.
    pub fn resolve(&mut self, call: ToolCall) -> Result<Emitted, Error> {
        let (disposition, notes) = calls::dispose(&self.env, call);
        self.notes.extend(notes);
        match disposition {
            Disposition::Call(c) => {
                self.kept += 1;
                Ok(Emitted::Call(c))
            }
            Disposition::Text(report) => {
                self.replaced += 1;
                // Set the report off from text before it.
                let sep = match self.tail {
                    None => 0,
                    Some(n) => 2 - n.min(2),
                };
                Ok(self.emit_text(format!("{}{report}", "\n".repeat(sep))))
            }
            Disposition::Reject(e) => Err(e),
        }
    }

    /// The finish reason to report: `tool-calls` when calls were made from
    /// text, `stop` when every call was replaced by text.
    pub fn finish_reason(&self, reason: FinishReason) -> FinishReason {
        match reason {
            FinishReason::Stop if self.made > 0 && self.kept > 0 => FinishReason::ToolCalls,
            FinishReason::ToolCalls if self.kept == 0 && self.replaced > 0 => FinishReason::Stop,
            other => other,
        }
    }
}
