//! `sdk-filter`: an example filter written with `wasmgate-sdk`.
//!
//! - a user message of exactly `/ping` is answered locally with `pong`
//!   (the upstream is never called; the gateway still runs the answer
//!   through `on_response`, so it gets the tag too);
//! - a prompt containing the configured `block` word is rejected (400);
//! - every answer, whole or streamed, gets the configured `tag` appended;
//! - it counts the requests it has seen in the plugin's kv store.
//!
//! Config: `{ "tag": " [sdk]", "block": "forbidden" }` (both optional).

use serde::Deserialize;
use wasmgate_sdk::prelude::*;

/// The filter's settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Text appended to every answer.
    pub tag: String,
    /// A word that makes the filter reject a prompt (ignoring case).
    pub block: Option<String>,
}

/// The filter.
pub struct SdkFilter;

impl Filter for SdkFilter {
    fn init() -> Result<(), Error> {
        let settings: Settings = config::get()?;
        if settings.block.as_deref() == Some("") {
            return Err(Error::invalid_request(
                "sdk-filter: `block` must not be empty",
            ));
        }
        Ok(())
    }

    fn on_request(ctx: &RequestContext, req: Request) -> RequestAction {
        let settings: Settings = match config::get() {
            Ok(settings) => settings,
            Err(e) => return RequestAction::Reject(e),
        };
        let seen = kv::get_json::<u64>("requests").unwrap_or(0) + 1;
        let _ = kv::set_json("requests", &seen, None);
        log::debug(format!("request {} ({seen} seen)", ctx.request_id));

        let prompt = req.last_user_text().unwrap_or_default();
        if prompt.trim() == "/ping" {
            return RequestAction::Respond(Response::text("pong").with_model(req.model.clone()));
        }
        if let Some(word) = &settings.block
            && prompt.to_lowercase().contains(&word.to_lowercase())
        {
            log::info(format!("blocked request {}", ctx.request_id));
            return RequestAction::Reject(Error::invalid_request(
                "blocked by sdk-filter: the prompt contains a blocked word",
            ));
        }
        // Unchanged: `Pass` spares copying the request back to the gateway.
        RequestAction::Pass
    }

    fn on_response(_ctx: &RequestContext, mut resp: Response) -> Result<Response, Error> {
        let settings: Settings = config::get()?;
        if !settings.tag.is_empty() {
            resp.append_text(&settings.tag);
        }
        Ok(resp)
    }

    fn on_stream(_ctx: &RequestContext) -> Box<dyn StreamFilter> {
        let tag = config::get::<Settings>().map(|s| s.tag).unwrap_or_default();
        Box::new(TagStream { tag })
    }
}

/// Adds the tag as one more text delta just before `finish`.
struct TagStream {
    tag: String,
}

impl StreamFilter for TagStream {
    fn on_event(&mut self, event: StreamEvent) -> Result<Vec<StreamEvent>, Error> {
        if event.is_finish() && !self.tag.is_empty() {
            return Ok(vec![StreamEvent::text(self.tag.clone()), event]);
        }
        Ok(vec![event])
    }
}

wasmgate_sdk::export_filter!(SdkFilter);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wasmgate_sdk::serde_json;
    use wasmgate_sdk::testing::{self, FilterHarness};

    fn harness() -> FilterHarness<SdkFilter> {
        FilterHarness::with_config(json!({ "tag": " [sdk]", "block": "forbidden" }))
            .expect("init accepts the config")
    }

    #[test]
    fn init_rejects_unknown_keys() {
        let err = FilterHarness::<SdkFilter>::with_config(json!({ "tga": "x" }))
            .err()
            .expect("a typo is an error");
        assert_eq!(err.status, 400);
        assert!(err.message.contains("tga"), "{}", err.message);
    }

    #[test]
    fn ping_is_answered_locally_and_counted() {
        let h = harness();
        let req = Request::builder().model("m").user("/ping").build();
        match h.on_request(req) {
            RequestAction::Respond(resp) => assert_eq!(resp.text_content(), "pong"),
            other => panic!("expected a local answer, got {other:?}"),
        }
        let _ = h.on_request(Request::builder().user("hi").build());
        assert_eq!(kv::get_json::<u64>("requests"), Some(2));
    }

    #[test]
    fn blocks_the_word() {
        let h = harness();
        let req = Request::builder().user("say the FORBIDDEN word").build();
        match h.on_request(req) {
            RequestAction::Reject(e) => {
                assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, 400))
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert!(
            testing::logs()
                .iter()
                .any(|(_, line)| line.contains("blocked"))
        );
        let req = Request::builder().user("hello").build();
        assert_eq!(h.expect_continue(req.clone()), Ok(req));
    }

    #[test]
    fn tags_whole_and_streamed_answers() {
        let h = harness();
        let resp = h.on_response(Response::text("hello")).expect("on-response");
        assert_eq!(resp.text_content(), "hello [sdk]");
        let events = h
            .stream(vec![testing::text_stream(&["hel", "lo"])])
            .expect("stream");
        assert_eq!(testing::streamed_text(&events), "hello [sdk]");
        assert!(events.last().is_some_and(StreamEvent::is_finish));
    }
}
