//! Integration tests: the real router over real HTTP, real Wasm plugins, and
//! a local mock upstream speaking the exact OpenAI wire format.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod anthropic;
mod auth;
mod capabilities;
mod chat;
mod cli;
mod common;
mod config_reload;
mod example_c_filter;
mod example_js_filter;
mod example_ollama_provider;
mod example_python_filter;
mod example_sdk_filter;
mod exports;
mod filter_components;
mod filters;
mod gemini;
mod hotswap;
mod initial_memory;
mod large_requests;
mod limits;
mod misbehave;
mod mock;
mod responses;
mod reuse;
mod scaffold;
mod serve;
mod streaming;
mod transcripts;
mod workers;
