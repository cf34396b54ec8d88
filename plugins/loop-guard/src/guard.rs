//! The filter's decisions on a request and a whole answer. The host's
//! key-value store and log come in through [`Host`], so all of this runs
//! natively in unit tests.

use crate::bindings::exports::wasmgate::plugin::filter::RequestAction;
use crate::config::{Action, Config, SteerRole};
use crate::fingerprint::{call_hash, describe};
use crate::history::{agent_calls, conversation_id, error_streak};
use crate::repeats::{Floor, encode_counter, next_count, trailing_cycle};
use crate::report::{Loop, abort_error, steer_call, steer_request, steer_text};
use crate::text_cycle::TextCycle;
use crate::types::{ContentPart, Error, FinishReason, Message, Request, Response, Role};

/// What the filter needs from the host.
pub trait Host {
    /// The stored value under `key`, if any and not expired.
    fn get(&mut self, key: &str) -> Option<Vec<u8>>;
    /// Store `value` under `key` for `ttl_ms` milliseconds.
    fn set(&mut self, key: &str, value: &[u8], ttl_ms: u64) -> Result<(), String>;
    /// Remove `key`.
    fn delete(&mut self, key: &str);
    /// Write a log line (warning level when `warn`).
    fn log(&mut self, warn: bool, message: &str);
}

/// The key-value key of a conversation's counter.
pub fn counter_key(conversation: u64) -> String {
    format!("conv:{conversation:016x}")
}

/// What `on-request` learned, used to judge the answer to the same request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The filter's config.
    pub config: Config,
    /// Hashes of the calls since the last user prompt, then the answer's.
    calls: Vec<u64>,
    /// Their names and arguments, described only when a loop is told (only
    /// the last `max_period` are kept; earlier ones are empty).
    made: Vec<(String, String)>,
    /// How many of `calls` came with the request.
    history: usize,
    /// The key-value counter for the request's last call (0: none).
    counter: usize,
}

impl Session {
    /// A session that knows no history.
    pub fn new(config: Config) -> Self {
        Session {
            config,
            calls: Vec::new(),
            made: Vec::new(),
            history: 0,
            counter: 0,
        }
    }

    /// Read the request's history (updating the conversation's counter in
    /// the store) and say whether it already shows a loop.
    pub fn from_request(
        config: Config,
        req: &Request,
        host: &mut dyn Host,
    ) -> (Self, Option<Loop>) {
        let calls = agent_calls(&req.messages);
        let mut session = Session::new(config);
        session.calls = calls.iter().map(|c| c.hash).collect();
        // Only the last cycle (at most `max_period` calls) is ever told.
        let told = calls
            .len()
            .saturating_sub(session.config.max_period as usize);
        session.made = calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < told {
                    (String::new(), String::new())
                } else {
                    (c.call.name.clone(), c.call.arguments.clone())
                }
            })
            .collect();
        session.history = calls.len();
        let config = &session.config;

        if config.max_repeats > 0 {
            let key = counter_key(conversation_id(&req.messages));
            match calls.last() {
                Some(last) => {
                    let stored = host.get(&key);
                    session.counter = next_count(stored.as_deref(), last.hash, &last.call.id);
                    let value = encode_counter(last.hash, session.counter, &last.call.id);
                    let ttl_ms = config.ttl_seconds.saturating_mul(1000);
                    if let Err(e) = host.set(&key, &value, ttl_ms) {
                        host.log(true, &format!("cannot store the loop counter: {e}"));
                    }
                }
                // The user spoke since the last call: a new task.
                None => host.delete(&key),
            }
        }

        let found = session.request_loop(&calls);
        (session, found)
    }

    /// The loop the request's own history shows, if any.
    fn request_loop(&self, calls: &[crate::history::Call]) -> Option<Loop> {
        let config = &self.config;
        if config.max_error_repeats > 0 {
            let streak = error_streak(calls);
            if streak >= config.max_error_repeats as usize
                && let Some(last) = calls.last()
            {
                return Some(Loop::Errors {
                    call: last.description(),
                    repeats: streak,
                });
            }
        }
        self.call_loop()
    }

    /// The cycle ending the calls so far, when it is a loop.
    fn call_loop(&self) -> Option<Loop> {
        let config = &self.config;
        if config.max_repeats == 0 || self.calls.is_empty() {
            return None;
        }
        let floor = Floor {
            history: self.history,
            count: self.counter,
        };
        let cycle = trailing_cycle(&self.calls, config.max_period as usize, Some(floor));
        (cycle.repeats >= config.max_repeats as usize).then(|| Loop::Calls {
            round: self.made[self.made.len() - cycle.period..]
                .iter()
                .map(|(name, arguments)| describe(name, arguments))
                .collect(),
            repeats: cycle.repeats,
        })
    }

    /// Judge the answer's next tool call. `Some` when it continues a loop;
    /// such a call is not remembered (it is dropped or the answer stopped).
    pub fn judge_call(&mut self, name: &str, arguments: &str) -> Option<Loop> {
        if self.config.max_repeats == 0 {
            return None;
        }
        self.calls.push(call_hash(name, arguments));
        self.made.push((name.to_string(), arguments.to_string()));
        let found = self.call_loop();
        if found.is_some() {
            self.calls.pop();
            self.made.pop();
        }
        found
    }

    /// A fresh detector for repeated answer text (`None` when off).
    pub fn text_cycle(&self) -> Option<TextCycle> {
        let c = &self.config;
        TextCycle::new(
            c.text_min_chars as usize,
            c.text_max_chars as usize,
            c.text_repeats as usize,
        )
    }
}

