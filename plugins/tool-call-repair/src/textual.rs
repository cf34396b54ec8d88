//! Tool calls written as text, found in assistant text and turned into
//! structured calls.
//!
//! Shapes recognised (a block only becomes a call when every tool name in it
//! matches a declared tool; otherwise it stays text, unchanged):
//!
//! - Hermes / Qwen 2.5 / Nous: `<tool_call>{"name": "f", "arguments": {…}}</tool_call>`
//!   (a JSON object or a list of them; a missing `</tool_call>` at the end
//!   of the answer, or before the next `<tool_call>`, is tolerated).
//! - Qwen3-Coder: `<tool_call><function=f><parameter=k>v</parameter>…</function></tool_call>`.
//! - Llama 3.1 style: `<function=f>{…}</function>`.
//! - Qwen-Agent: `✿FUNCTION✿: f` newline `✿ARGS✿: {…}`, ending at the next `✿`
//!   marker (`✿RESULT✿`, `✿RETURN✿`, …) or the end of the text.
//! - Mistral: `[TOOL_CALLS][{"name": "f", "arguments": {…}}]`.
//! - A markdown code fence (no info string, or `json`, `json5`, `jsonc`,
//!   `tool_call`, `tool_calls`, `tool_code`) holding a call object or a list.
//! - A whole answer that starts with a call object: `{"name": "f", "arguments": {…}}`.
//!
//! A call object is `{"name", "arguments"}`, with `parameters`, `args`,
//! `input` or `tool_input` for the arguments and `function`, `tool` or
//! `tool_name` for the name, or OpenAI's `{"type": "function",
//! "function": {"name", "arguments"}}`; arguments may be an object or a JSON
//! string. Objects with any other key are not calls.
//!
//! The [`Scanner`] works on text arriving in pieces: it releases text at
//! once unless it could be the start of a marker, holds a marker's block
//! until it is complete, and gives the same result however the text is
//! split.

use serde_json::{Map, Value};

use crate::calls::{Env, Tool};
use crate::lenient;
use crate::repair;

/// A piece of scanned text.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text to pass on.
    Text(String),
    /// A call found in the text (name already matched to a declared tool).
    Call {
        /// The declared tool's name.
        name: String,
        /// The arguments.
        arguments: Map<String, Value>,
    },
}

const TOOL_CALL: &str = "<tool_call>";
const TOOL_CALL_END: &str = "</tool_call>";
const FUNCTION: &str = "<function=";
const FUNCTION_END: &str = "</function>";
const QWEN: &str = "✿FUNCTION✿";
const QWEN_ARGS: &str = "✿ARGS✿";
const MISTRAL: &str = "[TOOL_CALLS]";
const FENCE: &str = "```";
/// Info strings of fences that may hold a call.
const FENCE_INFOS: [&str; 7] = [
    "",
    "json",
    "json5",
    "jsonc",
    "tool_call",
    "tool_calls",
    "tool_code",
];
/// Keys a call object may have.
const CALL_KEYS: [&str; 13] = [
    "name",
    "function",
    "tool",
    "tool_name",
    "arguments",
    "parameters",
    "args",
    "input",
    "tool_input",
    "type",
    "id",
    "call_id",
    "index",
];

/// Which kind of block a marker opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ToolCall,
    Function,
    Qwen,
    Mistral,
    Fence,
    BareJson,
}

/// What the text at a position is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// Not a marker.
    No,
    /// Could become a marker with more text.
    Partial,
    /// A marker opening this kind of block.
    Full(Kind),
    /// A code fence that cannot hold a call.
    CodeFence,
}

/// Where a JSON value's brackets balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Balance {
    depth: usize,
    in_string: bool,
    escape: bool,
    started: bool,
}

