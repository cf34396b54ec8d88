//! The global allocator of the first-party plugins built for
//! `wasm32-unknown-unknown` (no WASI imports; see `host/build.rs`).
//!
//! Rust's own allocator on that target is dlmalloc, which takes every heap
//! it needs with `memory.grow`, even the first: the free part of the initial
//! memory (above the stack and the data) is never used. A grown memory costs
//! the host an `mprotect` (a TLB shootdown on every core) when the next
//! instance takes the pool slot and shrinks it back, on every request. So
//! this is dlmalloc again, whose first heap is that free part of the initial
//! memory (2 MiB for first-party plugins: a request's allocations fit), and
//! whose further heaps are grown as before.
//!
//! A plugin links it with `use wasmgate_heap as _;`. On any other target
//! (wasm32-wasip2, whose libc allocator already starts in the initial
//! memory, or the native target of unit tests) it is empty.
#![no_std]

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod initial_first;