/// Judge a request: pass it, add a steering message, or reject it.
pub fn on_request(
    config: Config,
    mut req: Request,
    host: &mut dyn Host,
) -> (RequestAction, Session) {
    let (session, found) = Session::from_request(config, &req, host);
    let Some(found) = found else {
        return (RequestAction::Pass, session);
    };
    let config = &session.config;
    host.log(
        true,
        &format!("loop detected in the request: {}", found.what()),
    );
    let action = match config.action {
        Action::Abort => RequestAction::Reject(abort_error(&found, config.abort_status)),
        Action::Steer => {
            req.messages.push(Message {
                role: match config.steer_role {
                    SteerRole::User => Role::User,
                    SteerRole::System => Role::System,
                },
                content: vec![ContentPart::Text(steer_request(
                    &found,
                    config.steer_message.as_deref(),
                ))],
                name: None,
                extra: None,
            });
            RequestAction::Continue(req)
        }
    };
    (action, session)
}

/// Text put in place of a call or after cut-off text: on a new paragraph
/// when text came before it.
pub fn note(text_before: bool, text: String) -> String {
    if text_before && !text.starts_with('\n') {
        format!("\n\n{text}")
    } else {
        text
    }
}

/// Judge a whole answer: its tool calls in order, then its text for a
/// repeated passage, exactly as the stream filter would.
pub fn on_response(
    session: &mut Session,
    mut resp: Response,
    host: &mut dyn Host,
) -> Result<Response, Error> {
    let action = session.config.action;
    let status = session.config.abort_status;
    let mut detector = session.text_cycle();
    let mut cut = false;
    let mut text_before = false;
    let (mut kept, mut removed) = (0usize, 0usize);
    let mut content = Vec::with_capacity(resp.content.len());
    for part in std::mem::take(&mut resp.content) {
        match part {
            ContentPart::ToolCall(call) => match session.judge_call(&call.name, &call.arguments) {
                None => {
                    kept += 1;
                    content.push(ContentPart::ToolCall(call));
                }
                Some(found) => {
                    host.log(
                        true,
                        &format!("loop detected in the answer: {}", found.what()),
                    );
                    if action == Action::Abort {
                        return Err(abort_error(&found, status));
                    }
                    removed += 1;
                    content.push(ContentPart::Text(note(text_before, steer_call(&found))));
                    text_before = true;
                }
            },
            ContentPart::Text(_) if cut => {}
            ContentPart::Text(text) => {
                let found = detector.as_mut().and_then(|d| d.feed(&text));
                match found {
                    None => {
                        text_before |= !text.is_empty();
                        content.push(ContentPart::Text(text));
                    }
                    Some(f) => {
                        let found = Loop::Text {
                            sample: f.sample,
                            chars: f.chars,
                            repeats: f.repeats,
                        };
                        host.log(
                            true,
                            &format!("loop detected in the answer: {}", found.what()),
                        );
                        if action == Action::Abort {
                            return Err(abort_error(&found, status));
                        }
                        let mut kept_text = text[..f.end].to_string();
                        kept_text.push_str(&steer_text(&found));
                        content.push(ContentPart::Text(kept_text));
                        text_before = true;
                        cut = true;
                    }
                }
            }
            other => content.push(other),
        }
    }
    resp.content = content;
    if removed > 0 && kept == 0 && resp.finish_reason == Some(FinishReason::ToolCalls) {
        resp.finish_reason = Some(FinishReason::Stop);
    }
    Ok(resp)
}

