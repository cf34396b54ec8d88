//! wasmgate: a local-first LLM API gateway whose provider adapters and
//! filters are sandboxed WebAssembly components.
//!
//! Data flows one way: a front-end codec turns the client's wire format into
//! the canonical model, filters see it, a provider plugin turns it into the
//! upstream's HTTP request, and the answer comes back the same way.

pub mod api_error;
pub mod canonical;
pub mod catalog;
pub mod config;
pub mod frontend;
pub mod gateway;
pub mod http_client;
pub mod kv;
pub mod outbound;
pub mod routing;
pub mod runtime;
pub mod server;
pub mod upstream;
