//! A rest: until when something (an upstream's key, an upstream) is tried
//! only after the others. One atomic, lock-free, read on every request.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The clock's zero: rests are kept in milliseconds after it.
static START: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Until when it rests, in milliseconds after [`START`] (a time that has
/// passed is awake; 0 never rested).
#[derive(Debug, Default)]
pub struct Rest(AtomicU64);

impl Rest {
    /// Rest for `wait` from now.
    pub fn begin(&self, wait: Duration) {
        let wait = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.0.store(now().saturating_add(wait), Ordering::Relaxed);
    }

    /// Wake now.
    pub fn end(&self) {
        self.0.store(0, Ordering::Relaxed);
    }

    /// Whether it rests now.
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed) > now()
    }
}

fn now() -> u64 {
    u64::try_from(START.elapsed().as_millis()).unwrap_or(u64::MAX)
}