impl Balance {
    /// Feed bytes from `from`; the index just past the value's end, if seen.
    fn feed(&mut self, bytes: &[u8], from: usize) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate().skip(from) {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.started = true;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.started && self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// What the scanner is inside.
#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Ordinary text.
    Normal,
    /// `pending` starts with a marker of `kind`; `scan` bytes of it have been
    /// searched for the block's end already.
    Body {
        kind: Kind,
        scan: usize,
        balance: Balance,
    },
    /// Inside a code fence that is not a call; `scan` as above.
    Code { scan: usize },
}

/// How a block ends.
enum End {
    /// Not yet known: wait for more text.
    Wait,
    /// The block's inner text is `pending[inner]` and it spans
    /// `pending[..consumed]`.
    At {
        inner: std::ops::Range<usize>,
        consumed: usize,
    },
    /// The block turned out not to be a call: `pending[..n]` is plain text
    /// (for a fence: go on as a code block).
    NotCall(usize),
}

/// Finds textual tool calls in text that arrives in pieces.
#[derive(Debug, Clone, PartialEq)]
pub struct Scanner {
    /// Text not released yet.
    pending: String,
    state: State,
    /// The released text ends a line (or nothing was released).
    line_start: bool,
    /// Only whitespace has been released so far.
    message_start: bool,
    /// Drop whitespace right after a converted call.
    skip_ws: bool,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            pending: String::new(),
            state: State::Normal,
            line_start: true,
            message_start: true,
            skip_ws: false,
        }
    }
}

/// Find `needle` in `hay` at or after byte `from`.
fn find_from(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || from >= h.len() {
        return None;
    }
    h.get(from..)?
        .windows(n.len())
        .position(|w| w == n)
        .map(|p| p + from)
}

/// Back off `i` to a char boundary of `s`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Is `s` (shorter than `marker`) a start of it?
fn is_prefix(s: &str, marker: &str) -> bool {
    s.len() < marker.len() && marker.starts_with(s)
}

fn marker_at(s: &str, line_start: bool, message_start: bool) -> Marker {
    for (m, kind) in [
        (TOOL_CALL, Kind::ToolCall),
        (FUNCTION, Kind::Function),
        (QWEN, Kind::Qwen),
        (MISTRAL, Kind::Mistral),
    ] {
        if s.starts_with(m) {
            return Marker::Full(kind);
        }
        if is_prefix(s, m) {
            return Marker::Partial;
        }
    }
    if line_start {
        if let Some(rest) = s.strip_prefix(FENCE) {
            let line = rest.split('\n').next().unwrap_or_default();
            let info = line.trim();
            if info.starts_with(['{', '[']) {
                return Marker::Full(Kind::Fence);
            }
            if !rest.contains('\n') && line.len() < 40 && !info.contains(char::is_whitespace) {
                return Marker::Partial;
            }
            return if FENCE_INFOS.contains(&info.to_ascii_lowercase().as_str()) {
                Marker::Full(Kind::Fence)
            } else {
                Marker::CodeFence
            };
        }
        if is_prefix(s, FENCE) {
            return Marker::Partial;
        }
    }
    if message_start && let Some(rest) = s.strip_prefix('{') {
        let rest = rest.trim_start();
        if rest.is_empty() {
            return Marker::Partial;
        }
        let Some(key) = rest.strip_prefix('"') else {
            return Marker::No;
        };
        for k in ["name\"", "function\"", "tool\"", "tool_name\""] {
            if key.starts_with(k) {
                return Marker::Full(Kind::BareJson);
            }
            if is_prefix(key, k) {
                return Marker::Partial;
            }
        }
    }
    Marker::No
}

impl Scanner {
    /// Scan more text; return what can be released now.
    pub fn push(&mut self, text: &str, env: &Env) -> Vec<Piece> {
        self.pending.push_str(text);
        self.run(env, false)
    }

    /// The text ended (for now): release everything, converting a block
    /// that is complete enough to parse.
    pub fn finish(&mut self, env: &Env) -> Vec<Piece> {
        let out = self.run(env, true);
        self.state = State::Normal;
        // Whitespace after a call is only dropped within one run of text.
        self.skip_ws = false;
        out
    }

