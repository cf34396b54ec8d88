//! The gateway's shared state and the live (swappable) configuration.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

use super::health::Health;
use super::keys::KeyRing;
use crate::catalog::Catalog;
use std::cell::RefCell;
use std::collections::HashMap;

use crate::config::{Config, Grants, HttpConfig, OnError, UpstreamConfig, table_json};
use crate::kv::KvStore;
use crate::runtime::{
    FilterInstance, IDLE_PER_USE, Limits, Plugin, PluginEnv, PluginError, PluginKind,
    ProviderInstance, REUSE_CAPABILITY, Runtime, RuntimeError, Warm, http_capability,
};
use crate::upstream::Upstream;

/// Why a gateway could not be built from a config.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The Wasm runtime failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The HTTP client failed.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] crate::http_client::ClientError),
    /// The config names a plugin that is missing or of the wrong kind, or
    /// whose `init` refused its config.
    #[error("{0}")]
    Plugin(String),
}

static NEXT_GATEWAY: AtomicU64 = AtomicU64::new(0);

/// A plugin with the config of one place it is used.
#[derive(Debug, Clone)]
pub struct PluginUse {
    /// The compiled plugin.
    pub plugin: Arc<Plugin>,
    /// Its name, config and kv namespace.
    pub env: Arc<PluginEnv>,
    /// Its instances kept between requests (none unless the plugin declares
    /// `reuse` and `runtime.reuse_instances` is on).
    pub warm: Arc<Warm>,
}

impl PluginUse {
    /// An instance of this filter for one request (a kept one if any).
    pub async fn filter(&self, limits: Limits) -> Result<FilterInstance, PluginError> {
        FilterInstance::from_warm(&self.plugin, self.env.clone(), Some(&self.warm), limits).await
    }

    /// An instance of this provider for one request (a kept one if any).
    pub async fn provider(&self, limits: Limits) -> Result<ProviderInstance, PluginError> {
        ProviderInstance::from_warm(&self.plugin, self.env.clone(), Some(&self.warm), limits).await
    }
}

/// A filter with its failure policy.
#[derive(Debug, Clone)]
pub struct FilterUse {
    /// The plugin and its config.
    pub plugin: PluginUse,
    /// What its failure does to the request.
    pub on_error: OnError,
}

/// One configured upstream with its provider.
#[derive(Debug)]
pub struct UpstreamUse {
    /// The provider plugin.
    pub provider: PluginUse,
    /// The base URL to use (config, else the provider's default).
    pub base_url: String,
    /// Model ids the provider says it knows (`info().models`).
    pub known_models: Vec<String>,
    /// The turns and rests of its `api_keys`, kept across reloads while the
    /// upstream's name and keys stay the same.
    pub keys: Arc<KeyRing>,
    /// Its run of failures and rest, kept across reloads while its name and
    /// base URL stay the same.
    pub health: Arc<Health>,
}

/// Everything derived from one config, swapped as a whole.
#[derive(Debug)]
pub struct Live {
    /// The config.
    pub config: Config,
    /// Plugins by name.
    pub catalog: Catalog,
    /// Filters in config order.
    pub filters: Vec<FilterUse>,
    /// One entry per `config.upstreams`, same order.
    pub upstreams: Vec<UpstreamUse>,
    /// How many swaps (config reloads and plugin hot swaps) came before
    /// this one: 0 for the state the gateway started with.
    pub generation: u64,
}

/// The gateway: runtime, HTTP client, kv store and live config.
#[derive(Debug)]
pub struct Gateway {
    /// The Wasm runtime.
    pub runtime: Arc<Runtime>,
    /// Upstream HTTP settings; each thread gets its own client (see [`Gateway::http`]).
    http_config: HttpConfig,
    /// Distinguishes gateways in the per-thread client map.
    id: u64,
    /// The live config.
    pub live: ArcSwap<Live>,
    kv: Arc<KvStore>,
    requests: AtomicU64,
    /// This process's id, read once (a system call per request otherwise).
    pid: u32,
    /// Held while the plugins folder is rescanned (one reload at a time).
    pub(super) reloading: tokio::sync::Mutex<()>,
    /// Plugin files refused by the hot loader, by plugin name.
    pub(super) rejected: std::sync::Mutex<HashMap<String, super::reload::Rejected>>,
}

