//! The streamed path: upstream bytes → provider decoder → filters (reverse
//! config order) → canonical event batches, pulled one upstream chunk at a time.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::api_error::{ApiError, scrub};
use crate::canonical::{
    ContentPart, RequestContext, Response, StreamEvent, StreamStart, ToolCallDelta, ToolCallStart,
};
use crate::config::OnError;
use crate::runtime::{FilterInstance, PluginError, ProviderInstance};
use crate::upstream::BodyStream;

use super::call_ids;
use super::retire::retire;

/// The filters of one request, with its context.
pub struct FilterChain {
    /// In config order, with each one's failure policy; responses and events
    /// visit them in reverse.
    filters: Vec<(FilterInstance, OnError)>,
    ctx: RequestContext,
}

impl FilterChain {
    /// A chain over `filters` (config order).
    pub fn new(filters: Vec<(FilterInstance, OnError)>, ctx: RequestContext) -> Self {
        Self { filters, ctx }
    }

    /// Pass a whole response through every filter, last filter first, and
    /// give the tool calls the upstream left without an id one.
    pub async fn on_response(mut self, mut response: Response) -> Result<Response, ApiError> {
        for (filter, on_error) in self.filters.iter_mut().rev() {
            response = match filter.on_response(&self.ctx, &response).await {
                Ok(result) => result.map_err(ApiError::from)?,
                Err(error) if *on_error == OnError::Skip => {
                    skipped(&error);
                    response
                }
                Err(error) => return Err(error.into()),
            };
        }
        retire(std::mem::take(&mut self.filters));
        call_ids::fill_response(&mut response);
        Ok(response)
    }

    /// Pass a batch of events through every filter, last filter first.
    async fn process(&mut self, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        self.run(events, false).await
    }

    /// The stream ended: flush each filter, feeding what it held back
    /// through the filters after it.
    async fn finish(&mut self) -> Vec<StreamEvent> {
        self.run(Vec::new(), true).await
    }

    async fn run(&mut self, mut events: Vec<StreamEvent>, finishing: bool) -> Vec<StreamEvent> {
        for (filter, on_error) in self.filters.iter_mut().rev() {
            let mut next = Vec::new();
            if !events.is_empty() {
                match filter.on_events(&self.ctx, &events).await {
                    Ok(Ok(out)) => next = out,
                    Ok(Err(error)) => return vec![StreamEvent::Error(error)],
                    Err(error) if *on_error == OnError::Skip => {
                        skipped(&error);
                        next = std::mem::take(&mut events);
                    }
                    Err(error) => return vec![plugin_failure(error)],
                }
            }
            if finishing {
                match filter.finish(&self.ctx).await {
                    Ok(Ok(out)) => next.extend(out),
                    Ok(Err(error)) => next.push(StreamEvent::Error(error)),
                    Err(error) if *on_error == OnError::Skip => skipped(&error),
                    Err(error) => return vec![plugin_failure(error)],
                }
            }
            events = next;
        }
        events
    }
}

/// A filter with `on_error = "skip"` failed: log it and pass its input on.
fn skipped(error: &PluginError) {
    if !matches!(error, PluginError::Poisoned { .. }) {
        tracing::warn!(plugin = error.plugin(), %error, "filter failed; skipped (on_error = \"skip\")");
    }
}

fn plugin_failure(error: PluginError) -> StreamEvent {
    StreamEvent::Error(ApiError::from(error).to_canonical())
}

enum Source {
    /// Events already known (a filter answered, or a non-streamed upstream answer).
    Prepared(Option<Vec<StreamEvent>>),
    /// A body the provider answered locally.
    Local(Option<Vec<u8>>),
    /// The upstream's body on the wire.
    Remote {
        body: BodyStream,
        idle: Duration,
        upstream: String,
    },
}

struct Pump {
    provider: Option<ProviderInstance>,
    chain: FilterChain,
    source: Source,
    done: bool,
    /// The upstream credential, scrubbed from error events.
    credential: Option<String>,
}

impl Pump {
    async fn next(&mut self) -> Option<Vec<StreamEvent>> {
        while !self.done {
            let (decoded, ended) = self.pull().await;
            let mut out = match decoded {
                Ok(events) => self.chain.process(events).await,
                Err(failure) => vec![failure],
            };
            if ended {
                out.extend(self.chain.finish().await);
                self.done = true;
            }
            if let Some(pos) = out.iter().position(|e| matches!(e, StreamEvent::Error(_))) {
                out.truncate(pos + 1);
                self.done = true;
                if let Some(StreamEvent::Error(error)) = out.last_mut() {
                    scrub(&mut error.message, self.credential.as_deref());
                }
            }
            if self.done {
                retire((
                    self.provider.take(),
                    std::mem::take(&mut self.chain.filters),
                ));
            }
            if !out.is_empty() {
                call_ids::fill_events(&mut out);
                return Some(out);
            }
        }
        None
    }