    /// True when nothing is held back.
    #[cfg(test)]
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    fn run(&mut self, env: &Env, at_end: bool) -> Vec<Piece> {
        let mut out = Vec::new();
        loop {
            let progressed = match self.state {
                State::Normal => self.normal(at_end, &mut out),
                State::Body { .. } => self.body(env, at_end, &mut out),
                State::Code { .. } => self.code(at_end, &mut out),
            };
            if !progressed {
                break;
            }
        }
        if at_end && !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.release(&rest, &mut out);
        }
        out
    }

    /// Pass `text` on as text.
    fn release(&mut self, text: &str, out: &mut Vec<Piece>) {
        if text.is_empty() {
            return;
        }
        self.line_start = text.ends_with('\n');
        if self.message_start && !text.trim().is_empty() {
            self.message_start = false;
        }
        if let Some(Piece::Text(last)) = out.last_mut() {
            last.push_str(text);
        } else {
            out.push(Piece::Text(text.to_string()));
        }
    }

    /// Release `pending[..n]`.
    fn release_prefix(&mut self, n: usize, out: &mut Vec<Piece>) {
        let n = floor_boundary(&self.pending, n);
        let rest = self.pending.split_off(n);
        let head = std::mem::replace(&mut self.pending, rest);
        self.release(&head, out);
    }

    /// Ordinary text: release up to the first possible marker.
    fn normal(&mut self, at_end: bool, out: &mut Vec<Piece>) -> bool {
        if self.skip_ws {
            let trimmed = self.pending.trim_start().len();
            let skip = self.pending.len() - trimmed;
            self.pending.drain(..skip);
            if self.pending.is_empty() {
                return false;
            }
            self.skip_ws = false;
        }
        let first_text = self
            .pending
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(self.pending.len());
        let mut found = None;
        for (i, c) in self.pending.char_indices() {
            if !matches!(c, '<' | '✿' | '[' | '`' | '{') {
                continue;
            }
            let line_start = if i == 0 {
                self.line_start
            } else {
                self.pending.as_bytes().get(i - 1) == Some(&b'\n')
            };
            let message_start = self.message_start && i == first_text;
            let rest = self.pending.get(i..).unwrap_or_default();
            match marker_at(rest, line_start, message_start) {
                Marker::No => {}
                Marker::Partial if at_end => {}
                m => {
                    found = Some((i, m));
                    break;
                }
            }
        }
        let Some((i, marker)) = found else {
            let all = self.pending.len();
            self.release_prefix(all, out);
            return false;
        };
        self.release_prefix(i, out);
        match marker {
            Marker::Full(kind) => {
                self.state = State::Body {
                    kind,
                    scan: 0,
                    balance: Balance::default(),
                };
                true
            }
            Marker::CodeFence => {
                self.state = State::Code { scan: FENCE.len() };
                true
            }
            // Partial: wait for more text.
            _ => false,
        }
    }

    /// Inside a code block that is not a call: release up to its end.
    /// `pending[..scan]` cannot start the closing fence (it is the opening
    /// one, or was searched already).
    fn code(&mut self, at_end: bool, out: &mut Vec<Piece>) -> bool {
        let State::Code { scan } = self.state else {
            return false;
        };
        if let Some(j) = find_from(&self.pending, "\n```", scan) {
            self.release_prefix(j + 4, out);
            self.state = State::Normal;
            return true;
        }
        if at_end {
            let all = self.pending.len();
            self.release_prefix(all, out);
            self.state = State::Normal;
            return false;
        }
        // Keep a tail that could start the closing fence.
        let keep = ["\n``", "\n`", "\n"]
            .iter()
            .find(|t| self.pending.ends_with(**t))
            .map_or(0, |t| t.len());
        let cut = self.pending.len() - keep;
        self.release_prefix(cut, out);
        self.state = State::Code {
            scan: scan.saturating_sub(cut),
        };
        false
    }

    /// Inside a marker's block: wait for its end, then convert it or give
    /// it back as text.
    fn body(&mut self, env: &Env, at_end: bool, out: &mut Vec<Piece>) -> bool {
        let State::Body {
            kind,
            mut scan,
            mut balance,
        } = self.state
        else {
            return false;
        };
        let end = find_end(kind, &self.pending, &mut scan, &mut balance, at_end);
        match end {
            End::Wait => {
                self.state = State::Body {
                    kind,
                    scan,
                    balance,
                };
                false
            }
            End::NotCall(n) => {
                if kind == Kind::Fence {
                    self.state = State::Code { scan: FENCE.len() };
                } else {
                    self.state = State::Normal;
                    self.release_prefix(n, out);
                }
                true
            }
            End::At { inner, consumed } => {
                self.state = State::Normal;
                let text = self.pending.get(inner).unwrap_or_default();
                match parse_block(kind, text, env) {
                    Some(calls) => {
                        let rest = self
                            .pending
                            .split_off(floor_boundary(&self.pending, consumed));
                        self.pending = rest;
                        for (name, arguments) in calls {
                            out.push(Piece::Call { name, arguments });
                        }
                        self.skip_ws = true;
                        self.message_start = false;
                        self.line_start = true;
                    }
                    None => self.release_prefix(consumed, out),
                }
                true
            }
        }
    }
}

