//! A compiled, linked plugin, ready to instantiate per request.

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{Component, InstancePre, Linker, types::ComponentItem};

use std::sync::Arc;

use super::RuntimeError;
use super::exports::{FilterIndices, ProviderIndices};
use super::metadata::PluginMetadata;
use super::state::StoreState;
use super::stats::CallStats;

/// SHA-256 of a plugin's bytes, hex: its identity in the compile cache,
/// in status output and in the hot loader.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The contract version this host implements.
pub const CONTRACT: &str = "0.1.0";

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginKind {
    /// Exports `wasmgate:plugin/provider`.
    Provider,
    /// Exports `wasmgate:plugin/filter`.
    Filter,
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PluginKind::Provider => "provider",
            PluginKind::Filter => "filter",
        })
    }
}

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Embedded in the binary.
    Bundled,
    /// A `.wasm` file.
    File(std::path::PathBuf),
}

/// A pre-linked component and where the exports of its world are.
pub(crate) enum Pre {
    Provider(InstancePre<StoreState>, Arc<ProviderIndices>),
    Filter(InstancePre<StoreState>, Arc<FilterIndices>),
}

/// A plugin ready to instantiate.
pub struct Plugin {
    /// Its name (bundled name or file stem).
    pub name: String,
    /// Which world it implements.
    pub kind: PluginKind,
    /// Where it came from.
    pub source: PluginSource,
    /// SHA-256 of the component bytes, hex.
    pub sha256: String,
    /// What the component says about itself.
    pub metadata: PluginMetadata,
    /// Call statistics, shared by all its instances.
    pub stats: Arc<CallStats>,
    pub(crate) pre: Pre,
    pub(crate) engine: Engine,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Find the world `component` implements and pre-link it.
pub(crate) fn link(
    engine: &Engine,
    linker: &Linker<StoreState>,
    name: &str,
    bytes: &[u8],
    component: Component,
    source: PluginSource,
) -> Result<Plugin, RuntimeError> {
    let kind = detect_kind(engine, &component)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
    let pre = match kind {
        PluginKind::Provider => {
            let exports = ProviderIndices::new(&component).map_err(RuntimeError::NotAPlugin)?;
            Pre::Provider(pre, Arc::new(exports))
        }
        PluginKind::Filter => {
            let exports = FilterIndices::new(&component).map_err(RuntimeError::NotAPlugin)?;
            Pre::Filter(pre, Arc::new(exports))
        }
    };
    Ok(Plugin {
        name: name.to_string(),
        kind,
        source,
        sha256: sha256_hex(bytes),
        metadata: PluginMetadata::read(bytes),
        stats: Arc::default(),
        pre,
        engine: engine.clone(),
    })
}

fn detect_kind(engine: &Engine, component: &Component) -> Result<PluginKind, RuntimeError> {
    let provider = format!("wasmgate:plugin/provider@{CONTRACT}");
    let filter = format!("wasmgate:plugin/filter@{CONTRACT}");
    let mut exported = Vec::new();
    for (export, item) in component.component_type().exports(engine) {
        if matches!(item.ty, ComponentItem::ComponentInstance(_)) {
            if export == provider {
                return Ok(PluginKind::Provider);
            }
            if export == filter {
                return Ok(PluginKind::Filter);
            }
        }
        exported.push(export.to_string());
    }
    Err(RuntimeError::NotAPlugin(format!(
        "it exports neither `{provider}` nor `{filter}` (exports: [{}])",
        exported.join(", ")
    )))
}
