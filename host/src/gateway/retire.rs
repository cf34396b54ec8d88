//! Tearing down a request's plugin instances after its answer is sent.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::FutureExt;

use crate::config::OnError;
use crate::runtime::{FilterInstance, ProviderInstance};

/// What a request hands back when it is done with its plugin instances.
pub trait Retire: Send + Sized + 'static {
    /// Park the instances for later requests, or drop them.
    fn retire(self) -> impl Future<Output = ()> + Send;
}

impl Retire for ProviderInstance {
    async fn retire(self) {
        self.park().await;
    }
}

impl Retire for FilterInstance {
    async fn retire(self) {
        self.park().await;
    }
}

impl Retire for (FilterInstance, OnError) {
    async fn retire(self) {
        self.0.park().await;
    }
}

impl<T: Retire> Retire for Option<T> {
    async fn retire(self) {
        if let Some(inner) = self {
            inner.retire().await;
        }
    }
}

impl<T: Retire> Retire for Vec<T> {
    async fn retire(self) {
        for inner in self {
            inner.retire().await;
        }
    }
}

impl<A: Retire, B: Retire> Retire for (A, B) {
    async fn retire(self) {
        self.0.retire().await;
        self.1.retire().await;
    }
}

/// Retirements spawned and not yet run. Past [`MAX_PENDING`], a retirement
/// runs at once: under a burst of connections the spawned ones wait behind
/// every connection task, and the instances they hold would take pool slots
/// that new requests need.
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// At most this many deferred retirements at a time, process-wide.
const MAX_PENDING: usize = 16;

/// Retire `instances` (park them for later requests, or drop them) once
/// the current task has yielded, not now.
///
/// Dropping a plugin instance resets its memory slot for the next one (a
/// page scan and a few pages rewritten): several microseconds a store;
/// parking one drops the resources its request made (a guest call). Done
/// inline, that time sits between the last guest call and the response
/// write. Spawned, it runs after the connection task has written the answer
/// and gone back to waiting for the next request, on the same worker thread.
/// Outside a runtime, or with [`MAX_PENDING`] retirements waiting, the
/// retirement runs here, as far as it gets without waiting (parking an
/// instance never waits unless a guest call yields); what is left drops.
pub fn retire<T: Retire>(instances: T) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return retire_now(instances);
    };
    let slot = Slot::take();
    if slot.waiting > MAX_PENDING {
        drop(slot);
        return retire_now(instances);
    }
    runtime.spawn(async move {
        instances.retire().await;
        drop(slot);
    });
}

/// Run the retirement of `instances` here, as far as it gets without
/// waiting; what is left is dropped.
fn retire_now<T: Retire>(instances: T) {
    if instances.retire().now_or_never().is_none() {
        tracing::debug!("a retirement had to wait; its instances dropped");
    }
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

    impl Retire for Flag {
        async fn retire(self) {}
    }

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
    async fn runs_after_the_task_yields_and_at_once_past_the_bound() {
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
        let parked = Arc::new(AtomicBool::new(false));
        retire(Parks {
            parked: parked.clone(),
            waits: false,
        });
        assert!(
            parked.load(Ordering::Relaxed),
            "past the bound: retired inline, not just dropped"
        );
        let never = Arc::new(AtomicBool::new(false));
        retire(Parks {
            parked: never.clone(),
            waits: true,
        });
        assert!(waiting.iter().all(|d| !d.load(Ordering::Relaxed)));
        tokio::task::yield_now().await;
        assert!(
            !never.load(Ordering::Relaxed),
            "a retirement that would wait is dropped, not left running"
        );
        assert!(waiting.iter().all(|d| d.load(Ordering::Relaxed)));
        assert_eq!(PENDING.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn outside_a_runtime_drops_at_once() {
        let (value, dropped) = flag();
        retire(value);
        assert!(dropped.load(Ordering::Relaxed));
    }

    /// Sets its flag when retired, after waiting first if `waits`.
    struct Parks {
        parked: Arc<AtomicBool>,
        waits: bool,
    }

    impl Retire for Parks {
        async fn retire(self) {
            if self.waits {
                tokio::task::yield_now().await;
            }
            self.parked.store(true, Ordering::Relaxed);
        }
    }
}
