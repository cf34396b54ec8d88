//! How long a guest call has run, for its deadline: the CPU time its thread
//! gave it, not the wall time since it began.
//!
//! Wall time counts what is not the plugin's doing: the other requests of
//! its worker thread while it waits for its turn after an epoch yield, the
//! network for a granted HTTP call, and the moments the OS gives the core
//! to another thread or process. Under load the last alone can push a
//! 60 ms call past a 290 ms budget. The thread's CPU clock counts none of
//! them.
//!
//! Reading that clock is a system call (about 1 µs here, against 30 ns for
//! `Instant`), and a request makes several guest calls that mostly end
//! well inside one epoch tick. So a call starts on the wall clock and
//! changes to the CPU clock at its first epoch tick: only calls that run
//! past a tick pay for the CPU clock, once per tick.
//!
//! The clock holds the call's budget and both of its rules: at an epoch
//! tick a call that has run its budget is stopped ([`CallClock::past_budget`]),
//! and, as epoch ticks reach only running guest code, a guest that waits
//! inside a host call (a WASI sleep, using no CPU) is stopped once it has
//! held its request, less its parked and network time, for [`WALL_FACTOR`]
//! times its budget ([`CallClock::bound`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::error::Stalled;

/// How many times its budget a call may hold its request in wall time (not
/// counting its parked and network time) before it is stopped, CPU or not.
pub(crate) const WALL_FACTOR: u32 = 10;

/// `slice_cpu` while the call is still on the wall clock.
const UNTRACKED: u64 = u64::MAX;
/// `away_since` while the call is not away.
const HERE: u64 = u64::MAX;

/// The running time of the current guest call of one store. Clones share
/// it, to watch the call from outside.
#[derive(Debug, Clone)]
pub(crate) struct CallClock {
    /// When the call began.
    started: Instant,
    /// The running time a call may take.
    budget: Duration,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Wall nanoseconds the call was away: parked at an epoch yield, or
    /// waiting on the network.
    away: AtomicU64,
    /// Nanoseconds after the start when the current time away began, or
    /// [`HERE`].
    away_since: AtomicU64,
    /// Nanoseconds run in the slices before the current one.
    banked: AtomicU64,
    /// The thread's CPU clock when the current slice began, or
    /// [`UNTRACKED`] before the call's first tick.
    slice_cpu: AtomicU64,
}

impl CallClock {
    /// A clock for calls that may each run for `budget`.
    pub(crate) fn new(budget: Duration) -> Self {
        Self {
            started: Instant::now(),
            budget,
            shared: Arc::new(Shared {
                away: AtomicU64::new(0),
                away_since: AtomicU64::new(HERE),
                banked: AtomicU64::new(0),
                slice_cpu: AtomicU64::new(UNTRACKED),
            }),
        }
    }

    /// Calls from now on may each run for `budget`.
    pub(crate) fn set_budget(&mut self, budget: Duration) {
        self.budget = budget;
    }

    /// At an epoch tick, on the running guest's thread: whether the call
    /// has run past its budget (see [`CallClock::tick`]).
    pub(crate) fn past_budget(&self) -> bool {
        self.tick() >= self.budget
    }

    /// A guest call begins now.
    pub(crate) fn start(&mut self) {
        self.started = Instant::now();
        let shared = &self.shared;
        shared.away.store(0, Ordering::Relaxed);
        shared.away_since.store(HERE, Ordering::Relaxed);
        shared.banked.store(0, Ordering::Relaxed);
        shared.slice_cpu.store(UNTRACKED, Ordering::Relaxed);
    }

    /// An epoch tick reached the running guest, on its thread: bank the
    /// slice that ends here, and from now on count CPU time. Returns how
    /// long the call has run.
    pub(crate) fn tick(&self) -> Duration {
        let shared = &self.shared;
        let cpu = thread_cpu_nanos();
        let slice = match shared.slice_cpu.swap(cpu, Ordering::Relaxed) {
            UNTRACKED => nanos(self.held()),
            began => cpu.saturating_sub(began),
        };
        let ran = shared.banked.load(Ordering::Relaxed).saturating_add(slice);
        shared.banked.store(ran, Ordering::Relaxed);
        Duration::from_nanos(ran)
    }

