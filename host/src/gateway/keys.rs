//! An upstream's credentials: taken round-robin, and a key the upstream
//! rate-limited rests for as long as it asked (`retry-after`), tried by a
//! request only after every other key.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::rest::Rest;
use crate::upstream::header;

/// How long a rate-limited key rests when the upstream does not say.
pub const DEFAULT_REST: Duration = Duration::from_secs(10);

/// The longest rest, whatever the upstream says.
pub const MAX_REST: Duration = Duration::from_secs(300);

/// The turn and rest of each of an upstream's keys (by index in its
/// `api_keys`).
#[derive(Debug)]
pub struct KeyRing {
    /// Where the next request starts.
    cursor: AtomicUsize,
    /// Per key: its rest.
    rests: Vec<Rest>,
}

impl KeyRing {
    /// A ring of `count` keys, none resting.
    pub fn new(count: usize) -> Self {
        Self {
            cursor: AtomicUsize::new(0),
            rests: (0..count).map(|_| Rest::default()).collect(),
        }
    }

    /// Key indices in the order one request tries them: from the next one
    /// round-robin, each once, resting keys last. One `None` with no keys.
    pub fn in_turn(&self) -> Vec<Option<usize>> {
        let count = self.rests.len();
        if count == 0 {
            return vec![None];
        }
        let start = self.cursor.fetch_add(1, Ordering::Relaxed);
        let mut order: Vec<usize> = (0..count).map(|i| (start + i) % count).collect();
        // Stable: the round-robin order stays among awake and resting keys.
        order.sort_by_key(|&i| self.rests.get(i).is_some_and(Rest::is_on));
        order.into_iter().map(Some).collect()
    }

    /// Key `index` was rate-limited: it rests for `wait` (at most
    /// [`MAX_REST`]).
    pub fn rest(&self, index: usize, wait: Duration) {
        if let Some(rest) = self.rests.get(index) {
            rest.begin(wait.min(MAX_REST));
        }
    }
}

/// How long the upstream asked to wait, from `retry-after-ms` or
/// `retry-after` (seconds; an HTTP date is not read).
pub fn asked_wait(headers: &[(String, String)]) -> Option<Duration> {
    let number = |name: &str| {
        header(headers, name)
            .and_then(|value| value.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| number("retry-after").map(Duration::from_secs_f64))
        .map(|wait| wait.min(MAX_REST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_take_turns_and_resting_ones_go_last() {
        let ring = KeyRing::new(3);
        assert_eq!(ring.in_turn(), [Some(0), Some(1), Some(2)]);
        assert_eq!(ring.in_turn(), [Some(1), Some(2), Some(0)]);
        ring.rest(2, Duration::from_secs(60));
        assert_eq!(ring.in_turn(), [Some(0), Some(1), Some(2)]);
        assert_eq!(ring.in_turn(), [Some(0), Some(1), Some(2)]);
        assert_eq!(ring.in_turn(), [Some(1), Some(0), Some(2)]);
        ring.rest(0, Duration::ZERO);
        assert_eq!(ring.in_turn(), [Some(0), Some(1), Some(2)]);
        assert_eq!(KeyRing::new(0).in_turn(), [None]);
    }

    #[test]
    fn the_wait_comes_from_the_headers() {
        let headers = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            asked_wait(&headers(&[("Retry-After", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            asked_wait(&headers(&[
                ("retry-after", "7"),
                ("retry-after-ms", "1500")
            ])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            asked_wait(&headers(&[("retry-after", "99999")])),
            Some(MAX_REST)
        );
        assert_eq!(
            asked_wait(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2026 07:28:00 GMT"
            )])),
            None
        );
        assert_eq!(asked_wait(&[]), None);
    }
}