/// Where the block of `kind` at the start of `p` ends.
fn find_end(kind: Kind, p: &str, scan: &mut usize, balance: &mut Balance, at_end: bool) -> End {
    let len = p.len();
    let rest = |start: usize| End::At {
        inner: start.min(len)..len,
        consumed: len,
    };
    match kind {
        Kind::ToolCall | Kind::Function => {
            let (open, close) = if kind == Kind::ToolCall {
                (TOOL_CALL, TOOL_CALL_END)
            } else {
                (FUNCTION, FUNCTION_END)
            };
            let from = (*scan).max(open.len());
            let closing = find_from(p, close, from);
            // A second opening before any closing ends the first block.
            let reopening = find_from(p, open, from);
            match (closing, reopening) {
                (Some(c), Some(o)) if o < c => End::At {
                    inner: open.len()..o,
                    consumed: o,
                },
                (Some(c), _) => End::At {
                    inner: open.len()..c,
                    consumed: c + close.len(),
                },
                (None, Some(o)) => End::At {
                    inner: open.len()..o,
                    consumed: o,
                },
                (None, None) if at_end => rest(open.len()),
                (None, None) => {
                    *scan = floor_boundary(p, len.saturating_sub(close.len()));
                    End::Wait
                }
            }
        }
        Kind::Qwen => {
            // `: name`, then `✿ARGS✿: {…}` ending where the JSON balances; a
            // different `✿…✿` marker first means a call without arguments.
            let Some(j) = find_from(p, "✿", QWEN.len()) else {
                return if at_end { rest(QWEN.len()) } else { End::Wait };
            };
            let tail = p.get(j..).unwrap_or_default();
            if !tail.starts_with(QWEN_ARGS) {
                if is_prefix(tail, QWEN_ARGS) && !at_end {
                    return End::Wait;
                }
                return End::At {
                    inner: QWEN.len()..j,
                    consumed: j,
                };
            }
            let args_start = j + QWEN_ARGS.len();
            let after = p.get(args_start..).unwrap_or_default();
            let k = args_start
                + (after.len() - after.trim_start_matches([':', ' ', '\t', '\n', '\r']).len());
            match p.as_bytes().get(k) {
                None if at_end => rest(QWEN.len()),
                None => End::Wait,
                Some(b'{') => match balance.feed(p.as_bytes(), (*scan).max(k)) {
                    Some(e) => End::At {
                        inner: QWEN.len()..e,
                        consumed: e,
                    },
                    None if at_end => rest(QWEN.len()),
                    None => {
                        *scan = len;
                        End::Wait
                    }
                },
                // Not JSON: up to the next marker or the end.
                Some(_) => match find_from(p, "✿", args_start) {
                    Some(m) => End::At {
                        inner: QWEN.len()..m,
                        consumed: m,
                    },
                    None if at_end => rest(QWEN.len()),
                    None => End::Wait,
                },
            }
        }
        Kind::Fence => {
            let after = FENCE.len();
            let line_end = p.get(after..).and_then(|r| r.find('\n')).map(|n| after + n);
            let info = p.get(after..line_end.unwrap_or(len)).unwrap_or_default();
            let body_start = if info.trim_start().starts_with(['{', '[']) {
                after
            } else {
                match line_end {
                    Some(n) => n + 1,
                    None if at_end => return End::NotCall(len),
                    None => return End::Wait,
                }
            };
            let body = p.get(body_start..).unwrap_or_default();
            match body.trim_start().chars().next() {
                None if at_end => return End::NotCall(len),
                None => return End::Wait,
                Some('{' | '[') => {}
                Some(_) => return End::NotCall(len),
            }
            match find_from(p, FENCE, (*scan).max(body_start)) {
                Some(c) => End::At {
                    inner: body_start..c,
                    consumed: c + FENCE.len(),
                },
                None if at_end => rest(body_start),
                None => {
                    *scan = floor_boundary(p, len.saturating_sub(FENCE.len() - 1)).max(body_start);
                    End::Wait
                }
            }
        }
        Kind::BareJson | Kind::Mistral => {
            let start = if kind == Kind::Mistral {
                MISTRAL.len()
            } else {
                0
            };
            let after = p.get(start..).unwrap_or_default();
            match after.trim_start().chars().next() {
                None if at_end => return End::NotCall(len),
                None => return End::Wait,
                Some('{' | '[') => {}
                Some(_) => return End::NotCall(start),
            }
            let from = (*scan).max(start);
            match balance.feed(p.as_bytes(), from) {
                Some(e) => End::At {
                    inner: start..e,
                    consumed: e,
                },
                None if at_end => rest(start),
                None => {
                    *scan = len;
                    End::Wait
                }
            }
        }
    }
}