#[cfg(test)]
pub mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::history::tests::{bash_history, call, result, text};
    use crate::types::{ErrorKind, Sampling, ToolCall};

    /// An in-memory host.
    #[derive(Default)]
    pub struct MemHost {
        pub kv: HashMap<String, (Vec<u8>, u64)>,
        pub logs: Vec<String>,
        pub full: bool,
    }

    impl Host for MemHost {
        fn get(&mut self, key: &str) -> Option<Vec<u8>> {
            self.kv.get(key).map(|(v, _)| v.clone())
        }
        fn set(&mut self, key: &str, value: &[u8], ttl_ms: u64) -> Result<(), String> {
            if self.full {
                return Err("quota exceeded".into());
            }
            self.kv.insert(key.into(), (value.to_vec(), ttl_ms));
            Ok(())
        }
        fn delete(&mut self, key: &str) {
            self.kv.remove(key);
        }
        fn log(&mut self, _warn: bool, message: &str) {
            self.logs.push(message.into());
        }
    }

    pub fn request(messages: Vec<Message>) -> Request {
        Request {
            model: "m".into(),
            messages,
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

    pub fn response(content: Vec<ContentPart>, finish: FinishReason) -> Response {
        Response {
            id: "r".into(),
            model: "m".into(),
            created: None,
            content,
            finish_reason: Some(finish),
            usage: None,
            extra: None,
        }
    }

    pub fn tool_call(id: &str, command: &str) -> ContentPart {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: "Bash".into(),
            arguments: format!(r#"{{"command": "{command}"}}"#),
        })
    }

    /// Turn `n` of a client that keeps only the latest call in its history:
    /// the model ran `command` once more, as a new call (`call_t{n}`).
    fn truncated_turn(n: usize, command: &str) -> Request {
        let id = format!("call_t{n}");
        let mut m = bash_history(&[]);
        m.push(call(&id, "Bash", &format!(r#"{{"command":"{command}"}}"#)));
        m.push(result(Role::Tool, &id, &format!("ok {command}"), false));
        request(m)
    }

    fn abort() -> Config {
        Config {
            action: Action::Abort,
            ..Config::default()
        }
    }

    fn last_text(req: &Request) -> Option<(Role, String)> {
        let m = req.messages.last()?;
        match m.content.first()? {
            ContentPart::Text(t) => Some((m.role, t.clone())),
            _ => None,
        }
    }

    #[test]
    fn three_same_calls_abort() {
        let mut host = MemHost::default();
        let (action, _) = on_request(
            abort(),
            request(bash_history(&["ls", "ls", "ls"])),
            &mut host,
        );
        match action {
            RequestAction::Reject(e) => {
                assert!(e.message.contains("loop detected"), "{}", e.message);
                assert!(
                    e.message.contains(r#"Bash {"command":"ls"}"#),
                    "{}",
                    e.message
                );
                assert!(e.message.contains("3 times"), "{}", e.message);
                assert_eq!(
                    (e.kind, e.status, e.retryable),
                    (ErrorKind::InvalidRequest, 400, false)
                );
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert_eq!(host.logs.len(), 1);
    }

    #[test]
    fn three_same_calls_steer() {
        let mut host = MemHost::default();
        let req = request(bash_history(&["ls", "ls", "ls"]));
        let (action, _) = on_request(Config::default(), req.clone(), &mut host);
        let RequestAction::Continue(changed) = action else {
            panic!("expected continue");
        };
        assert_eq!(changed.messages.len(), req.messages.len() + 1);
        let (role, text) = last_text(&changed).unwrap_or_else(|| panic!("no steering text"));
        assert_eq!(role, Role::User);
        assert!(
            text.starts_with("[loop-guard] You are repeating yourself"),
            "{text}"
        );

        let system = Config {
            steer_role: SteerRole::System,
            steer_message: Some("Loop: {what}".into()),
            ..Config::default()
        };
        let (action, _) = on_request(system, req, &mut host);
        let RequestAction::Continue(changed) = action else {
            panic!("expected continue");
        };
        let (role, text) = last_text(&changed).unwrap_or_else(|| panic!("no steering text"));
        assert_eq!(role, Role::System);
        assert!(text.starts_with("Loop: the tool call `Bash"), "{text}");
    }

    #[test]
    fn distinct_or_interrupted_calls_pass() {
        for history in [
            bash_history(&["ls", "pwd", "cat a"]),
            bash_history(&["ls", "ls", "pwd", "ls"]),
            bash_history(&["ls", "ls"]),
            bash_history(&[]),
        ] {
            let req = request(history);
            let (action, _) = on_request(abort(), req.clone(), &mut MemHost::default());
            assert_eq!(action, RequestAction::Pass);
        }
        // The user asking again is no loop.
        let mut m = bash_history(&["ls", "ls"]);
        m.push(text(Role::User, "Run it again please."));
        m.push(call("c9", "Bash", r#"{"command":"ls"}"#));
        m.push(result(Role::Tool, "c9", "ok", false));
        let req = request(m);
        let (action, _) = on_request(abort(), req.clone(), &mut MemHost::default());
        assert_eq!(action, RequestAction::Pass);
    }

    #[test]
    fn alternating_calls_are_a_cycle() {
        let req = request(bash_history(&[
            "make", "cat log", "make", "cat log", "make", "cat log",
        ]));
        let (action, _) = on_request(abort(), req.clone(), &mut MemHost::default());
        let RequestAction::Reject(e) = action else {
            panic!("expected a rejection");
        };
        assert!(
            e.message.contains("sequence of 2 tool calls"),
            "{}",
            e.message
        );
        let period_one = Config {
            max_period: 1,
            ..abort()
        };
        let (action, _) = on_request(period_one, req.clone(), &mut MemHost::default());
        assert_eq!(action, RequestAction::Pass);
    }

    #[test]
    fn same_error_twice() {
        let mut m = bash_history(&["ls"]);
        for id in ["e1", "e2"] {
            m.push(call(id, "Bash", r#"{"command":"cat missing.txt"}"#));
            m.push(result(
                Role::Tool,
                id,
                "cat: missing.txt: No such file or directory",
                false,
            ));
        }
        let (action, _) = on_request(abort(), request(m.clone()), &mut MemHost::default());
        let RequestAction::Reject(e) = action else {
            panic!("expected a rejection");
        };
        assert!(
            e.message.contains("failed with the same error 2 times"),
            "{}",
            e.message
        );
        // Off, and two calls are below max_repeats.
        let off = Config {
            max_error_repeats: 0,
            ..abort()
        };
        let req = request(m);
        let (action, _) = on_request(off, req.clone(), &mut MemHost::default());
        assert_eq!(action, RequestAction::Pass);
        // The same call succeeding twice is no error loop.
        let req = request(bash_history(&["ls", "ls"]));
        let (action, _) = on_request(abort(), req.clone(), &mut MemHost::default());
        assert_eq!(action, RequestAction::Pass);
    }

    #[test]
    fn counter_catches_truncated_history() {
        let mut host = MemHost::default();
        for n in 0..2 {
            let (action, _) = on_request(abort(), truncated_turn(n, "ls"), &mut host);
            assert_eq!(action, RequestAction::Pass);
        }
        let (action, _) = on_request(abort(), truncated_turn(2, "ls"), &mut host);
        assert!(matches!(action, RequestAction::Reject(_)));
        let (key, (value, ttl)) = host
            .kv
            .iter()
            .next()
            .unwrap_or_else(|| panic!("no counter"));
        assert!(key.starts_with("conv:"));
        assert!(value.ends_with(b" 3 call_t2"));
        assert_eq!(*ttl, 3_600_000);
        // The same turn sent again gets the same verdict.
        let (action, _) = on_request(abort(), truncated_turn(2, "ls"), &mut host);
        assert!(matches!(action, RequestAction::Reject(_)));

        // Another last call resets it; a user prompt deletes it.
        let other = request(bash_history(&["pwd"]));
        let (action, _) = on_request(abort(), other, &mut host);
        assert_eq!(action, RequestAction::Pass);
        let mut m = bash_history(&["pwd"]);
        m.push(text(Role::User, "thanks"));
        on_request(abort(), request(m), &mut host);
        assert!(host.kv.is_empty());

        // A store that refuses writes only costs the counter.
        let mut full = MemHost {
            full: true,
            ..MemHost::default()
        };
        for n in 0..3 {
            let (action, _) = on_request(abort(), truncated_turn(n, "ls"), &mut full);
            assert_eq!(action, RequestAction::Pass);
        }
        assert!(full.logs.iter().all(|l| l.contains("cannot store")));
    }

    #[test]
    fn a_retried_request_is_not_a_repeat() {
        // A client retrying one turn (after an upstream error, say) sends the
        // same last call, with its id, again: the model did not repeat it.
        let mut host = MemHost::default();
        for _ in 0..5 {
            let (action, _) = on_request(abort(), truncated_turn(0, "ls"), &mut host);
            assert_eq!(action, RequestAction::Pass);
        }
        let (action, _) = on_request(abort(), truncated_turn(1, "ls"), &mut host);
        assert_eq!(action, RequestAction::Pass);
        let (action, _) = on_request(abort(), truncated_turn(2, "ls"), &mut host);
        assert!(matches!(action, RequestAction::Reject(_)));
    }

    #[test]
    fn counter_is_per_conversation() {
        let mut host = MemHost::default();
        let b = |n| {
            let mut req = truncated_turn(n, "ls");
            req.messages[1] = text(Role::User, "A different task.");
            req
        };
        for n in 0..2 {
            on_request(abort(), truncated_turn(n, "ls"), &mut host);
            on_request(abort(), b(n), &mut host);
        }
        assert_eq!(host.kv.len(), 2);
        let (action, _) = on_request(abort(), truncated_turn(2, "ls"), &mut host);
        assert!(matches!(action, RequestAction::Reject(_)));
    }

    #[test]
    fn answer_repeating_the_call_is_steered() {
        let mut host = MemHost::default();
        let (_, mut session) = on_request(
            Config::default(),
            request(bash_history(&["ls", "ls"])),
            &mut host,
        );
        let resp = response(
            vec![
                ContentPart::Text("Let me look.".into()),
                tool_call("c3", "ls"),
            ],
            FinishReason::ToolCalls,
        );
        let out = on_response(&mut session, resp, &mut host).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(out.finish_reason, Some(FinishReason::Stop));
        assert_eq!(out.content.len(), 2);
        let ContentPart::Text(note) = &out.content[1] else {
            panic!("expected text, got {:?}", out.content);
        };
        assert!(note.starts_with("\n\n[loop-guard] Loop detected"), "{note}");
        assert!(note.contains("3 times"), "{note}");
    }

    #[test]
    fn answer_repeating_the_call_is_aborted() {
        let mut host = MemHost::default();
        let (_, mut session) = on_request(abort(), request(bash_history(&["ls", "ls"])), &mut host);
        let resp = response(vec![tool_call("c3", "ls")], FinishReason::ToolCalls);
        let e = on_response(&mut session, resp, &mut host)
            .err()
            .unwrap_or_else(|| panic!("passed"));
        assert!(e.message.contains("loop detected"));
    }

    #[test]
    fn answer_with_new_calls_passes() {
        let mut host = MemHost::default();
        let (_, mut session) = on_request(abort(), request(bash_history(&["ls", "ls"])), &mut host);
        let resp = response(
            vec![tool_call("c3", "pwd"), tool_call("c4", "ls")],
            FinishReason::ToolCalls,
        );
        let out = on_response(&mut session, resp.clone(), &mut host);
        assert_eq!(out, Ok(resp));
    }

    #[test]
    fn parallel_copies_in_one_answer() {
        // Three identical calls in one answer: the third is the loop; the
        // others stay, so the finish reason stays too.
        let mut host = MemHost::default();
        let mut session = Session::new(Config::default());
        let resp = response(
            vec![
                tool_call("a", "ls"),
                tool_call("b", "ls"),
                tool_call("c", "ls"),
            ],
            FinishReason::ToolCalls,
        );
        let out = on_response(&mut session, resp, &mut host).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(out.finish_reason, Some(FinishReason::ToolCalls));
        assert!(matches!(
            &out.content[..],
            [
                ContentPart::ToolCall(_),
                ContentPart::ToolCall(_),
                ContentPart::Text(_)
            ]
        ));
    }

    #[test]
    fn answer_after_a_truncated_streak() {
        // Two requests with the same last call, then the answer repeats it.
        let mut host = MemHost::default();
        on_request(abort(), truncated_turn(0, "ls"), &mut host);
        let (_, mut session) = on_request(abort(), truncated_turn(1, "ls"), &mut host);
        let resp = response(vec![tool_call("c", "ls")], FinishReason::ToolCalls);
        assert!(on_response(&mut session, resp, &mut host).is_err());
    }

    #[test]
    fn repeated_text_is_cut() {
        let sentence = "I need to check the configuration again. ";
        let text = format!("Hmm. {}", sentence.repeat(6));
        let mut host = MemHost::default();
        let mut session = Session::new(Config::default());
        let resp = response(
            vec![
                ContentPart::Text(text.clone()),
                ContentPart::Text("The end.".into()),
            ],
            FinishReason::Stop,
        );
        let out =
            on_response(&mut session, resp.clone(), &mut host).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(out.content.len(), 1);
        let ContentPart::Text(t) = &out.content[0] else {
            panic!("expected text");
        };
        let head = t.split("[loop-guard]").next().unwrap_or_default();
        assert_eq!(head.matches("configuration again").count(), 3, "{t}");
        assert!(
            t.contains("[loop-guard] Loop detected, the answer was cut off"),
            "{t}"
        );
        assert!(!t.contains("The end."));

        let mut session = Session::new(abort());
        let e = on_response(&mut session, resp.clone(), &mut host)
            .err()
            .unwrap_or_else(|| panic!("passed"));
        assert!(e.message.contains("passage 3 times"), "{}", e.message);

        let off = Config {
            text_repeats: 0,
            ..abort()
        };
        let mut session = Session::new(off);
        assert_eq!(on_response(&mut session, resp.clone(), &mut host), Ok(resp));
    }
}
