//! The filter's decision on a request. The host's key-value store, log and
//! clock come in through [`Host`], so all of this runs natively in tests.

use crate::bindings::exports::wasmgate::plugin::filter::RequestAction;
use crate::command::{Command, interpret};
use crate::config::Config;
use crate::history::{Stripped, mentions, strip_history};
use crate::identity::{conversation_id, last_prompt};
use crate::reply::{self, Change, Outcome, StatusView};
use crate::state::{ACTIVE_KEY, Oneoff, Sticky, route, state_key};
use crate::types::{ContentPart, FinishReason, Request, Response, Role, Usage};

/// What the filter needs from the host.
pub trait Host {
    /// The stored value under `key`, if any and not expired.
    fn get(&mut self, key: &str) -> Option<Vec<u8>>;
    /// Store `value` under `key` for `ttl_ms` milliseconds.
    fn set(&mut self, key: &str, value: &[u8], ttl_ms: u64) -> Result<(), String>;
    /// Remove `key`.
    fn delete(&mut self, key: &str);
    /// Write a log line (warning level when `warn`, else info).
    fn log(&mut self, warn: bool, message: &str);
    /// Milliseconds since the Unix epoch.
    fn now_ms(&mut self) -> u64;
}

/// What `on-request` decided, and the confirmation line for the upstream's
/// answer (when a command changed the routing of a request sent upstream).
pub fn on_request(
    config: &Config,
    request_id: &str,
    mut req: Request,
    host: &mut dyn Host,
) -> (RequestAction, Option<String>) {
    let prefix = config.prefix.as_str();
    if !mentions(&req.messages, prefix) {
        // The fast path: no commands anywhere. Sticky state needs the
        // conversation's hash, computed only while some conversation may
        // have state at all.
        if host.get(ACTIVE_KEY).is_some()
            && let Some(stored) = host.get(&state_key(conversation_id(&req.messages)))
        {
            let model = route(&Sticky::decode(&stored), None, &req.model, &config.backends);
            if model != req.model {
                req.model = model;
                return (RequestAction::Continue(req), None);
            }
        }
        return (RequestAction::Pass, None);
    }

    // Identity before stripping: clients resend the text as typed.
    let key = state_key(conversation_id(&req.messages));
    let stored = host
        .get(&key)
        .map(|v| Sticky::decode(&v))
        .unwrap_or_default();
    let last = last_prompt(&req.messages);
    // No answer to the last prompt yet: this request is the one it asked
    // for (later ones are tool-call follow-ups of the same turn).
    let fresh = last.is_some_and(|i| {
        !req.messages[i + 1..]
            .iter()
            .any(|m| m.role == Role::Assistant)
    });
    let Stripped {
        messages,
        commands,
        prompt_left,
    } = strip_history(std::mem::take(&mut req.messages), last, prefix);
    req.messages = messages;
    let client_model = req.model.clone();

    let mut parsed = Vec::with_capacity(commands.len());
    let mut problems = Vec::new();
    for token in &commands {
        match interpret(token, config) {
            Ok(command) => parsed.push((command, token.raw.clone())),
            Err(problem) => problems.push(problem.0),
        }
    }
    if !problems.is_empty() {
        let text = reply::problems(&problems, config);
        return (respond(text, &client_model, request_id, host), None);
    }
    if parsed.is_empty() {
        // Commands only in older messages: stripped, not applied again.
        req.model = route(&stored, None, &client_model, &config.backends);
        return (RequestAction::Continue(req), None);
    }

    let mut sticky = stored.clone();
    let mut changes = Vec::new();
    let mut oneoff: Option<(Oneoff, String)> = None;
    let (mut status, mut help) = (false, false);
    for (command, raw) in parsed {
        match command {
            Command::Model(model) => {
                sticky.model = Some(model.clone());
                changes.push(Change::Model(model));
            }
            Command::Backend(backend) => {
                sticky.backend = Some(backend.clone());
                changes.push(Change::Backend(backend));
            }
            Command::Reset => {
                sticky = Sticky::default();
                changes.push(Change::Reset);
            }
            Command::Oneoff { upstream, model } => {
                oneoff = Some((Oneoff { upstream, model }, raw));
            }
            Command::Status => status = true,
            Command::Help => help = true,
        }
    }
    let saved = sticky == stored || persist(config, &key, &sticky, host);

    if status || help || !prompt_left {
        let routed = route(&sticky, None, &client_model, &config.backends);
        let outcome = Outcome {
            now_empty: sticky.is_empty(),
            changes,
            saved,
            unused_oneoff: oneoff.map(|(_, raw)| raw),
            status: status.then(|| StatusView {
                sticky,
                client_model: client_model.clone(),
                routed,
            }),
            help,
            prompt_dropped: prompt_left,
        };
        let text = reply::direct(&outcome, config);
        return (respond(text, &client_model, request_id, host), None);
    }

    let oneoff = oneoff.map(|(o, _)| o);
    req.model = route(&sticky, oneoff.as_ref(), &client_model, &config.backends);
    if let Some(o) = oneoff {
        changes.push(Change::Oneoff(o));
    }
    let confirm = (config.confirm && fresh && !changes.is_empty())
        .then(|| reply::confirm_line(&changes, saved));
    (RequestAction::Continue(req), confirm)
}