impl Gateway {
    /// Build a gateway for `config`: compile plugins, check every configured
    /// plugin exists with the right kind, and run each one's `init`.
    pub async fn new(config: Config) -> Result<Arc<Self>, SetupError> {
        let limits = Limits::from(&config.runtime).with_max_request(config.server.max_body_bytes);
        let cache_dir = config
            .plugins
            .cache_dir
            .clone()
            .or_else(crate::runtime::ComponentCache::default_dir);
        let runtime = Runtime::new(limits, cache_dir)?;
        let http_config = config.http.clone();
        // Fail early on a client that cannot be built.
        Upstream::new(&http_config)?;
        let kv = Arc::new(KvStore::default());
        let catalog = Catalog::load(&runtime, config.plugins.dir.as_deref())?;
        let live = build_live(&runtime, &kv, config, catalog, None).await?;
        Ok(Arc::new(Self {
            runtime: Arc::new(runtime),
            http_config,
            id: NEXT_GATEWAY.fetch_add(1, Ordering::Relaxed),
            live: ArcSwap::from_pointee(live),
            kv,
            requests: AtomicU64::new(0),
            pid: std::process::id(),
            reloading: tokio::sync::Mutex::new(()),
            rejected: std::sync::Mutex::new(HashMap::new()),
        }))
    }

    /// This thread's upstream client. A client's pooled connections are
    /// driven by tasks on the runtime that opened them, so each worker thread
    /// keeps its own: a request never hops threads to reach its connection.
    pub fn http(&self) -> Result<Upstream, crate::http_client::ClientError> {
        thread_local! {
            static CLIENTS: RefCell<HashMap<u64, Upstream>> = RefCell::new(HashMap::new());
        }
        CLIENTS.with(|clients| {
            let mut clients = clients.borrow_mut();
            if let Some(client) = clients.get(&self.id) {
                return Ok(client.clone());
            }
            let client = Upstream::new(&self.http_config)?;
            clients.insert(self.id, client.clone());
            Ok(client)
        })
    }

    /// A new request id.
    pub fn next_request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        format!("wg-{:x}-{n}", self.pid)
    }

    /// The kv store shared by plugins.
    pub fn kv(&self) -> &Arc<KvStore> {
        &self.kv
    }
}

