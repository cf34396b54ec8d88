//! Call statistics of one plugin: counts, time (mean and p99 from a
//! log-scale histogram), traps, deadline hits and memory grows. Lock-free;
//! recorded on every guest call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Histogram buckets: bucket `i` holds calls under `2^(i/4)` µs (four per
/// doubling, so a percentile is within about 19%), up to about 18 minutes.
const BUCKETS: usize = 120;

/// Counters for one plugin, shared by all its instances.
#[derive(Debug)]
pub struct CallStats {
    calls: AtomicU64,
    total_ns: AtomicU64,
    traps: AtomicU64,
    deadline_hits: AtomicU64,
    memory_hits: AtomicU64,
    memory_grows: AtomicU64,
    instances: AtomicU64,
    reuses: AtomicU64,
    histogram: [AtomicU64; BUCKETS],
}

impl Default for CallStats {
    fn default() -> Self {
        CallStats {
            calls: AtomicU64::new(0),
            total_ns: AtomicU64::new(0),
            traps: AtomicU64::new(0),
            deadline_hits: AtomicU64::new(0),
            memory_hits: AtomicU64::new(0),
            memory_grows: AtomicU64::new(0),
            instances: AtomicU64::new(0),
            reuses: AtomicU64::new(0),
            histogram: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// How a call ended, as far as the statistics care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// It returned.
    Returned,
    /// It trapped (or broke the sandbox some other way).
    Trapped,
    /// It hit its deadline.
    Deadline,
    /// It hit its memory cap.
    Memory,
}

/// A snapshot, for status output.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StatsSnapshot {
    /// Guest calls made.
    pub calls: u64,
    /// Mean call time, µs.
    pub mean_us: f64,
    /// 99th percentile call time, µs (bucket upper bound).
    pub p99_us: f64,
    /// Calls that trapped.
    pub traps: u64,
    /// Calls stopped at their deadline.
    pub deadline_hits: u64,
    /// Calls stopped at the memory cap.
    pub memory_hits: u64,
    /// Calls that grew the guest's memory past its initial size. Each grow
    /// costs the host an `mprotect` (a TLB shootdown on every core) when
    /// the next instance takes the pool slot: a plugin that grows on
    /// common requests wants a larger initial memory (first-party plugins
    /// start with 2 MiB and grow on none of the gateway's benchmarks).
    pub memory_grows: u64,
    /// Instances made.
    pub instances: u64,
    /// Requests served by a parked instance instead of a new one (plugins
    /// that declare the `reuse` capability).
    pub reuses: u64,
}

fn bucket(elapsed: Duration) -> usize {
    let us = elapsed.as_secs_f64() * 1e6;
    if us <= 1.0 {
        return 0;
    }
    ((us.log2() * 4.0).ceil() as usize).min(BUCKETS - 1)
}

fn upper_us(bucket: usize) -> f64 {
    2f64.powf(bucket as f64 / 4.0)
}

impl CallStats {
    /// Record one call.
    pub fn record(&self, elapsed: Duration, end: CallEnd) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.total_ns.fetch_add(ns, Ordering::Relaxed);
        self.histogram[bucket(elapsed)].fetch_add(1, Ordering::Relaxed);
        let counter = match end {
            CallEnd::Returned => return,
            CallEnd::Trapped => &self.traps,
            CallEnd::Deadline => &self.deadline_hits,
            CallEnd::Memory => &self.memory_hits,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Record a call that grew the guest's memory (besides [`Self::record`]).
    pub fn record_memory_grow(&self) {
        self.memory_grows.fetch_add(1, Ordering::Relaxed);
    }

    /// Record an instance made.
    pub fn record_instance(&self) {
        self.instances.fetch_add(1, Ordering::Relaxed);
    }

    /// Record a parked instance taken for a request.
    pub fn record_reuse(&self) {
        self.reuses.fetch_add(1, Ordering::Relaxed);
    }

    /// The numbers so far.
    pub fn snapshot(&self) -> StatsSnapshot {
        let calls = self.calls.load(Ordering::Relaxed);
        let total_ns = self.total_ns.load(Ordering::Relaxed);
        let counts: Vec<u64> = self
            .histogram
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let seen: u64 = counts.iter().sum();
        let rank = seen - seen / 100;
        let mut running = 0;
        let mut p99_us = 0.0;
        for (i, n) in counts.iter().enumerate() {
            running += n;
            if seen > 0 && running >= rank {
                p99_us = upper_us(i);
                break;
            }
        }
        StatsSnapshot {
            calls,
            mean_us: if calls == 0 {
                0.0
            } else {
                total_ns as f64 / calls as f64 / 1e3
            },
            p99_us,
            traps: self.traps.load(Ordering::Relaxed),
            deadline_hits: self.deadline_hits.load(Ordering::Relaxed),
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            memory_grows: self.memory_grows.load(Ordering::Relaxed),
            instances: self.instances.load(Ordering::Relaxed),
            reuses: self.reuses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_mean_p99_and_failures() {
        let stats = CallStats::default();
        assert_eq!(stats.snapshot().calls, 0);
        for _ in 0..99 {
            stats.record(Duration::from_micros(10), CallEnd::Returned);
        }
        stats.record(Duration::from_millis(100), CallEnd::Deadline);
        stats.record(Duration::from_micros(5), CallEnd::Trapped);
        stats.record_memory_grow();
        stats.record_instance();
        stats.record_reuse();
        stats.record_reuse();
        let s = stats.snapshot();
        assert_eq!(s.calls, 101);
        assert_eq!((s.traps, s.deadline_hits, s.memory_hits), (1, 1, 0));
        assert_eq!(s.memory_grows, 1);
        assert_eq!((s.instances, s.reuses), (1, 2));
        assert!((s.mean_us - (99.0 * 10.0 + 100_000.0 + 5.0) / 101.0).abs() < 0.01);
        // p99 of 101 calls is the 100th: a 10 µs call, in the bucket up to ~11.3 µs.
        assert!(s.p99_us >= 10.0 && s.p99_us < 12.0, "{}", s.p99_us);
    }
}