/// The calls in a block's inner text, or `None` when it is not (only)
/// calls to declared tools.
fn parse_block(kind: Kind, inner: &str, env: &Env) -> Option<Vec<(String, Map<String, Value>)>> {
    let calls = match kind {
        Kind::ToolCall => {
            let t = inner.trim();
            match t.strip_prefix(FUNCTION) {
                Some(f) => vec![function_call(f, env)?],
                None => json_calls(t, env)?,
            }
        }
        Kind::Function => vec![function_call(inner, env)?],
        Kind::Qwen => vec![qwen_call(inner, env)?],
        Kind::Fence | Kind::BareJson | Kind::Mistral => json_calls(inner.trim(), env)?,
    };
    if calls.is_empty() {
        return None;
    }
    Some(calls)
}

/// Arguments text (a JSON object, possibly broken or encoded twice).
fn arguments(text: &str, env: &Env) -> Option<Map<String, Value>> {
    repair::arguments(text, &env.config).ok().map(|r| r.value)
}

/// The declared tool a written name means.
fn tool_name(name: &str, env: &Env) -> Option<String> {
    env.resolve(name.trim()).map(|t| t.name.clone())
}

/// Call objects (one, or a list) in JSON text.
fn json_calls(text: &str, env: &Env) -> Option<Vec<(String, Map<String, Value>)>> {
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(_) => lenient::parse(text, &env.config.leniency()).ok()?.0,
    };
    match value {
        Value::Object(obj) => Some(vec![call_object(&obj, env)?]),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_object().and_then(|o| call_object(o, env)))
            .collect(),
        _ => None,
    }
}

/// One call object.
fn call_object(obj: &Map<String, Value>, env: &Env) -> Option<(String, Map<String, Value>)> {
    if obj.keys().any(|k| !CALL_KEYS.contains(&k.as_str())) {
        return None;
    }
    let (name, args) = match obj.get("function") {
        Some(Value::Object(f)) => (
            f.get("name")?.as_str()?,
            f.get("arguments").or_else(|| f.get("parameters")),
        ),
        _ => (
            ["name", "function", "tool", "tool_name"]
                .iter()
                .find_map(|k| obj.get(*k).and_then(Value::as_str))?,
            ["arguments", "parameters", "args", "input", "tool_input"]
                .iter()
                .find_map(|k| obj.get(*k)),
        ),
    };
    let name = tool_name(name, env)?;
    let args = match args {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(Value::String(s)) => arguments(s, env)?,
        Some(_) => return None,
    };
    Some((name, args))
}

