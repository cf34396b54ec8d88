//! One chat call in any wire format: decode, run the pipeline, encode.

use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;

use super::pipeline::{self, Outcome};
use super::state::Gateway;
use super::stream_start;
use crate::api_error::ApiError;
use crate::frontend::{Codec, sse};

/// Serve one call with `codec`; every failure is rendered in the codec's
/// format, with a log line.
pub async fn handle<C: Codec>(
    gw: &Gateway,
    mut codec: C,
    headers: &HeaderMap,
    body: Result<Bytes, ApiError>,
) -> Response {
    // One id for the request: filters and logs see it, and a streamed
    // answer the upstream gave no id is named after it.
    let request_id = gw.next_request_id();
    let result = async {
        let body = body?;
        let req = codec.decode(&body, headers)?;
        let model = req.model.clone();
        let live = gw.live.load_full();
        let outcome =
            match pipeline::run(gw, live, C::FORMAT, request_id.clone(), req, body.len()).await? {
                Outcome::Stream(events) => Started::Stream(stream_start::started(events).await?),
                Outcome::Complete(response) => Started::Complete(response),
            };
        Ok::<_, ApiError>((outcome, model))
    }
    .await;
    match result {
        Ok((Started::Complete(response), model)) => codec.encode(&response, &model),
        Ok((Started::Stream(events), model)) => {
            let encoder = codec.stream(&request_id, model);
            sse::response(events, encoder)
        }
        Err(error) => {
            tracing::info!(
                format = C::FORMAT.name(),
                status = error.status.as_u16(),
                message = %error.message,
                "call failed"
            );
            C::FORMAT.error_response(&error)
        }
    }
}

/// What the client gets, once a stream has started well.
enum Started<S> {
    /// A whole answer.
    Complete(crate::canonical::Response),
    /// A stream whose first events carry no error.
    Stream(S),
}
