//! The functions a plugin exports, found once per plugin and type-checked
//! once per plugin.
//!
//! The generated bindings (`FilterPluginPre::instantiate_async`) look up and
//! type-check every export on every instantiation; for the deep `request`
//! and `response` records that check is a few microseconds, paid twice per
//! request. The types of an instance's exports are its component's, so here
//! the indices are found when the plugin is linked, the first instance of a
//! plugin is type-checked, and later instances reuse that verdict and call
//! with [`TypedFunc::new_unchecked`] (as the generated bindings themselves
//! do at call time).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::component::{Component, ComponentExportIndex, Instance, ResourceAny, TypedFunc};
use wasmtime::{AsContextMut, Store};

use super::state::StoreState;
use crate::canonical::{
    Error, HttpResponse, ProviderInfo, Request, RequestContext, Response, StreamEvent, Target,
};

use super::bindings::filter::exports::wasmgate::plugin::filter::RequestAction;
use super::bindings::provider::exports::wasmgate::plugin::provider::Outbound;

/// Whether a plugin's exports have been type-checked against the host's
/// expectations (by its first successful instantiation).
#[derive(Debug, Default)]
pub(crate) struct Typechecked(AtomicBool);

/// Declares the export indices of one world interface (`$Indices`, found
/// once per plugin) and the per-instance handle (`$Funcs`) whose methods call
/// them, from one list of signatures so the check and the call cannot differ.
macro_rules! exports {
    (
        $(#[$indices_meta:meta])*
        $Indices:ident,
        $(#[$funcs_meta:meta])*
        $Funcs:ident in $interface:literal {
            $(
                $(#[$meta:meta])*
                $call:ident = $export:literal ($($arg:ident : $argty:ty),*) -> $ret:ty;
            )*
        }
    ) => {
        $(#[$indices_meta])*
        #[derive(Debug)]
        pub(crate) struct $Indices {
            $($call: ComponentExportIndex,)*
            typechecked: Typechecked,
        }

        impl $Indices {
            /// Find every export in `component`, or say which is missing.
            pub(crate) fn new(component: &Component) -> Result<Self, String> {
                let (_, interface) = component
                    .get_export(None, $interface)
                    .ok_or_else(|| format!("it does not export `{}`", $interface))?;
                Ok(Self {
                    $($call: component
                        .get_export_index(Some(&interface), $export)
                        .ok_or_else(|| format!("`{}` has no `{}`", $interface, $export))?,)*
                    typechecked: Typechecked::default(),
                })
            }

            /// The handle of a fresh `instance`; its exports are type-checked
            /// the first time (per plugin) this succeeds.
            #[allow(clippy::extra_unused_lifetimes)]
            pub(crate) fn load<'a>(
                self: &Arc<Self>,
                mut store: impl AsContextMut,
                instance: Instance,
            ) -> wasmtime::Result<$Funcs> {
                if !self.typechecked.0.load(Ordering::Acquire) {
                    $(instance.get_typed_func::<($($argty,)*), ($ret,)>(
                        &mut store,
                        &self.$call,
                    )?;)*
                    self.typechecked.0.store(true, Ordering::Release);
                }
                Ok($Funcs { instance, indices: self.clone() })
            }
        }

        $(#[$funcs_meta])*
        pub(crate) struct $Funcs {
            instance: Instance,
            indices: Arc<$Indices>,
        }

        impl $Funcs {
            $(
                $(#[$meta])*
                // The one unsafe block of the gateway: see the SAFETY note.
                #[allow(unsafe_code, clippy::extra_unused_lifetimes)]
                pub(crate) async fn $call<'a>(
                    &self,
                    store: &mut Store<StoreState>,
                    $($arg: $argty),*
                ) -> wasmtime::Result<$ret> {
                    let func = self
                        .instance
                        .get_func(&mut *store, &self.indices.$call)
                        .ok_or_else(|| wasmtime::format_err!("export `{}` is gone", $export))?;
                    // SAFETY: `load` type-checked this export of this
                    // component (an instance's export types are its
                    // component's) with exactly these parameter and result
                    // types before any handle was made.
                    let typed = unsafe {
                        TypedFunc::<($($argty,)*), ($ret,)>::new_unchecked(func)
                    };
                    Ok(typed.call_async(store, ($($arg,)*)).await?.0)
                }
            )*
        }
    };
}

exports! {
    /// Where a provider plugin's exports are.
    ProviderIndices,
    /// The exports of one provider instance.
    ProviderFuncs in "wasmgate:plugin/provider@0.1.0" {
        /// `info()`.
        info = "info" () -> ProviderInfo;
        /// `init()`.
        init = "init" () -> Result<(), Error>;
        /// `build-request()`.
        build_request = "build-request" (req: &'a Request, target: &'a Target)
            -> Result<Outbound, Error>;
        /// `parse-response()`.
        parse_response = "parse-response" (resp: &'a HttpResponse) -> Result<Response, Error>;
        /// `stream-decoder`'s constructor.
        decoder_new = "[constructor]stream-decoder" () -> ResourceAny;
        /// `stream-decoder.feed()`.
        decoder_feed = "[method]stream-decoder.feed" (decoder: ResourceAny, chunk: &'a [u8])
            -> Result<Vec<StreamEvent>, Error>;
        /// `stream-decoder.finish()`.
        decoder_finish = "[method]stream-decoder.finish" (decoder: ResourceAny)
            -> Result<Vec<StreamEvent>, Error>;
    }
}

exports! {
    /// Where a filter plugin's exports are.
    FilterIndices,
    /// The exports of one filter instance.
    FilterFuncs in "wasmgate:plugin/filter@0.1.0" {
        /// `init()`.
        init = "init" () -> Result<(), Error>;
        /// `on-request()`.
        on_request = "on-request" (ctx: &'a RequestContext, req: &'a Request) -> RequestAction;
        /// `on-response()`.
        on_response = "on-response" (ctx: &'a RequestContext, resp: &'a Response)
            -> Result<Response, Error>;
        /// `stream-filter`'s constructor.
        stream_new = "[constructor]stream-filter" (ctx: &'a RequestContext) -> ResourceAny;
        /// `stream-filter.on-events()`.
        stream_on_events = "[method]stream-filter.on-events"
            (stream: ResourceAny, events: &'a [StreamEvent]) -> Result<Vec<StreamEvent>, Error>;
        /// `stream-filter.finish()`.
        stream_finish = "[method]stream-filter.finish" (stream: ResourceAny)
            -> Result<Vec<StreamEvent>, Error>;
    }
}