/// `name>{…}` or `name><parameter=k>v</parameter>…` (after `<function=`).
fn function_call(text: &str, env: &Env) -> Option<(String, Map<String, Value>)> {
    let close = text.find('>')?;
    let name = tool_name(text.get(..close)?, env)?;
    let mut body = text.get(close + 1..)?.trim();
    if let Some(b) = body.strip_suffix(FUNCTION_END) {
        body = b.trim();
    }
    if body.is_empty() {
        return Some((name, Map::new()));
    }
    if body.starts_with('{') {
        return Some((name.clone(), arguments(body, env)?));
    }
    let schema = env.tools.iter().find(|t| t.name == name).map(Tool::schema);
    let mut args = Map::new();
    let mut rest = body;
    while let Some(start) = rest.find("<parameter=") {
        if !rest.get(..start)?.trim().is_empty() {
            return None;
        }
        let after = rest.get(start + "<parameter=".len()..)?;
        let close = after.find('>')?;
        let key = after.get(..close)?.trim().to_string();
        let value_text = after.get(close + 1..)?;
        let end = value_text.find("</parameter>");
        let next = value_text.find("<parameter=");
        let (raw, skip) = match (end, next) {
            (Some(e), Some(n)) if n < e => (value_text.get(..n)?, n),
            (Some(e), _) => (value_text.get(..e)?, e + "</parameter>".len()),
            (None, Some(n)) => (value_text.get(..n)?, n),
            (None, None) => (value_text, value_text.len()),
        };
        let raw = raw.strip_prefix('\n').unwrap_or(raw);
        let raw = raw.strip_suffix('\n').unwrap_or(raw);
        let is_string = schema
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(&key))
            .and_then(|p| p.get("type"))
            .is_some_and(|t| t == "string");
        let value = if is_string {
            Value::String(raw.to_string())
        } else {
            serde_json::from_str::<Value>(raw.trim())
                .unwrap_or_else(|_| Value::String(raw.to_string()))
        };
        args.insert(key, value);
        rest = value_text.get(skip..)?;
    }
    if !rest.trim().is_empty() {
        return None;
    }
    Some((name, args))
}

