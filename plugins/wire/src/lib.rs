//! Wire helpers the first-party provider plugins share.
//!
//! Everything here is plain Rust over bytes, strings and `serde_json`
//! values: nothing depends on the WIT bindings, which each plugin generates
//! for itself. Where a plugin needs a WIT type (its `ErrorKind` and `Error`),
//! this crate gives a plain stand-in ([`KindName`], [`Failure`]) and
//! [`wit_errors!`] writes the conversions and constructors inside the
//! plugin.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic to report a failure; shipped code may not.
#![cfg_attr(not(test), deny(clippy::panic))]

mod body_size;
pub mod extra;
pub mod failure;
pub mod headers;
pub mod json;
pub mod json_string;
pub mod kind;
pub mod media;
pub mod message;
pub mod object;
pub mod splice;
pub mod sse;
pub mod status;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;
mod wit_errors;

pub use failure::Failure;
pub use kind::KindName;
