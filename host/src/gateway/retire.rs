//! Tearing down a request's plugin instances after its answer is sent.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Retirements spawned and not yet run. Past [`MAX_PENDING`], instances drop
/// at once: under a burst of connections the spawned drops wait behind
/// every connection task, and the instances they hold would take pool slots
/// that new requests need.
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// At most this many deferred retirements at a time, process-wide.
const MAX_PENDING: usize = 16;

/// Drop `instances` once the current task has yielded, not now.
///
/// Dropping a plugin instance resets its memory slot for the next one (a
/// page scan and a few pages rewritten): several microseconds a store. Done
/// inline, that time sits between the last guest call and the response
/// write. Spawned, it runs after the connection task has written the answer
/// and gone back to waiting for the next request, on the same worker thread.
/// Outside a runtime, or with [`MAX_PENDING`] retirements waiting, the
/// instances drop at once.
pub fn retire<T: Send + 'static>(instances: T) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return drop(instances);
    };
    let slot = Slot::take();
    if slot.waiting > MAX_PENDING {
        return drop((instances, slot));
    }
    runtime.spawn(async move {
        drop(instances);
        drop(slot);
    });
}

/// One place among the pending retirements; given back when dropped: once
/// its retirement has run, when its task is dropped unrun (the runtime
/// shutting down), or at once when there were too many.
struct Slot {
    /// Pending retirements, this one included.
    waiting: usize,
}

impl Slot {
    fn take() -> Self {
        Self {
            waiting: PENDING.fetch_add(1, Ordering::Relaxed) + 1,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        PENDING.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::*;

    /// Sets its flag when dropped.
    struct Flag(Arc<AtomicBool>);

    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    fn flag() -> (Flag, Arc<AtomicBool>) {
        let dropped = Arc::new(AtomicBool::new(false));
        (Flag(dropped.clone()), dropped)
    }

    #[tokio::test]
    async fn drops_after_the_task_yields_and_at_once_past_the_bound() {
        let (first, first_dropped) = flag();
        retire(first);
        assert!(!first_dropped.load(Ordering::Relaxed));
        tokio::task::yield_now().await;
        assert!(first_dropped.load(Ordering::Relaxed));
        assert_eq!(PENDING.load(Ordering::Relaxed), 0);

        let held: Vec<_> = (0..MAX_PENDING).map(|_| flag()).collect();
        let mut waiting = Vec::new();
        for (flag, dropped) in held {
            retire(flag);
            waiting.push(dropped);
        }
        let (over, over_dropped) = flag();
        retire(over);
        assert!(
            over_dropped.load(Ordering::Relaxed),
            "past the bound: at once"
        );
        assert!(waiting.iter().all(|d| !d.load(Ordering::Relaxed)));
        tokio::task::yield_now().await;
        assert!(waiting.iter().all(|d| d.load(Ordering::Relaxed)));
        assert_eq!(PENDING.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn outside_a_runtime_drops_at_once() {
        let (value, dropped) = flag();
        retire(value);
        assert!(dropped.load(Ordering::Relaxed));
    }
}
