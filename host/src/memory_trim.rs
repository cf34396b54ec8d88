//! Gives freed heap memory back to the OS, so the footprint falls again after
//! a burst.
//!
//! mimalloc keeps freed pages committed for reuse and purges them only when
//! the thread that holds them allocates again. An idle gateway would then
//! keep its peak footprint: compiling the plugins at start-up leaves about
//! 70 MB behind, a load spike leaves its buffers. So the thread that loaded
//! the plugins collects once, and every worker collects every [`PERIOD`];
//! with nothing to give back that costs microseconds.

use std::time::Duration;

/// How often each worker hands back what its heap freed.
pub const PERIOD: Duration = Duration::from_secs(2);

/// Give back what this thread's heap freed, and every freed page of the
/// process that is waiting to be purged (mimalloc collects only the calling
/// thread's own heap).
#[allow(unsafe_code)]
pub fn now() {
    // SAFETY: `mi_collect` has no preconditions; any thread may call it at
    // any time.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