/// Store a conversation's new sticky state (or forget it when empty);
/// false when the store refused.
fn persist(config: &Config, key: &str, sticky: &Sticky, host: &mut dyn Host) -> bool {
    if sticky.is_empty() {
        host.delete(key);
        host.log(false, "chat-commands: a conversation's routing was reset");
        return true;
    }
    let ttl_ms = config.ttl_seconds.saturating_mul(1000);
    // The marker first: state without it would be missed by the fast path.
    let stored = host
        .set(ACTIVE_KEY, b"1", ttl_ms)
        .and_then(|()| host.set(key, &sticky.encode(), ttl_ms));
    match stored {
        Ok(()) => {
            host.log(
                false,
                &format!(
                    "chat-commands: a conversation now routes with model {:?}, backend {:?}",
                    sticky.model, sticky.backend
                ),
            );
            true
        }
        Err(e) => {
            host.log(
                true,
                &format!("chat-commands: cannot store a conversation's routing: {e}"),
            );
            false
        }
    }
}

/// Answer directly with `text`.
fn respond(text: String, model: &str, request_id: &str, host: &mut dyn Host) -> RequestAction {
    RequestAction::Respond(Response {
        id: format!("wasmgate-cmd-{request_id}"),
        model: model.to_string(),
        created: Some(host.now_ms() / 1000),
        content: vec![ContentPart::Text(text)],
        finish_reason: Some(FinishReason::Stop),
        usage: Some(Usage {
            input_tokens: 0,
            output_tokens: 0,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        }),
        extra: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::identity::tests::text;
    use crate::types::{Message, Sampling, ToolCall, ToolResult};

    /// An in-memory host that counts reads.
    #[derive(Default)]
    struct MemHost {
        kv: HashMap<String, (Vec<u8>, u64)>,
        gets: usize,
        logs: Vec<String>,
        full: bool,
    }

    impl Host for MemHost {
        fn get(&mut self, key: &str) -> Option<Vec<u8>> {
            self.gets += 1;
            self.kv.get(key).map(|(v, _)| v.clone())
        }
        fn set(&mut self, key: &str, value: &[u8], ttl_ms: u64) -> Result<(), String> {
            if self.full {
                return Err("QuotaExceeded".into());
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
        fn now_ms(&mut self) -> u64 {
            1_700_000_000_000
        }
    }

    fn request(messages: Vec<Message>) -> Request {
        Request {
            model: "gpt".into(),
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

    /// A conversation: system prompt, then alternating user/assistant.
    fn convo(turns: &[&str]) -> Vec<Message> {
        let mut m = vec![text(Role::System, "Be brief.")];
        for (i, t) in turns.iter().enumerate() {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            m.push(text(role, t));
        }
        m
    }

    /// `on_request` on a conversation; `pass` comes back as `continue`
    /// with the request as sent, so tests read what goes upstream.
    fn go(config: &Config, host: &mut MemHost, turns: &[&str]) -> (RequestAction, Option<String>) {
        let req = request(convo(turns));
        match on_request(config, "r1", req.clone(), host) {
            (RequestAction::Pass, confirm) => (RequestAction::Continue(req), confirm),
            other => other,
        }
    }

    /// The request sent on, or a failure.
    fn sent(action: RequestAction) -> Request {
        match action {
            RequestAction::Continue(req) => req,
            other => panic!("expected continue, got {other:?}"),
        }
    }

    /// The direct answer's text, or a failure.
    fn answered(action: RequestAction) -> String {
        match action {
            RequestAction::Respond(resp) => {
                assert_eq!(resp.finish_reason, Some(FinishReason::Stop));
                assert_eq!(resp.id, "wasmgate-cmd-r1");
                match &resp.content[..] {
                    [ContentPart::Text(t)] => t.clone(),
                    other => panic!("unexpected content {other:?}"),
                }
            }
            other => panic!("expected respond, got {other:?}"),
        }
    }

    fn user_texts(req: &Request) -> Vec<String> {
        req.messages
            .iter()
            .filter(|m| m.role == Role::User)
            .flat_map(|m| &m.content)
            .filter_map(|p| match p {
                ContentPart::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn fast_path_reads_one_key() {
        let mut host = MemHost::default();
        let req = request(convo(&["hello"]));
        let (action, confirm) = on_request(&Config::default(), "r1", req, &mut host);
        assert_eq!(action, RequestAction::Pass);
        assert_eq!(confirm, None);
        assert_eq!(host.gets, 1);
    }

    #[test]
    fn model_switch_sticks() {
        let c = Config::default();
        let mut host = MemHost::default();
        let (action, confirm) = go(&c, &mut host, &["!/model(gpt-x) Hi"]);
        let req = sent(action);
        assert_eq!(req.model, "gpt-x");
        assert_eq!(user_texts(&req), vec!["Hi"]);
        assert_eq!(confirm.as_deref(), Some("[wasmgate: model → gpt-x]\n\n"));
        let (value, ttl) = host.kv.values().find(|(v, _)| v != b"1").unwrap().clone();
        assert_eq!(value, br#"{"model":"gpt-x"}"#);
        assert_eq!(ttl, 86_400_000);

        // The follow-up without a command keeps the model, confirms nothing.
        let (action, confirm) = go(
            &c,
            &mut host,
            &[
                "!/model(gpt-x) Hi",
                "[wasmgate: model → gpt-x]\n\nHello",
                "More",
            ],
        );
        let req = sent(action);
        assert_eq!(req.model, "gpt-x");
        assert_eq!(user_texts(&req), vec!["Hi", "More"]);
        assert_eq!(confirm, None);
        // Another first message is another conversation.
        let mut messages = convo(&["!/model(gpt-x) Hi"]);
        messages.push(text(Role::User, "Still there?"));
        messages.remove(1);
        let (action, _) = on_request(&c, "r1", request(messages), &mut host);
        assert_eq!(action, RequestAction::Pass, "the client's model, unchanged");
    }

    #[test]
    fn sticky_state_without_the_prefix_in_the_request() {
        // A client-side identity that matches while no user text has the
        // prefix: state set for the conversation `Be brief.` + `Hi`.
        let c = Config::default();
        let mut host = MemHost::default();
        let id = conversation_id(&convo(&["Hi"]));
        host.set(ACTIVE_KEY, b"1", 1).unwrap();
        host.set(&state_key(id), br#"{"backend":"alt"}"#, 1)
            .unwrap();
        let (action, _) = go(&c, &mut host, &["Hi", "Hello", "More"]);
        assert_eq!(sent(action).model, "alt/gpt");
        assert_eq!(host.gets, 2);
    }

    #[test]
    fn backend_switch_sticks_and_combines_with_model() {
        let c = Config::default();
        let mut host = MemHost::default();
        let (action, confirm) = go(&c, &mut host, &["!/backend(alt)\nHi"]);
        assert_eq!(sent(action).model, "alt/gpt");
        assert_eq!(confirm.as_deref(), Some("[wasmgate: backend → alt]\n\n"));
        let turns = ["!/backend(alt)\nHi", "Hello", "!/model(m2) more"];
        let (action, confirm) = go(&c, &mut host, &turns);
        assert_eq!(sent(action).model, "alt/m2");
        assert_eq!(confirm.as_deref(), Some("[wasmgate: model → m2]\n\n"));
        let turns = [
            "!/backend(alt)\nHi",
            "Hello",
            "!/model(m2) more",
            "ok",
            "next",
        ];
        let (action, _) = go(&c, &mut host, &turns);
        assert_eq!(sent(action).model, "alt/m2");
    }

    #[test]
    fn oneoff_applies_once() {
        let c = Config::default();
        let mut host = MemHost::default();
        let (action, confirm) = go(&c, &mut host, &["!/oneoff(alt:big) Plan it"]);
        assert_eq!(sent(action).model, "alt/big");
        assert_eq!(
            confirm.as_deref(),
            Some("[wasmgate: this message → alt:big]\n\n")
        );
        assert!(host.kv.is_empty());
        let (action, _) = go(&c, &mut host, &["!/oneoff(alt:big) Plan it", "Plan", "Go"]);
        assert_eq!(sent(action).model, "gpt");
    }

    #[test]
    fn oneoff_covers_tool_follow_ups_of_its_turn() {
        let c = Config::default();
        let mut host = MemHost::default();
        let mut messages = convo(&["!/oneoff(alt:big) Plan it"]);
        messages.push(Message {
            role: Role::Assistant,
            content: vec![ContentPart::ToolCall(ToolCall {
                id: "c1".into(),
                name: "ls".into(),
                arguments: "{}".into(),
            })],
            name: None,
            extra: None,
        });
        messages.push(Message {
            role: Role::Tool,
            content: vec![ContentPart::ToolResult(ToolResult {
                call_id: "c1".into(),
                content: vec![],
                is_error: false,
            })],
            name: None,
            extra: None,
        });
        let (action, confirm) = on_request(&c, "r1", request(messages), &mut host);
        assert_eq!(sent(action).model, "alt/big");
        assert_eq!(confirm, None);
    }

    #[test]
    fn command_only_is_answered_directly() {
        let c = Config::default();
        let mut host = MemHost::default();
        let (action, confirm) = go(&c, &mut host, &["!/model(gpt-x)"]);
        assert_eq!(
            answered(action),
            "[wasmgate] model → gpt-x (sticks for this conversation)."
        );
        assert_eq!(confirm, None);
        assert_eq!(host.kv.len(), 2);
        // The next turn drops the command turn and goes to the new model.
        let turns = ["!/model(gpt-x)", "[wasmgate] model → gpt-x (…).", "Hi"];
        let (action, _) = go(&c, &mut host, &turns);
        let req = sent(action);
        assert_eq!(req.model, "gpt-x");
        assert_eq!(req.messages.len(), 2);
        assert_eq!(user_texts(&req), vec!["Hi"]);
        // A lone oneoff has nothing to send.
        let text = answered(go(&c, &mut host, &["!/oneoff(alt:y)"]).0);
        assert!(text.contains("`!/oneoff(alt:y)` applies only"), "{text}");
    }

    #[test]
    fn status_and_help() {
        let c = Config {
            backends: vec!["mock".into(), "alt".into()],
            ..Config::default()
        };
        let mut host = MemHost::default();
        let text = answered(go(&c, &mut host, &["!/status"]).0);
        assert!(
            text.starts_with("[wasmgate] Status of this conversation:"),
            "{text}"
        );
        assert!(text.contains("model: gpt (as the client asked)"), "{text}");
        let text = answered(go(&c, &mut host, &["!/backend(alt) !/status what now?"]).0);
        assert!(
            text.starts_with("[wasmgate] backend → alt (sticks"),
            "{text}"
        );
        assert!(text.contains("backend: alt (sticky"), "{text}");
        assert!(text.contains("requests go out as: `alt/gpt`"), "{text}");
        assert!(
            text.contains("The rest of your message was not sent"),
            "{text}"
        );
        let text = answered(go(&c, &mut host, &["!/help"]).0);
        assert!(text.contains("`!/oneoff(upstream:model)`"), "{text}");
        assert!(text.contains("Backends: mock, alt."), "{text}");
    }

    #[test]
    fn problems_are_answered_and_change_nothing() {
        let c = Config {
            backends: vec!["mock".into(), "alt".into()],
            ..Config::default()
        };
        let mut host = MemHost::default();
        for (prompt, needle) in [
            ("!/foo hi", "`!/foo` is not a command."),
            (
                "!/model(x) !/oneoff(nocolon) hi",
                "`!/oneoff(nocolon)` needs an upstream",
            ),
            ("!/model() hi", "`!/model()` needs a model name"),
            (
                "!/backend(nope) hi",
                "`nope` is not a backend here; the backends are: mock, alt.",
            ),
        ] {
            let text = answered(go(&c, &mut host, &[prompt]).0);
            assert!(text.starts_with("[wasmgate] "), "{text}");
            assert!(text.contains(needle), "{text}");
            assert!(
                text.contains("Nothing was changed and nothing was sent."),
                "{text}"
            );
            assert!(text.contains("`!/help`: this list"), "{text}");
        }
        assert!(host.kv.is_empty());
    }

    #[test]
    fn reset_forgets() {
        let c = Config::default();
        let mut host = MemHost::default();
        go(&c, &mut host, &["!/model(x) !/backend(alt) hi"]);
        let key = state_key(conversation_id(&convo(&["!/model(x) !/backend(alt) hi"])));
        assert!(host.kv.contains_key(&key));
        let turns = ["!/model(x) !/backend(alt) hi", "ok", "!/reset"];
        let text = answered(go(&c, &mut host, &turns).0);
        assert!(text.contains("model and backend reset (back to"), "{text}");
        assert!(!host.kv.contains_key(&key));
        let turns = [
            "!/model(x) !/backend(alt) hi",
            "ok",
            "!/reset",
            "[wasmgate] …",
            "again",
        ];
        assert_eq!(sent(go(&c, &mut host, &turns).0).model, "gpt");
    }

    #[test]
    fn a_full_store_still_routes_this_message() {
        let c = Config::default();
        let mut host = MemHost {
            full: true,
            ..MemHost::default()
        };
        let (action, confirm) = go(&c, &mut host, &["!/model(x) hi"]);
        assert_eq!(sent(action).model, "x");
        assert_eq!(
            confirm.as_deref(),
            Some("[wasmgate: model → x (not saved)]\n\n")
        );
        assert!(host.logs.iter().any(|l| l.contains("cannot store")));
        let text = answered(go(&c, &mut host, &["!/model(x)"]).0);
        assert!(text.contains("could not be saved"), "{text}");
    }

    #[test]
    fn confirm_can_be_off() {
        let c = Config {
            confirm: false,
            ..Config::default()
        };
        let (action, confirm) = go(&c, &mut MemHost::default(), &["!/model(x) hi"]);
        assert_eq!(sent(action).model, "x");
        assert_eq!(confirm, None);
    }

    #[test]
    fn lookalikes_go_upstream_untouched() {
        let c = Config::default();
        let mut host = MemHost::default();
        let prompt = "Why does `!/status` fail in https://x/!/y and !/usr/bin?";
        let (action, confirm) = go(&c, &mut host, &[prompt]);
        let req = sent(action);
        assert_eq!(user_texts(&req), vec![prompt]);
        assert_eq!(req.model, "gpt");
        assert_eq!(confirm, None);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let c = Config::default();
        let mut host = MemHost::default();
        for prompt in [
            "!/",
            "!/(",
            "!/model(",
            "!/model((",
            "!/é",
            "é!/help",
            "!/model(é) ü",
            "````",
            "` !/help",
            "!/oneoff(:)",
            "!/x(\n)",
            "\u{0}!/help",
        ] {
            let _ = go(&c, &mut host, &[prompt]);
        }
        // No user message at all.
        let _ = on_request(
            &c,
            "r",
            request(vec![text(Role::System, "!/help")]),
            &mut host,
        );
        let _ = on_request(&c, "r", request(vec![]), &mut host);
    }
}
