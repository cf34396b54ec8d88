//! One sandboxed instance: its own `Store`, with the deadline and memory
//! limit applied to every call. It serves one request, then is dropped or,
//! for a plugin that allows it, parked for the next (see [`super::warm`]).

use std::sync::Arc;

use wasmtime::component::{self, InstancePre, ResourceAny};
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};

use super::state::{PluginEnv, StoreState};
use super::stats::{CallEnd, CallStats};
use super::warm::{self, MAX_USES, Parking, Warm};
use super::{Limits, PluginError, memory_bytes};
use crate::canonical::{self, Error, StreamChecker, StreamEvent};

/// A store plus the bindings of what was instantiated in it.
pub(crate) struct Instance<B> {
    pub(crate) store: Store<StoreState>,
    pub(crate) bindings: B,
    env: Arc<PluginEnv>,
    stats: Arc<CallStats>,
    limits: Limits,
    poisoned: bool,
    checker: StreamChecker,
    /// Where it goes when its request is done, if it may serve another.
    warm: Option<Arc<Warm>>,
    /// Whether a call grew its memory past the initial size.
    grew: bool,
    /// Requests served before this one.
    uses: u32,
}

impl<B: Parking> Instance<B> {
    /// An instance for one request: a parked one from `warm` if there is
    /// one, else a new store for `env` with `pre` instantiated in it and its
    /// exports found by `load`.
    pub(crate) async fn new(
        engine: &wasmtime::Engine,
        stats: Arc<CallStats>,
        env: Arc<PluginEnv>,
        limits: Limits,
        warm: Option<&Arc<Warm>>,
        pre: &InstancePre<StoreState>,
        load: impl Fn(&mut Store<StoreState>, component::Instance) -> wasmtime::Result<B>,
    ) -> Result<Self, PluginError> {
        let warm = warm.filter(|warm| warm.keeps());
        if let Some(warm) = warm
            && let Some(mut parked) = B::take(warm)
        {
            parked
                .store
                .data_mut()
                .rearm(memory_bytes(limits.memory_limit_mib), limits.call_deadline);
            parked.limits = limits;
            parked.checker = StreamChecker::default();
            parked.warm = Some(warm.clone());
            stats.record_reuse();
            return Ok(parked);
        }
        let mut attempt = Self::fresh(engine, &env, limits, pre, &load).await;
        // A full pool may be full of parked instances: give their slots
        // back and try once more.
        if let Err((_, error)) = &attempt
            && is_pool_full(error)
            && warm::evict_all() > 0
        {
            attempt = Self::fresh(engine, &env, limits, pre, &load).await;
        }
        let (store, bindings) = match attempt {
            Ok(made) => made,
            Err((store, error)) => {
                let error = classify(&env, &store, limits, &error, true);
                if let PluginError::Busy { .. } = error {
                    tracing::warn!(plugin = %env.name, %error, "plugin instance pool is full");
                } else {
                    stats.record(store.data().ran(), end_of(&error));
                    tracing::warn!(plugin = %env.name, %error, "plugin instantiation failed");
                }
                return Err(error);
            }
        };
        stats.record_instance();
        Ok(Self {
            store,
            bindings,
            env,
            stats,
            limits,
            poisoned: false,
            checker: StreamChecker::default(),
            warm: warm.cloned(),
            grew: false,
            uses: 0,
        })
    }

    /// A new store for `env` with `pre` instantiated in it; or the store
    /// and why not.
    async fn fresh(
        engine: &wasmtime::Engine,
        env: &Arc<PluginEnv>,
        limits: Limits,
        pre: &InstancePre<StoreState>,
        load: &impl Fn(&mut Store<StoreState>, component::Instance) -> wasmtime::Result<B>,
    ) -> Result<(Store<StoreState>, B), (Store<StoreState>, wasmtime::Error)> {
        let state = StoreState::new(
            env.clone(),
            memory_bytes(limits.memory_limit_mib),
            limits.call_deadline,
        );
        let mut store = Store::new(engine, state);
        store.limiter(|state| state as &mut dyn ResourceLimiter);
        // Every epoch tick, a guest still running yields to the executor (so
        // one slow plugin never stalls the other connections of its worker
        // thread), and once it has run past its budget it traps. The time
        // it waits to be resumed is not counted, nor the time the OS runs
        // other threads (see `CallClock`): under load a worker has many
        // requests, and a plugin should not fail for their work.
        store.epoch_deadline_callback(move |ctx| {
            let state = ctx.data();
            Ok(if state.clock.past_budget() {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::YieldCustom(1, state.clock.yield_turn())
            })
        });
        let instantiated = guarded(&mut store, async |store| pre.instantiate_async(store).await);
        let bindings = match instantiated.await {
            Ok(instance) => load(&mut store, instance),
            Err(error) => Err(error),
        };
        match bindings {
            Ok(bindings) => Ok((store, bindings)),
            Err(error) => Err((store, error)),
        }
    }

