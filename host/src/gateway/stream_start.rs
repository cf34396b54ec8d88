//! A stream's status is decided by how it starts. One that fails before it
//! says anything (the upstream's first chunk is an error, as OpenRouter
//! sends a rate limit; an Anthropic `overloaded_error` right after
//! `message_start`; a plugin that fails on the first chunk) is answered as a
//! plain error with the error's status. The client's SDK then raises its
//! typed error, and retries a 429 or 5xx, instead of meeting an error event
//! after a 200.

use futures_util::{Stream, StreamExt};

use super::events::EventStream;
use crate::api_error::ApiError;
use crate::canonical::StreamEvent;

/// Read `events` up to the first event that carries the answer (text,
/// thinking, a tool call, the finish) or an error. An error first is
/// `Err`; otherwise the stream, the events read so far first.
pub async fn started(
    mut events: EventStream,
) -> Result<impl Stream<Item = Vec<StreamEvent>> + Send + 'static, ApiError> {
    let mut read = Vec::new();
    while let Some(batch) = events.next().await {
        let answer_began = batch.iter().find_map(|event| match event {
            StreamEvent::Start(_) | StreamEvent::Usage(_) => None,
            StreamEvent::Error(error) => Some(Err(error.clone())),
            _ => Some(Ok(())),
        });
        match answer_began {
            Some(Err(error)) => return Err(error.into()),
            Some(Ok(())) => {
                read.push(batch);
                break;
            }
            None => read.push(batch),
        }
    }
    Ok(futures_util::stream::iter(read).chain(events))
}
