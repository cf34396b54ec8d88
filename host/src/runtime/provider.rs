//! A provider plugin instance: the typed handle the gateway drives.

use std::sync::Arc;

use wasmtime::component::ResourceAny;

use super::exports::ProviderFuncs;
use super::instance::Instance;
use super::plugin::{Plugin, Pre};
use super::warm::Warm;
use super::{Limits, PluginEnv, PluginError};
use crate::canonical::{
    self, Error, HttpResponse, ProviderInfo, Request, Response, StreamEvent, Target,
};
use crate::outbound;

use super::bindings::provider::exports::wasmgate::plugin::provider::Outbound;

/// What `build-request` asked for, checked.
pub enum Outgoing {
    /// Send this request upstream.
    Send(Box<crate::http_client::OutRequest>),
    /// Answer locally with this response (a provider with no upstream).
    Local(HttpResponse),
}

/// One provider instance, living as long as one request.
pub struct ProviderInstance {
    inner: Instance<ProviderFuncs>,
    decoder: Option<ResourceAny>,
}

impl ProviderInstance {
    /// A fresh instance of `plugin` (which must be a provider) for one request.
    pub async fn new(
        plugin: &Plugin,
        env: Arc<PluginEnv>,
        limits: Limits,
    ) -> Result<Self, PluginError> {
        Self::from_warm(plugin, env, None, limits).await
    }

    /// An instance of `plugin` (which must be a provider) for one request: one
    /// `warm` kept from an earlier request if it has one, else a fresh one.
    /// [`Self::park`] hands it back when the request is done.
    pub async fn from_warm(
        plugin: &Plugin,
        env: Arc<PluginEnv>,
        warm: Option<&Arc<Warm>>,
        limits: Limits,
    ) -> Result<Self, PluginError> {
        let Pre::Provider(pre, exports) = &plugin.pre else {
            return Err(PluginError::Instantiate {
                plugin: plugin.name.clone(),
                detail: "not a provider plugin".into(),
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
            decoder: None,
        })
    }

    /// The request is done: back to the plugin use's idle instances if it
    /// keeps them and this one is sound (its stream decoder dropped first),
    /// else dropped.
    pub async fn park(self) {
        self.inner.park(self.decoder).await;
    }

    /// The plugin's name.
    pub async fn name(&self) -> &str {
        self.inner.name()
    }

    /// `info()`.
    pub async fn info(&mut self) -> Result<ProviderInfo, PluginError> {
        self.inner.call("info", async |b, s| b.info(s).await).await
    }

    /// `init()`: does the plugin accept its config?
    pub async fn init(&mut self) -> Result<Result<(), Error>, PluginError> {
        let result = self
            .inner
            .call("init", async |b, s| b.init(s).await)
            .await?;
        self.inner.checked_error(result)
    }

    /// `build-request()`, with the outbound request checked and parsed.
    pub async fn build_request(
        &mut self,
        req: &Request,
        target: &Target,
    ) -> Result<Result<Outgoing, Error>, PluginError> {
        let result = self
            .inner
            .call("build-request", async |b, s| {
                b.build_request(s, req, target).await
            })
            .await?;
        let outgoing = match self.inner.checked_error(result)? {
            Ok(Outbound::Send(http)) => match outbound::parse(http) {
                Ok(request) => Outgoing::Send(Box::new(request)),
                Err(detail) => return Err(self.inner.contract(detail)),
            },
            Ok(Outbound::Local(response)) => Outgoing::Local(response),
            Err(error) => return Ok(Err(error)),
        };
        Ok(Ok(outgoing))
    }

    /// `parse-response()`, with the response checked.
    pub async fn parse_response(
        &mut self,
        resp: &HttpResponse,
    ) -> Result<Result<Response, Error>, PluginError> {
        let result = self
            .inner
            .call("parse-response", async |b, s| {
                b.parse_response(s, resp).await
            })
            .await?;
        if let Ok(response) = &result
            && let Err(detail) = canonical::validate_response(response)
        {
            return Err(self.inner.contract(detail));
        }
        self.inner.checked_error(result)
    }

    /// Decode more streamed body bytes.
    pub async fn feed(
        &mut self,
        chunk: &[u8],
    ) -> Result<Result<Vec<StreamEvent>, Error>, PluginError> {
        let decoder = self.decoder().await?;
        let result = self
            .inner
            .call("stream-decoder.feed", async |b, s| {
                b.decoder_feed(s, decoder, chunk).await
            })
            .await?;
        self.inner.checked_events(result)
    }

    /// The streamed body ended.
    pub async fn finish(&mut self) -> Result<Result<Vec<StreamEvent>, Error>, PluginError> {
        let decoder = self.decoder().await?;
        let result = self
            .inner
            .call("stream-decoder.finish", async |b, s| {
                b.decoder_finish(s, decoder).await
            })
            .await?;
        self.inner.checked_events(result)
    }

    async fn decoder(&mut self) -> Result<ResourceAny, PluginError> {
        if let Some(decoder) = self.decoder {
            return Ok(decoder);
        }
        let decoder = self
            .inner
            .call("stream-decoder.constructor", async |b, s| {
                b.decoder_new(s).await
            })
            .await?;
        self.decoder = Some(decoder);
        Ok(decoder)
    }
}
