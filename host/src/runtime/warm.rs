//! Idle instances of one plugin use, kept for its next request.
//!
//! A fresh instance per request costs its instantiation and, when dropped,
//! the reset of its memory slot (a page scan and the pages rewritten): about
//! a fifth of the gateway's CPU per request with two plugins on the path. A
//! plugin that declares the [`REUSE_CAPABILITY`] says its instances keep
//! nothing of one request for the next, so one that ended its request
//! cleanly is parked here and serves a later request of the same plugin
//! use (same plugin, same config) instead.
//!
//! An instance is parked only when every call it made returned and passed
//! the contract checks, its memory never grew past its initial size, and
//! the resources the request made (a stream decoder or stream filter) were
//! dropped by the guest. One that trapped, hit a limit or broke the
//! contract is dropped, as before. Undeclared plugins get a fresh instance
//! per request.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::exports::{FilterFuncs, ProviderFuncs};
use super::instance::Instance;

/// The capability a plugin declares (in `wasmgate:capabilities`) when its
/// instances may serve one request after another.
pub const REUSE_CAPABILITY: &str = "reuse";

/// Idle instances one plugin use keeps at most.
pub const IDLE_PER_USE: usize = 32;

/// Requests one instance serves before it is dropped for a fresh one.
pub(crate) const MAX_USES: u32 = 10_000;

/// The idle instances of one plugin use.
#[derive(Default)]
pub struct Warm {
    /// Most instances kept; 0 keeps none.
    capacity: usize,
    providers: Mutex<Vec<Instance<ProviderFuncs>>>,
    filters: Mutex<Vec<Instance<FilterFuncs>>>,
}

impl std::fmt::Debug for Warm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warm")
            .field("capacity", &self.capacity)
            .field("idle", &self.idle())
            .finish()
    }
}

/// Every live [`Warm`] with room, so a full instance pool can empty them.
static REGISTRY: Mutex<Vec<Weak<Warm>>> = Mutex::new(Vec::new());

impl Warm {
    /// Keep up to `capacity` idle instances (0: none, every request gets a
    /// fresh one).
    pub fn new(capacity: usize) -> Arc<Self> {
        let warm = Arc::new(Self {
            capacity,
            ..Self::default()
        });
        if capacity > 0 {
            let mut registry = lock(&REGISTRY);
            registry.retain(|entry| entry.strong_count() > 0);
            registry.push(Arc::downgrade(&warm));
        }
        warm
    }

    /// Whether it keeps instances at all.
    pub fn keeps(&self) -> bool {
        self.capacity > 0
    }

    /// Instances parked now.
    pub fn idle(&self) -> usize {
        lock(&self.providers).len() + lock(&self.filters).len()
    }

    /// Drop every parked instance; how many there were.
    fn evict(&self) -> usize {
        let providers = std::mem::take(&mut *lock(&self.providers));
        let filters = std::mem::take(&mut *lock(&self.filters));
        providers.len() + filters.len()
    }
}

/// Drop the parked instances of every plugin use, giving their pool slots
/// back; how many there were. Called when the instance pool is full.
pub(crate) fn evict_all() -> usize {
    let live: Vec<Arc<Warm>> = lock(&REGISTRY).iter().filter_map(Weak::upgrade).collect();
    live.iter().map(|warm| warm.evict()).sum()
}

/// `mutex`'s guard, also after a panic while it was held (the lists stay
/// valid: a push or pop either happened or did not).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The instance bindings a [`Warm`] has a shelf for.
pub(crate) trait Parking: Sized {
    /// The idle instances of this kind in `warm`.
    fn shelf(warm: &Warm) -> &Mutex<Vec<Instance<Self>>>;

    /// An idle instance, if one is parked.
    fn take(warm: &Warm) -> Option<Instance<Self>> {
        lock(Self::shelf(warm)).pop()
    }

    /// Park `instance` if there is room; else it drops (outside the lock).
    fn put(warm: &Warm, instance: Instance<Self>) {
        let mut shelf = lock(Self::shelf(warm));
        if shelf.len() < warm.capacity {
            shelf.push(instance);
            return;
        }
        drop(shelf);
        drop(instance);
    }
}

impl Parking for ProviderFuncs {
    fn shelf(warm: &Warm) -> &Mutex<Vec<Instance<Self>>> {
        &warm.providers
    }
}

impl Parking for FilterFuncs {
    fn shelf(warm: &Warm) -> &Mutex<Vec<Instance<Self>>> {
        &warm.filters
    }
}
