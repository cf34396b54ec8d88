//! An upstream that keeps failing rests: after [`FAILURES_TO_REST`] failed
//! tries in a row (refused connections, 429, 5xx), requests try it only
//! after every other upstream that serves their model, for [`REST`]. Its
//! next success ends the rest. Resting only reorders: an upstream that is
//! the only one for a model is still tried.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::rest::Rest;

/// Failed tries in a row after which an upstream rests.
pub const FAILURES_TO_REST: u32 = 3;

/// How long a failing upstream rests.
pub const REST: Duration = Duration::from_secs(10);

/// One upstream's run of failures and its rest.
#[derive(Debug, Default)]
pub struct Health {
    failures_in_a_row: AtomicU32,
    rest: Rest,
}

impl Health {
    /// A try failed. `true` when this failure starts a rest.
    pub fn failed(&self) -> bool {
        let failures = self.failures_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        if !failures.is_multiple_of(FAILURES_TO_REST) {
            return false;
        }
        self.rest.begin(REST);
        true
    }

    /// A try got an answer: the run of failures and any rest end.
    pub fn answered(&self) {
        // A load first: the common case writes nothing, so the workers do
        // not pass the cache line back and forth on every request.
        if self.failures_in_a_row.load(Ordering::Relaxed) != 0 {
            self.failures_in_a_row.store(0, Ordering::Relaxed);
            self.rest.end();
        }
    }

    /// Whether requests should try the others first.
    pub fn is_resting(&self) -> bool {
        self.rest.is_on()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_failures_in_a_row_rest_and_an_answer_wakes() {
        let health = Health::default();
        assert!(!health.failed());
        health.answered();
        assert!(!health.failed() && !health.failed());
        assert!(!health.is_resting());
        assert!(health.failed(), "the third in a row starts a rest");
        assert!(health.is_resting());
        health.answered();
        assert!(!health.is_resting());
        assert!(!health.failed(), "the count starts again");
    }
}