    /// Decoded events from the next piece of the source, and whether it ended.
    /// `Err` is an event for the client that skips the filters.
    async fn pull(&mut self) -> (Result<Vec<StreamEvent>, StreamEvent>, bool) {
        let chunk = match &mut self.source {
            Source::Prepared(events) => return (Ok(events.take().unwrap_or_default()), true),
            Source::Local(body) => body.take().map(Bytes::from),
            Source::Remote {
                body,
                idle,
                upstream,
            } => match tokio::time::timeout(*idle, body.next()).await {
                Ok(Some(Ok(chunk))) => Some(chunk),
                Ok(None) => None,
                Ok(Some(Err(error))) => {
                    let message = format!(
                        "upstream `{upstream}` broke off the stream: {}",
                        crate::http_client::describe(&error)
                    );
                    tracing::warn!(%upstream, "{message}");
                    return (
                        Ok(vec![StreamEvent::Error(
                            ApiError::upstream(message).to_canonical(),
                        )]),
                        true,
                    );
                }
                Err(_) => {
                    let message = format!(
                        "upstream `{upstream}` sent nothing for {} ms",
                        idle.as_millis()
                    );
                    tracing::warn!(%upstream, "{message}");
                    return (
                        Ok(vec![StreamEvent::Error(
                            ApiError::timeout(message).to_canonical(),
                        )]),
                        true,
                    );
                }
            },
        };
        let Some(provider) = self.provider.as_mut() else {
            return (Ok(Vec::new()), true);
        };
        let (result, ended) = match chunk {
            Some(chunk) => (provider.feed(&chunk).await, false),
            None => (provider.finish().await, true),
        };
        match result {
            Ok(Ok(events)) => (Ok(events), ended),
            Ok(Err(error)) => (Ok(vec![StreamEvent::Error(error)]), true),
            Err(error) => (Err(plugin_failure(error)), true),
        }
    }
}

/// Canonical event batches for one streamed answer.
pub struct EventStream {
    inner: Pin<Box<dyn Stream<Item = Vec<StreamEvent>> + Send>>,
}

impl EventStream {
    fn new(pump: Pump) -> Self {
        let inner = futures_util::stream::unfold(pump, |mut pump| async move {
            let batch = pump.next().await?;
            Some((batch, pump))
        });
        Self {
            inner: Box::pin(inner),
        }
    }

    /// Stream an upstream body; `credential` (the key the request was sent
    /// with) never reaches the client in an error event.
    pub fn remote(
        provider: ProviderInstance,
        chain: FilterChain,
        body: BodyStream,
        idle: Duration,
        upstream: &str,
        credential: Option<String>,
    ) -> Self {
        let source = Source::Remote {
            body,
            idle,
            upstream: upstream.to_string(),
        };
        Self::new(Pump {
            provider: Some(provider),
            chain,
            source,
            done: false,
            credential,
        })
    }

    /// Stream a body the provider produced locally.
    pub fn local(provider: ProviderInstance, chain: FilterChain, body: Vec<u8>) -> Self {
        Self::new(Pump {
            provider: Some(provider),
            chain,
            source: Source::Local(Some(body)),
            done: false,
            credential: None,
        })
    }

    /// Stream a whole response as events (through the filters).
    pub fn from_response(chain: FilterChain, response: &Response) -> Self {
        let source = Source::Prepared(Some(response_events(response)));
        Self::new(Pump {
            provider: None,
            chain,
            source,
            done: false,
            credential: None,
        })
    }
}

impl Stream for EventStream {
    type Item = Vec<StreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The events that stream `response`.
pub fn response_events(response: &Response) -> Vec<StreamEvent> {
    let mut events = vec![StreamEvent::Start(StreamStart {
        id: response.id.clone(),
        model: response.model.clone(),
        created: response.created,
        extra: response.extra.clone(),
    })];
    let mut index = 0;
    for part in &response.content {
        match part {
            ContentPart::Text(text) => events.push(StreamEvent::TextDelta(text.clone())),
            ContentPart::Thinking(t) => events.push(StreamEvent::ThinkingDelta(
                crate::canonical::ThinkingDelta {
                    text: t.text.clone(),
                    signature: t.signature.clone(),
                    redacted: t.redacted,
                },
            )),
            ContentPart::ToolCall(call) => {
                events.push(StreamEvent::ToolCallStart(ToolCallStart {
                    index,
                    id: call.id.clone(),
                    name: call.name.clone(),
                }));
                events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                    index,
                    arguments: call.arguments.clone(),
                }));
                events.push(StreamEvent::ToolCallEnd(index));
                index += 1;
            }
            ContentPart::Image(_) | ContentPart::ToolResult(_) => {}
        }
    }
    if let Some(usage) = response.usage {
        events.push(StreamEvent::Usage(usage));
    }
    if let Some(reason) = &response.finish_reason {
        events.push(StreamEvent::Finish(reason.clone()));
    }
    events
}
