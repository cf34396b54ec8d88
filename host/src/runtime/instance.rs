//! One sandboxed instance: a fresh `Store` per request, with the deadline and
//! memory limit applied to every call.

use std::sync::Arc;

use std::time::Instant;

use wasmtime::{ResourceLimiter, Store, UpdateDeadline};

use super::state::{PluginEnv, StoreState};
use super::stats::{CallEnd, CallStats};
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
}

impl<B> Instance<B> {
    /// Build a store for `env` and instantiate with `instantiate`.
    pub(crate) async fn new(
        engine: &wasmtime::Engine,
        stats: Arc<CallStats>,
        env: Arc<PluginEnv>,
        limits: Limits,
        instantiate: impl AsyncFnOnce(&mut Store<StoreState>) -> wasmtime::Result<B>,
    ) -> Result<Self, PluginError> {
        let state = StoreState::new(env.clone(), memory_bytes(limits.memory_limit_mib));
        let mut store = Store::new(engine, state);
        store.limiter(|state| state as &mut dyn ResourceLimiter);
        // Every epoch tick, a guest still running yields to the executor (so
        // one slow plugin never stalls the other connections of its worker
        // thread), and past its wall-clock budget it traps.
        let deadline = limits.call_deadline;
        store.epoch_deadline_callback(move |ctx| {
            Ok(if ctx.data().call_started.elapsed() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
            })
        });
        store.data_mut().call_started = Instant::now();
        store.set_epoch_deadline(1);
        let bindings = match instantiate(&mut store).await {
            Ok(bindings) => bindings,
            Err(error) => {
                let error = classify(&env, &store, limits, &error, true);
                if let PluginError::Busy { .. } = error {
                    tracing::warn!(plugin = %env.name, %error, "plugin instance pool is full");
                } else {
                    stats.record(store.data().call_started.elapsed(), end_of(&error));
                    tracing::warn!(plugin = %env.name, %error, "plugin instantiation failed");
                }
                return Err(error);
            }
        };
        Ok(Self {
            store,
            bindings,
            env,
            stats,
            limits,
            poisoned: false,
            checker: StreamChecker::default(),
        })
    }

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
        self.store.data_mut().call_started = Instant::now();
        self.store.set_epoch_deadline(1);
        let result = f(&self.bindings, &mut self.store).await;
        let elapsed = self.store.data().call_started.elapsed();
        if std::mem::take(&mut self.store.data_mut().memory_grew) {
            self.stats.record_memory_grow();
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

/// How a failed call counts in the statistics.
fn end_of(error: &PluginError) -> CallEnd {
    match error {
        PluginError::Deadline { .. } => CallEnd::Deadline,
        PluginError::MemoryLimit { .. } => CallEnd::Memory,
        _ => CallEnd::Trapped,
    }
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
    if error
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
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