    /// How long the call has run so far (read on the thread that runs it).
    pub(crate) fn ran(&self) -> Duration {
        let shared = &self.shared;
        match shared.slice_cpu.load(Ordering::Relaxed) {
            UNTRACKED => self.held(),
            began => Duration::from_nanos(
                shared
                    .banked
                    .load(Ordering::Relaxed)
                    .saturating_add(thread_cpu_nanos().saturating_sub(began)),
            ),
        }
    }

    /// The wall time the call has held its request: since it began, less
    /// the time it was away (parked, or waiting on the network).
    pub(crate) fn held(&self) -> Duration {
        let shared = &self.shared;
        let now = nanos(self.started.elapsed());
        let mut away = shared.away.load(Ordering::Relaxed);
        let since = shared.away_since.load(Ordering::Relaxed);
        if since != HERE {
            away = away.saturating_add(now.saturating_sub(since));
        }
        Duration::from_nanos(now.saturating_sub(away))
    }

    /// Give the worker thread to its other tasks once, right after an
    /// epoch tick banked the slice. The wait until this call is resumed is
    /// time away, and its CPU slice starts again on whichever thread
    /// resumes it.
    pub(crate) fn yield_turn(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let clock = self.clone();
        Box::pin(async move { clock.away(tokio::task::yield_now(), false).await })
    }

    /// Run `wait` (a host call out to the network) without counting it:
    /// neither its wall time nor the CPU its thread gives other tasks
    /// meanwhile.
    pub(crate) async fn off_the_clock<T>(&self, wait: impl Future<Output = T>) -> T {
        self.away(wait, true).await
    }

    /// Run `wait` off the clock, first banking the slice that ends here if
    /// `bank` (a yield comes right after a tick, which banked it).
    async fn away<T>(&self, wait: impl Future<Output = T>, bank: bool) -> T {
        let shared = &self.shared;
        let tracked = shared.slice_cpu.load(Ordering::Relaxed) != UNTRACKED;
        if tracked && bank {
            let _ = self.tick();
        }
        shared
            .away_since
            .store(nanos(self.started.elapsed()), Ordering::Relaxed);
        let result = wait.await;
        let since = shared.away_since.swap(HERE, Ordering::Relaxed);
        let waited = nanos(self.started.elapsed()).saturating_sub(since);
        shared.away.fetch_add(waited, Ordering::Relaxed);
        if tracked {
            shared
                .slice_cpu
                .store(thread_cpu_nanos(), Ordering::Relaxed);
        }
        result
    }

    /// Run `call` (the guest call this clock times, started) until it ends,
    /// or until it has held its request for [`WALL_FACTOR`] times its
    /// budget: [`Stalled`] then, with the time it held it, and the call is
    /// dropped.
    pub(crate) async fn bound<T>(&self, call: impl Future<Output = T>) -> Result<T, Stalled> {
        let limit = self.budget.saturating_mul(WALL_FACTOR);
        let mut call = std::pin::pin!(call);
        loop {
            let held = self.held();
            let left = limit.saturating_sub(held);
            if left.is_zero() {
                return Err(Stalled { held });
            }
            // Most calls end at the first poll, before a timer is set.
            if let Ok(done) = tokio::time::timeout(left, call.as_mut()).await {
                return Ok(done);
            }
        }
    }
}

/// The calling thread's CPU time in nanoseconds.
fn thread_cpu_nanos() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(now.tv_sec).unwrap_or(0);
    let sub = u64::try_from(now.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(sub)
}