    /// The request is done: park the instance for the next one if its
    /// plugin use keeps instances and this one is sound, after dropping
    /// the request's `resources` (the guest runs their destructors); else
    /// drop it.
    pub(crate) async fn park(mut self, resources: impl IntoIterator<Item = ResourceAny>) {
        let Some(warm) = self.warm.take() else {
            return;
        };
        if self.poisoned || self.grew || self.uses >= MAX_USES {
            return;
        }
        for resource in resources {
            let dropped = guarded(&mut self.store, async |store| {
                resource.resource_drop_async(store).await
            });
            if let Err(error) = dropped.await {
                tracing::debug!(plugin = %self.env.name, %error, "plugin resource drop failed; instance not kept");
                return;
            }
        }
        self.uses += 1;
        B::put(&warm, self);
    }
}

impl<B> Instance<B> {
    /// The plugin's name.
    pub(crate) fn name(&self) -> &str {
        &self.env.name
    }

    /// Run one guest call under the deadline. A failed call kills the instance.
    pub(crate) async fn call<R>(
        &mut self,
        what: &'static str,
        f: impl AsyncFnOnce(&B, &mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        if self.poisoned {
            return Err(PluginError::Poisoned {
                plugin: self.env.name.clone(),
            });
        }
        let bindings = &self.bindings;
        let result = guarded(&mut self.store, async |store| f(bindings, store).await).await;
        let elapsed = self.store.data().ran();
        if std::mem::take(&mut self.store.data_mut().memory_grew) {
            self.stats.record_memory_grow();
            self.grew = true;
        }
        match result {
            Ok(value) => {
                self.stats.record(elapsed, CallEnd::Returned);
                Ok(value)
            }
            Err(error) => {
                self.poisoned = true;
                let error = classify(&self.env, &self.store, self.limits, &error, false);
                self.stats.record(elapsed, end_of(&error));
                tracing::warn!(plugin = %self.env.name, call = what, %error, "plugin call failed");
                Err(error)
            }
        }
    }

    /// Record a contract violation: the instance is not trusted again.
    pub(crate) fn contract(&mut self, detail: impl Into<String>) -> PluginError {
        self.poisoned = true;
        let error = PluginError::Contract {
            plugin: self.env.name.clone(),
            detail: detail.into(),
        };
        tracing::warn!(plugin = %self.env.name, %error, "plugin output rejected");
        error
    }
}

impl<B> Instance<B> {
    /// Check a batch of stream events against the stream grammar.
    pub(crate) fn checked_events(
        &mut self,
        result: Result<Vec<StreamEvent>, Error>,
    ) -> Result<Result<Vec<StreamEvent>, Error>, PluginError> {
        if let Ok(events) = &result {
            for event in events {
                if let Err(detail) = self.checker.check(event) {
                    return Err(self.contract(detail));
                }
            }
        }
        self.checked_error(result)
    }

    /// Check a typed error a plugin returned.
    pub(crate) fn checked_error<T>(
        &mut self,
        result: Result<T, Error>,
    ) -> Result<Result<T, Error>, PluginError> {
        if let Err(error) = &result
            && let Err(detail) = canonical::validate_error(error)
        {
            return Err(self.contract(detail));
        }
        Ok(result)
    }
}

/// Enter the guest (a call, its instantiation, or a resource's destructor)
/// under the call's budget. Epoch ticks stop a guest that runs past it; a
/// guest asleep in a host call is never reached by a tick, so the wall time
/// it holds the request is bounded too (see [`CallClock::bound`]).
///
/// [`CallClock::bound`]: super::call_clock::CallClock::bound
async fn guarded<R>(
    store: &mut Store<StoreState>,
    entry: impl AsyncFnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>,
) -> wasmtime::Result<R> {
    store.data_mut().start_call();
    store.set_epoch_deadline(1);
    let clock = store.data().clock.clone();
    clock
        .bound(entry(store))
        .await
        .unwrap_or_else(|stalled| Err(wasmtime::Error::new(stalled)))
}

/// How a failed call counts in the statistics.
fn end_of(error: &PluginError) -> CallEnd {
    match error {
        PluginError::Deadline { .. } | PluginError::Stalled { .. } => CallEnd::Deadline,
        PluginError::MemoryLimit { .. } => CallEnd::Memory,
        _ => CallEnd::Trapped,
    }
}

/// Whether `error` says the instance pool has no free slot.
fn is_pool_full(error: &wasmtime::Error) -> bool {
    error
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
}

fn classify(
    env: &PluginEnv,
    store: &Store<StoreState>,
    limits: Limits,
    error: &wasmtime::Error,
    instantiating: bool,
) -> PluginError {
    // A full pool (instances, memories, tables or fiber stacks) is load,
    // not the plugin's failure.
    if is_pool_full(error) {
        return PluginError::Busy {
            plugin: env.name.clone(),
            max_instances: limits.max_instances,
        };
    }
    let classified = PluginError::from_call(
        &env.name,
        error,
        store.data().memory_denied,
        limits.call_deadline.as_millis() as u64,
        limits.memory_limit_mib,
    );
    match classified {
        PluginError::Trap { plugin, detail } if instantiating => {
            PluginError::Instantiate { plugin, detail }
        }
        other => other,
    }
}