/// Everything `config` needs from `catalog`, each configured plugin use
/// checked (kind, `init` with its config; providers' `info`). An upstream of
/// `previous` with the same name hands on its key ring while its keys are
/// the same (a resting key keeps resting), and its health while its base
/// URL is.
pub(super) async fn build_live(
    runtime: &Runtime,
    kv: &Arc<KvStore>,
    config: Config,
    catalog: Catalog,
    previous: Option<&Live>,
) -> Result<Live, SetupError> {
    let limits = runtime.limits();
    let mut filters = Vec::new();
    for (i, filter) in config.filters.iter().enumerate() {
        let plugin_use = plugin_use(
            &catalog,
            kv,
            &filter.plugin,
            PluginKind::Filter,
            table_json(filter.config.as_ref()),
            &filter.grants,
            config.runtime.reuse_instances,
        )
        .map_err(|e| SetupError::Plugin(format!("filters[{i}]: {e}")))?;
        let mut instance = plugin_use
            .filter(limits)
            .await
            .map_err(|e| SetupError::Plugin(format!("filters[{i}]: {e}")))?;
        match instance.init().await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(SetupError::Plugin(format!(
                    "filters[{i}] (`{}`) refused its config: {}",
                    filter.plugin, e.message
                )));
            }
            Err(e) => return Err(SetupError::Plugin(format!("filters[{i}]: {e}"))),
        }
        instance.park().await;
        filters.push(FilterUse {
            plugin: plugin_use,
            on_error: filter.on_error,
        });
    }
    let mut upstreams = Vec::new();
    for upstream in &config.upstreams {
        let context = |e: String| SetupError::Plugin(format!("upstream `{}`: {e}", upstream.name));
        let provider = plugin_use(
            &catalog,
            kv,
            &upstream.provider,
            PluginKind::Provider,
            table_json(upstream.config.as_ref()),
            &upstream.grants,
            config.runtime.reuse_instances,
        )
        .map_err(context)?;
        let mut instance = provider
            .provider(limits)
            .await
            .map_err(|e| context(e.to_string()))?;
        match instance.init().await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(context(format!(
                    "provider refused its config: {}",
                    e.message
                )));
            }
            Err(e) => return Err(context(e.to_string())),
        }
        let info = instance.info().await.map_err(|e| context(e.to_string()))?;
        instance.park().await;
        let base_url = upstream.base_url.clone().unwrap_or(info.default_base_url);
        let before = previous.and_then(|live| live.upstream_named(&upstream.name));
        upstreams.push(UpstreamUse {
            provider,
            health: before
                .filter(|(_, use_)| use_.base_url == base_url)
                .map(|(_, use_)| use_.health.clone())
                .unwrap_or_default(),
            keys: before
                .filter(|(config, _)| config.api_keys == upstream.api_keys)
                .map(|(_, use_)| use_.keys.clone())
                .unwrap_or_else(|| Arc::new(KeyRing::new(upstream.api_keys.len()))),
            base_url,
            known_models: info.models.into_iter().map(|m| m.id).collect(),
        });
    }
    Ok(Live {
        config,
        catalog,
        filters,
        upstreams,
        generation: previous.map_or(0, |live| live.generation + 1),
    })
}

impl Live {
    /// Upstream `name`: its config and what was built from it.
    fn upstream_named(&self, name: &str) -> Option<(&UpstreamConfig, &UpstreamUse)> {
        self.config
            .upstreams
            .iter()
            .zip(&self.upstreams)
            .find(|(config, _)| config.name == name)
    }
}

fn plugin_use(
    catalog: &Catalog,
    kv: &Arc<KvStore>,
    name: &str,
    kind: PluginKind,
    config: String,
    grants: &Grants,
    reuse: bool,
) -> Result<PluginUse, String> {
    let Some(plugin) = catalog.get(name) else {
        let known: Vec<_> = catalog
            .all()
            .into_iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.name.as_str())
            .collect();
        return Err(format!(
            "no {kind} plugin named `{name}` (available: {})",
            known.join(", ")
        ));
    };
    if plugin.kind != kind {
        return Err(format!(
            "plugin `{name}` is a {}, not a {kind}",
            plugin.kind
        ));
    }
    // Only what the plugin declares and the config grants.
    let declared = &plugin.metadata.capabilities;
    let (http_hosts, undeclared): (Vec<String>, Vec<String>) = grants
        .http
        .iter()
        .cloned()
        .partition(|host| declared.contains(&http_capability(host)));
    if !undeclared.is_empty() {
        tracing::warn!(plugin = %name, hosts = ?undeclared, "config grants outbound HTTP the plugin does not declare; not granted");
    }
    let keeps = reuse && declared.iter().any(|c| c == REUSE_CAPABILITY);
    Ok(PluginUse {
        warm: Warm::new(if keeps { IDLE_PER_USE } else { 0 }),
        plugin: plugin.clone(),
        env: Arc::new(PluginEnv {
            name: name.to_string(),
            config,
            kv: kv.clone(),
            http_hosts,
        }),
    })
}
