//! The provider side: the [`Provider`] trait a plugin implements.

use std::cell::RefCell;
use std::marker::PhantomData;

pub use crate::__provider_world::exports::wasmgate::plugin::provider::{
    Guest, GuestStreamDecoder, Outbound,
};
use crate::types::{Error, HttpResponse, ProviderInfo, Request, Response, StreamEvent, Target};

/// A provider plugin: a pure translator between the canonical model and one
/// upstream wire format (the host does all network I/O). Export it with
/// [`export_provider!`](crate::export_provider).
pub trait Provider: 'static {
    /// Static facts: the id used in config (`provider = "…"`), display name,
    /// default base URL and known models.
    fn info() -> ProviderInfo;

    /// Check the config (read it with [`config::get`](crate::config::get)).
    fn init() -> Result<(), Error> {
        Ok(())
    }

    /// Turn a canonical request into the upstream HTTP request
    /// ([`Outbound::Send`]) or answer locally ([`Outbound::Local`]).
    fn build_request(req: Request, target: Target) -> Result<Outbound, Error>;

    /// Turn a whole upstream response into a canonical response, or a typed
    /// error for a non-success status.
    fn parse_response(resp: HttpResponse) -> Result<Response, Error>;

    /// A fresh decoder for one streamed (2xx) upstream body.
    fn stream_decoder() -> Box<dyn StreamDecoder>;
}

/// Decodes one streamed upstream body into canonical events. The host feeds
/// raw body bytes as they arrive, split anywhere (mid-line, mid-UTF-8).
pub trait StreamDecoder {
    /// Decode more body bytes.
    fn feed(&mut self, chunk: Vec<u8>) -> Result<Vec<StreamEvent>, Error>;

    /// The body ended; flush what is left.
    fn finish(&mut self) -> Result<Vec<StreamEvent>, Error> {
        Ok(Vec::new())
    }
}

/// The exported `stream-decoder` resource for provider `P` (used by
/// [`export_provider!`](crate::export_provider)).
#[doc(hidden)]
pub struct Decoder<P> {
    inner: RefCell<Box<dyn StreamDecoder>>,
    _provider: PhantomData<fn() -> P>,
}

impl<P: Provider> GuestStreamDecoder for Decoder<P> {
    fn new() -> Self {
        Decoder {
            inner: RefCell::new(P::stream_decoder()),
            _provider: PhantomData,
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<StreamEvent>, Error> {
        self.inner.borrow_mut().feed(chunk)
    }

    fn finish(&self) -> Result<Vec<StreamEvent>, Error> {
        self.inner.borrow_mut().finish()
    }
}
