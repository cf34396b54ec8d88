//! Server-sent events: turning canonical event batches into a streamed body.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::canonical::StreamEvent;

/// Encodes canonical events into one wire format's SSE bytes.
pub trait StreamEncoder: Send + 'static {
    /// Append the bytes for `event` to `out`.
    fn event(&mut self, event: StreamEvent, out: &mut Vec<u8>);
    /// The stream ended (normally or after an error event); append any tail.
    fn end(&mut self, out: &mut Vec<u8>);
    /// The response `content-type`.
    fn content_type(&self) -> &'static str {
        "text/event-stream"
    }
}

/// Append one named event (`event:` line, `data:` line, blank line).
pub fn write_event(out: &mut Vec<u8>, name: &str, json: &impl serde::Serialize) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.push(b'\n');
    write_data(out, json);
}

/// Append one `data:` line and the blank line after it.
pub fn write_data(out: &mut Vec<u8>, json: &impl serde::Serialize) {
    out.extend_from_slice(b"data: ");
    // Serialising a `Value` or one of the encoders' event records into a
    // Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, json);
    out.extend_from_slice(b"\n\n");
}

/// An SSE response whose body encodes `events` as they arrive. The body is
/// pulled by the client connection, so back-pressure reaches the upstream,
/// and dropping it (client gone) drops the upstream request.
pub fn response<S, E>(events: S, encoder: E) -> Response
where
    S: Stream<Item = Vec<StreamEvent>> + Send + 'static,
    E: StreamEncoder,
{
    let content_type = HeaderValue::from_static(encoder.content_type());
    let state = (Box::pin(events), encoder, false);
    let stream =
        futures_util::stream::unfold(state, |(mut events, mut encoder, ended)| async move {
            if ended {
                return None;
            }
            let mut out = Vec::new();
            loop {
                match events.next().await {
                    Some(batch) => {
                        for event in batch {
                            encoder.event(event, &mut out);
                        }
                        if !out.is_empty() {
                            return Some((
                                Ok::<_, std::convert::Infallible>(Bytes::from(out)),
                                (events, encoder, false),
                            ));
                        }
                    }
                    None => {
                        encoder.end(&mut out);
                        return Some((Ok(Bytes::from(out)), (events, encoder, true)));
                    }
                }
            }
        });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