/// `: name` newline `✿ARGS✿: {…}` (after `✿FUNCTION✿`).
fn qwen_call(text: &str, env: &Env) -> Option<(String, Map<String, Value>)> {
    let text = text.trim_start().trim_start_matches(':');
    let (name_part, args_part) = match text.find(QWEN_ARGS) {
        Some(a) => (text.get(..a)?, Some(text.get(a + QWEN_ARGS.len()..)?)),
        None => (text, None),
    };
    let name = tool_name(name_part.trim(), env)?;
    let args = match args_part.map(|a| a.trim_start().trim_start_matches(':').trim()) {
        None | Some("") => Map::new(),
        Some(a) => arguments(a, env)?,
    };
    Some((name, args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::tests::env;
    use crate::config::Config;
    use serde_json::json;

    /// Scan `text` in one piece and also split at every position and one
    /// char at a time; all must agree. Returns the merged pieces.
    fn scan(text: &str) -> Vec<Piece> {
        let e = env(Config::default());
        let whole = {
            let mut s = Scanner::default();
            let mut out = s.push(text, &e);
            out.extend(s.finish(&e));
            merge(out)
        };
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        for &(i, _) in &chars {
            let mut s = Scanner::default();
            let mut out = s.push(text.get(..i).unwrap_or_default(), &e);
            out.extend(s.push(text.get(i..).unwrap_or_default(), &e));
            out.extend(s.finish(&e));
            assert_eq!(merge(out), whole, "split at {i} of {text:?}");
        }
        let mut s = Scanner::default();
        let mut out = Vec::new();
        for (_, c) in &chars {
            out.extend(s.push(&c.to_string(), &e));
        }
        out.extend(s.finish(&e));
        assert_eq!(merge(out), whole, "char by char: {text:?}");
        whole
    }

    fn merge(pieces: Vec<Piece>) -> Vec<Piece> {
        let mut out: Vec<Piece> = Vec::new();
        for p in pieces {
            match (out.last_mut(), p) {
                (Some(Piece::Text(a)), Piece::Text(b)) => a.push_str(&b),
                (_, Piece::Text(b)) if b.is_empty() => {}
                (_, p) => out.push(p),
            }
        }
        out
    }

    fn text(t: &str) -> Piece {
        Piece::Text(t.into())
    }

    fn call(name: &str, args: Value) -> Piece {
        let Value::Object(arguments) = args else {
            panic!("not an object")
        };
        Piece::Call {
            name: name.into(),
            arguments,
        }
    }

    #[test]
    fn plain_text_passes() {
        for t in [
            "Hello, world.",
            "a < b and c > d, [1] {x} `code` ✿ flower",
            "```python\nprint('<tool_call>')\n```\nafter",
            "```json\n{\"a\": 1}\n```",
            "{\"name\": \"Alice\", \"age\": 3}",
            "<tool_call>{\"name\": \"Unknown\", \"arguments\": {}}</tool_call> stays",
            "x [TOOL_CALLS] nothing",
            "",
        ] {
            assert_eq!(
                scan(t),
                if t.is_empty() { vec![] } else { vec![text(t)] },
                "{t:?}"
            );
        }
    }

    #[test]
    fn hermes_tool_call() {
        assert_eq!(
            scan(
                "Let me look.\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>\n"
            ),
            vec![
                text("Let me look.\n"),
                call("Bash", json!({"command": "ls"}))
            ]
        );
        // Several, one unclosed at the end, broken JSON, arguments as a string.
        assert_eq!(
            scan(
                "<tool_call>{'name': 'bash', 'arguments': {'command': 'pwd',}}</tool_call>\n<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}"
            ),
            vec![
                call("Bash", json!({"command": "pwd"})),
                call("get_weather", json!({"city": "Oslo"}))
            ]
        );
        assert_eq!(
            scan(
                "<tool_call>{\"name\": \"Bash\", \"arguments\": {}}<tool_call>{\"name\": \"Bash\", \"parameters\": {\"command\": \"x\"}}</tool_call>done"
            ),
            vec![
                call("Bash", json!({})),
                call("Bash", json!({"command": "x"})),
                text("done")
            ]
        );
    }

    #[test]
    fn qwen3_coder_xml() {
        assert_eq!(
            scan(
                "<tool_call>\n<function=get_weather>\n<parameter=city>\nSan Francisco\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>"
            ),
            vec![call(
                "get_weather",
                json!({"city": "San Francisco", "days": 3})
            )]
        );
    }

    #[test]
    fn llama_function_tag() {
        assert_eq!(
            scan("Checking. <function=get_weather>{\"city\": \"Paris\"}</function> ok"),
            vec![
                text("Checking. "),
                call("get_weather", json!({"city": "Paris"})),
                text("ok")
            ]
        );
    }

    #[test]
    fn qwen_agent_markers() {
        assert_eq!(
            scan("I will check.\n✿FUNCTION✿: get_weather\n✿ARGS✿: {\"city\": \"Rome\"}\n✿RESULT✿"),
            vec![
                text("I will check.\n"),
                call("get_weather", json!({"city": "Rome"})),
                text("✿RESULT✿")
            ]
        );
        assert_eq!(
            scan("✿FUNCTION✿: Bash\n✿ARGS✿: {\"command\": \"ls\"}"),
            vec![call("Bash", json!({"command": "ls"}))]
        );
        // The arguments end where their JSON does.
        assert_eq!(
            scan(
                "✿FUNCTION✿: get_weather\n✿ARGS✿: {\"city\": \"Oslo\"}\n<function=Bash>{\"command\": \"ls\"}</function>"
            ),
            vec![
                call("get_weather", json!({"city": "Oslo"})),
                call("Bash", json!({"command": "ls"}))
            ]
        );
        // No arguments at all.
        assert_eq!(
            scan("✿FUNCTION✿: Bash\n✿RETURN✿: hi"),
            vec![call("Bash", json!({})), text("✿RETURN✿: hi")]
        );
    }

    #[test]
    fn mistral_and_bare_json() {
        assert_eq!(
            scan("[TOOL_CALLS][{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}]"),
            vec![call("Bash", json!({"command": "ls"}))]
        );
        assert_eq!(
            scan("  {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}\nThen more."),
            vec![
                text("  "),
                call("get_weather", json!({"city": "Lima"})),
                text("Then more.")
            ]
        );
        // Not at the start of the answer: just text.
        let t = "See {\"name\": \"Bash\", \"arguments\": {}}";
        assert_eq!(scan(t), vec![text(t)]);
    }

    #[test]
    fn fenced_json() {
        assert_eq!(
            scan(
                "Run this:\n```json\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}\n```\nThanks"
            ),
            vec![
                text("Run this:\n"),
                call("Bash", json!({"command": "ls"})),
                text("Thanks")
            ]
        );
        assert_eq!(
            scan(
                "```\n[{\"type\": \"function\", \"function\": {\"name\": \"Bash\", \"arguments\": \"{\\\"command\\\": \\\"ls\\\"}\"}}]\n```"
            ),
            vec![call("Bash", json!({"command": "ls"}))]
        );
        // Inline triple backticks are not fences.
        let t = "x ```json\n{\"name\": \"Bash\", \"arguments\": {}}\n```";
        assert_eq!(scan(t), vec![text(t)]);
        // Markers inside a code block are examples, not calls.
        let t = "```xml\n<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>\n```\n";
        assert_eq!(scan(t), vec![text(t)]);
    }

    #[test]
    fn unclosed_blocks_at_the_end() {
        assert_eq!(
            scan("<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls"),
            vec![call("Bash", json!({"command": "ls"}))]
        );
        let t = "<tool_call>not json at all";
        assert_eq!(scan(t), vec![text(t)]);
        let t = "trailing <tool_ca";
        assert_eq!(scan(t), vec![text(t)]);
    }

    #[test]
    fn only_marker_starts_are_held() {
        let e = env(Config::default());
        let mut s = Scanner::default();
        assert_eq!(s.push("Hello <", &e), vec![text("Hello ")]);
        assert_eq!(s.push("b> x `", &e), vec![text("<b> x `")]);
        assert!(s.is_idle());
        assert_eq!(s.push("\n``", &e), vec![text("\n")]);
        assert_eq!(s.push("`py\nx", &e), vec![text("```py\nx")]);
    }

    #[test]
    fn names_in_blocks_must_be_declared() {
        let e = env(Config {
            fix_names: false,
            ..Config::default()
        });
        let mut s = Scanner::default();
        let t = "<tool_call>{\"name\": \"bash\", \"arguments\": {}}</tool_call>";
        let mut out = s.push(t, &e);
        out.extend(s.finish(&e));
        assert_eq!(merge(out), vec![text(t)]);
    }

    #[test]
    fn any_split_of_mixed_text_gives_the_same_result() {
        let fragments = [
            "plain ",
            "\n",
            "<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}</tool_call>",
            "<tool_call>{\"name\": \"Nope\"}</tool_call>",
            "<tool_",
            "```json\n{\"name\": \"Bash\", \"arguments\": {}}\n```",
            "```\ncode <function=x>\n```",
            "✿FUNCTION✿: Bash\n✿ARGS✿: {\"command\": \"pwd\"}",
            "✿",
            "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}",
            "[TOOL_CALLS]",
            "<function=Bash>{}</function>",
            "`",
        ];
        for a in fragments {
            for b in fragments {
                for c in ["", "\n", "tail", "<tool_call>{"] {
                    let text = format!("{a}{b}{c}");
                    let pieces = scan(&text);
                    // Nothing is lost: text pieces plus calls cover the input.
                    let kept: String = pieces
                        .iter()
                        .filter_map(|p| match p {
                            Piece::Text(t) => Some(t.as_str()),
                            Piece::Call { .. } => None,
                        })
                        .collect();
                    if !pieces.iter().any(|p| matches!(p, Piece::Call { .. })) {
                        assert_eq!(kept, text, "{text:?}");
                    }
                }
            }
        }
    }
}
