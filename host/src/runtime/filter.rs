//! A filter plugin instance: the typed handle the gateway drives.

use std::sync::Arc;

use wasmtime::component::ResourceAny;

use super::exports::FilterFuncs;
use super::instance::Instance;
use super::plugin::{Plugin, Pre};
use super::warm::Warm;
use super::{Limits, PluginEnv, PluginError};
use crate::canonical::{self, Error, RequestContext, Response, StreamEvent};

pub use super::bindings::filter::exports::wasmgate::plugin::filter::{MessageEdit, RequestAction};

/// Replace the messages `edits` name (an `edit` answer that
/// [`FilterInstance::on_request`] checked against `req`).
pub fn apply_edits(req: &mut canonical::Request, edits: Vec<MessageEdit>) {
    for edit in edits {
        if let Some(message) = req.messages.get_mut(edit.index as usize) {
            *message = edit.message;
        }
    }
}

/// One filter instance, living as long as one request.
pub struct FilterInstance {
    inner: Instance<FilterFuncs>,
    stream: Option<ResourceAny>,
}

impl FilterInstance {
    /// A fresh instance of `plugin` (which must be a filter) for one request.
    pub async fn new(
        plugin: &Plugin,
        env: Arc<PluginEnv>,
        limits: Limits,
    ) -> Result<Self, PluginError> {
        Self::from_warm(plugin, env, None, limits).await
    }

    /// An instance of `plugin` (which must be a filter) for one request: one
    /// `warm` kept from an earlier request if it has one, else a fresh one.
    /// [`Self::park`] hands it back when the request is done.
    pub async fn from_warm(
        plugin: &Plugin,
        env: Arc<PluginEnv>,
        warm: Option<&Arc<Warm>>,
        limits: Limits,
    ) -> Result<Self, PluginError> {
        let Pre::Filter(pre, exports) = &plugin.pre else {
            return Err(PluginError::Instantiate {
                plugin: plugin.name.clone(),
                detail: "not a filter plugin".into(),
            });
        };
        let inner = Instance::new(
            &plugin.engine,
            plugin.stats.clone(),
            env,
            limits,
            warm,
            pre,
            |store, instance| exports.load(store, instance),
        )
        .await?;
        Ok(Self {
            inner,
            stream: None,
        })
    }

    /// The request is done: back to the plugin use's idle instances if it
    /// keeps them and this one is sound (its stream filter dropped first),
    /// else dropped.
    pub async fn park(self) {
        self.inner.park(self.stream).await;
    }

    /// The plugin's name.
    pub async fn name(&self) -> &str {
        self.inner.name()
    }

    /// `init()`: does the plugin accept its config?
    pub async fn init(&mut self) -> Result<Result<(), Error>, PluginError> {
        let result = self
            .inner
            .call("init", async |b, s| b.init(s).await)
            .await?;
        self.inner.checked_error(result)
    }

    /// `on-request()`, with the action checked.
    pub async fn on_request(
        &mut self,
        ctx: &RequestContext,
        req: &canonical::Request,
    ) -> Result<RequestAction, PluginError> {
        let action = self
            .inner
            .call("on-request", async |b, s| b.on_request(s, ctx, req).await)
            .await?;
        let verdict = match &action {
            RequestAction::Pass => Ok(()),
            RequestAction::Edit(edits) => canonical::validate_edits(req, edits),
            RequestAction::Continue(changed) => canonical::validate_request(changed, req),
            RequestAction::Reject(error) => canonical::validate_error(error),
            RequestAction::Respond(resp) => canonical::validate_response(resp),
        };
        match verdict {
            Ok(()) => Ok(action),
            Err(detail) => Err(self.inner.contract(detail)),
        }
    }

    /// `on-response()`, with the response checked.
    pub async fn on_response(
        &mut self,
        ctx: &RequestContext,
        resp: &Response,
    ) -> Result<Result<Response, Error>, PluginError> {
        let result = self
            .inner
            .call("on-response", async |b, s| {
                b.on_response(s, ctx, resp).await
            })
            .await?;
        if let Ok(response) = &result
            && let Err(detail) = canonical::validate_response(response)
        {
            return Err(self.inner.contract(detail));
        }
        self.inner.checked_error(result)
    }

    /// Pass a batch of stream events through the filter.
    pub async fn on_events(
        &mut self,
        ctx: &RequestContext,
        events: &[StreamEvent],
    ) -> Result<Result<Vec<StreamEvent>, Error>, PluginError> {
        let stream = self.stream(ctx).await?;
        let result = self
            .inner
            .call("stream-filter.on-events", async |b, s| {
                b.stream_on_events(s, stream, events).await
            })
            .await?;
        self.inner.checked_events(result)
    }

    /// The stream ended: collect what the filter held back.
    pub async fn finish(
        &mut self,
        ctx: &RequestContext,
    ) -> Result<Result<Vec<StreamEvent>, Error>, PluginError> {
        let stream = self.stream(ctx).await?;
        let result = self
            .inner
            .call("stream-filter.finish", async |b, s| {
                b.stream_finish(s, stream).await
            })
            .await?;
        self.inner.checked_events(result)
    }

    async fn stream(&mut self, ctx: &RequestContext) -> Result<ResourceAny, PluginError> {
        if let Some(stream) = self.stream {
            return Ok(stream);
        }
        let stream = self
            .inner
            .call("stream-filter.constructor", async |b, s| {
                b.stream_new(s, ctx).await
            })
            .await?;
        self.stream = Some(stream);
        Ok(stream)
    }
}
