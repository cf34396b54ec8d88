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
//! A guest that waits inside a host call (a WASI sleep) uses no CPU, so the
//! wall time it holds its request, less its parked and network time, is
//! bounded too, at [`WALL_FACTOR`] times the budget.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many times its budget a call may hold its request in wall time (not
/// counting its parked and network time) before it is stopped, CPU or not.
pub(crate) const WALL_FACTOR: u32 = 10;

/// `slice_cpu` while the call is still on the wall clock.
const UNTRACKED: u64 = u64::MAX;

/// The running time of the current guest call of one store.
#[derive(Debug)]
pub(crate) struct CallClock {
    /// When the call began, moved forward by time spent on the network.
    started: Instant,
    /// Shared with the yield futures, which outlive a borrow of the store.
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// Wall nanoseconds the call spent parked at an epoch yield.
    parked: AtomicU64,
    /// Nanoseconds run in the slices before the current one.
    banked: AtomicU64,
    /// The thread's CPU clock when the current slice began, or
    /// [`UNTRACKED`] before the call's first tick.
    slice_cpu: AtomicU64,
}

impl Default for CallClock {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            shared: Arc::new(Shared {
                slice_cpu: AtomicU64::new(UNTRACKED),
                ..Shared::default()
            }),
        }
    }
}

impl CallClock {
    /// A guest call begins now.
    pub(crate) fn start(&mut self) {
        self.started = Instant::now();
        let shared = &self.shared;
        shared.parked.store(0, Ordering::Relaxed);
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
    /// the time it was parked or waited on the network.
    pub(crate) fn held(&self) -> Duration {
        let parked = Duration::from_nanos(self.shared.parked.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(parked)
    }

    /// Give the worker thread to its other tasks once. The wait until this
    /// call is resumed is parked time, and its CPU slice starts again on
    /// whichever thread resumes it.
    pub(crate) fn yield_turn(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let shared = self.shared.clone();
        Box::pin(async move {
            let since = Instant::now();
            tokio::task::yield_now().await;
            shared
                .parked
                .fetch_add(nanos(since.elapsed()), Ordering::Relaxed);
            if shared.slice_cpu.load(Ordering::Relaxed) != UNTRACKED {
                shared
                    .slice_cpu
                    .store(thread_cpu_nanos(), Ordering::Relaxed);
            }
        })
    }

    /// Run `wait` (a host call out to the network) without counting it:
    /// neither its wall time nor the CPU its thread gives other tasks
    /// meanwhile.
    pub(crate) async fn off_the_clock<T>(&mut self, wait: impl Future<Output = T>) -> T {
        let shared = self.shared.clone();
        let tracked = shared.slice_cpu.load(Ordering::Relaxed) != UNTRACKED;
        if tracked {
            let _ = self.tick();
        }
        let since = Instant::now();
        let result = wait.await;
        self.started += since.elapsed();
        if tracked {
            shared
                .slice_cpu
                .store(thread_cpu_nanos(), Ordering::Relaxed);
        }
        result
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

    /// Spin on this thread for `d` of wall time.
    fn spin(d: Duration) {
        let began = Instant::now();
        while began.elapsed() < d {
            std::hint::black_box(());
        }
    }

    #[test]
    fn before_its_first_tick_a_call_runs_on_the_wall_clock() {
        let mut clock = CallClock::default();
        clock.start();
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.ran() >= Duration::from_millis(20));
    }

    #[test]
    fn after_a_tick_time_without_cpu_is_not_running_time() {
        let mut clock = CallClock::default();
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
    fn a_new_call_starts_from_nothing() {
        let mut clock = CallClock::default();
        spin(Duration::from_millis(10));
        let _ = clock.tick();
        clock.start();
        assert!(clock.ran() < Duration::from_millis(10));
        assert!(clock.held() < Duration::from_millis(10));
    }

    #[tokio::test]
    async fn network_time_is_off_the_clock() {
        let mut clock = CallClock::default();
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
    async fn time_parked_at_a_yield_is_not_counted() {
        let mut clock = CallClock::default();
        clock.start();
        let _ = clock.tick();
        let turn = clock.yield_turn();
        let other = tokio::spawn(async { spin(Duration::from_millis(50)) });
        turn.await;
        other.await.ok();
        assert!(clock.ran() < Duration::from_millis(40), "{:?}", clock.ran());
    }
}