/// `d` in nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spin on this thread until it has had `d` of CPU time (so at least
    /// `d` of wall time too): on a loaded machine the OS may give it less
    /// CPU than the wall time passing.
    fn spin(d: Duration) {
        let began = thread_cpu_nanos();
        while thread_cpu_nanos().saturating_sub(began) < nanos(d) {
            std::hint::black_box(());
        }
    }

    #[test]
    fn before_its_first_tick_a_call_runs_on_the_wall_clock() {
        let mut clock = CallClock::new(Duration::from_millis(5));
        clock.start();
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.ran() >= Duration::from_millis(20));
    }

    #[test]
    fn after_a_tick_time_without_cpu_is_not_running_time() {
        let mut clock = CallClock::new(Duration::from_millis(5));
        clock.start();
        spin(Duration::from_millis(15));
        let at_tick = clock.tick();
        assert!(at_tick >= Duration::from_millis(15), "{at_tick:?}");
        // Off the CPU, as when the OS runs another thread: held, not run.
        std::thread::sleep(Duration::from_millis(60));
        let ran = clock.ran();
        assert!(ran < at_tick + Duration::from_millis(30), "{ran:?}");
        assert!(clock.held() >= Duration::from_millis(75));
        // On the CPU, it counts.
        spin(Duration::from_millis(20));
        assert!(clock.ran() >= at_tick + Duration::from_millis(15));
        assert!(clock.tick() >= at_tick + Duration::from_millis(15));
    }

    #[test]
    fn a_call_is_past_its_budget_once_it_has_run_it() {
        let mut clock = CallClock::new(Duration::from_millis(20));
        clock.start();
        assert!(!clock.past_budget());
        spin(Duration::from_millis(25));
        assert!(clock.past_budget());
        clock.start();
        assert!(!clock.past_budget());
    }

    #[test]
    fn a_new_call_starts_from_nothing() {
        let mut clock = CallClock::new(Duration::from_millis(5));
        spin(Duration::from_millis(10));
        let _ = clock.tick();
        clock.start();
        assert!(clock.ran() < Duration::from_millis(10));
        assert!(clock.held() < Duration::from_millis(10));
    }

    #[tokio::test]
    async fn network_time_is_off_the_clock() {
        let mut clock = CallClock::new(Duration::from_millis(5));
        clock.start();
        spin(Duration::from_millis(10));
        let _ = clock.tick();
        clock
            .off_the_clock(async {
                // Other tasks' CPU on this thread meanwhile.
                spin(Duration::from_millis(40));
                tokio::time::sleep(Duration::from_millis(20)).await;
            })
            .await;
        assert!(clock.ran() < Duration::from_millis(40), "{:?}", clock.ran());
        assert!(
            clock.held() < Duration::from_millis(40),
            "{:?}",
            clock.held()
        );
    }

    #[tokio::test]
    async fn a_call_asleep_is_stopped_at_its_wall_limit() {
        // A 50 ms wall limit.
        let mut clock = CallClock::new(Duration::from_millis(5));
        clock.start();
        let began = Instant::now();
        let asleep = clock.bound(tokio::time::sleep(Duration::from_secs(3600)));
        // An endless sleep that ended (it cannot) would fail the check
        // below with no time held.
        let held = asleep.await.err().map_or(Duration::ZERO, |s| s.held);
        let took = began.elapsed();
        assert!(took >= Duration::from_millis(50), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        // The error tells the time it held the request: the limit, or a
        // timer's lateness past it, never more than it took.
        assert!(
            held >= Duration::from_millis(50) && held <= took,
            "{held:?} of {took:?}"
        );
    }

    #[tokio::test]
    async fn time_away_does_not_count_toward_the_wall_limit() {
        let mut clock = CallClock::new(Duration::from_millis(5));
        clock.start();
        let away = clock.clone();
        let call = async move {
            away.off_the_clock(tokio::time::sleep(Duration::from_millis(150)))
                .await;
            7
        };
        // Away for three times the 50 ms wall limit.
        assert_eq!(clock.bound(call).await, Ok(7));
    }

    #[tokio::test]
    async fn time_parked_at_a_yield_is_not_counted() {
        let mut clock = CallClock::new(Duration::from_millis(5));
        clock.start();
        let _ = clock.tick();
        let turn = clock.yield_turn();
        let other = tokio::spawn(async { spin(Duration::from_millis(50)) });
        turn.await;
        other.await.ok();
        assert!(clock.ran() < Duration::from_millis(40), "{:?}", clock.ran());
    }
}
