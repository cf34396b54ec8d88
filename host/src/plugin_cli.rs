//! `wasmgate plugin list` and `wasmgate plugin check`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use wasmgate::catalog::Catalog;
use wasmgate::config::Config;
use wasmgate::kv::KvStore;
use wasmgate::runtime::{
    CONTRACT, ComponentCache, Limits, PluginEnv, PluginSource, Runtime, check as check_plugin,
};

/// A runtime with the config's limits and compile cache.
fn runtime(config: &Config) -> anyhow::Result<Runtime> {
    let cache = config
        .plugins
        .cache_dir
        .clone()
        .or_else(ComponentCache::default_dir);
    Ok(Runtime::new(Limits::from(&config.runtime), cache)?)
}

fn load_config(path: &Path) -> anyhow::Result<Config> {
    Ok(if path.exists() {
        Config::load(path)?
    } else {
        Config::demo()
    })
}

/// Print every plugin a gateway with this config would load.
pub fn list(path: &Path) -> anyhow::Result<()> {
    let config = load_config(path)?;
    let runtime = runtime(&config)?;
    let catalog = Catalog::load(&runtime, config.plugins.dir.as_deref())?;
    println!(
        "{:<18} {:<9} {:<8} {:<14} source",
        "name", "kind", "version", "sha256"
    );
    for plugin in catalog.all() {
        let source = match &plugin.source {
            PluginSource::Bundled => "bundled".to_string(),
            PluginSource::File(path) => path.display().to_string(),
        };
        println!(
            "{:<18} {:<9} {:<8} {:<14} {source}",
            plugin.name,
            plugin.kind.to_string(),
            plugin.metadata.version.as_deref().unwrap_or("-"),
            &plugin.sha256[..plugin.sha256.len().min(12)],
        );
    }
    Ok(())
}

/// Validate `file` as the hot loader would, with `config_json` as its config.
pub fn check(file: &Path, config_json: &str) -> anyhow::Result<()> {
    let value: serde_json::Value =
        serde_json::from_str(config_json).context("--config is not valid JSON")?;
    if !value.is_object() {
        bail!("--config must be a JSON object");
    }
    let name = file
        .file_stem()
        .and_then(|s| s.to_str())
        .context("the file name has no stem")?
        .to_string();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let runtime = runtime(&Config::demo())?;
    let plugin = runtime
        .load(&name, &bytes, PluginSource::File(file.to_path_buf()))
        .with_context(|| format!("{} is not a usable plugin", file.display()))?;
    let env = Arc::new(PluginEnv {
        name: name.clone(),
        config: value.to_string(),
        kv: Arc::new(KvStore::default()),
        http_hosts: Vec::new(),
    });
    let checked = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(check_plugin(&plugin, env, runtime.limits()));
    println!("name:     {name}");
    println!("kind:     {}", plugin.kind);
    println!("contract: wasmgate:plugin@{CONTRACT}");
    let meta = &plugin.metadata;
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not set)".into());
    println!("version:  {}", shown(&meta.version));
    println!("about:    {}", shown(&meta.description));
    println!("authors:  {}", shown(&meta.authors));
    println!("licenses: {}", shown(&meta.licenses));
    println!(
        "asks for: {}",
        if meta.capabilities.is_empty() {
            "no capabilities beyond the contract's host imports".to_string()
        } else {
            meta.capabilities.join(", ")
        }
    );
    println!("size:     {} bytes", bytes.len());
    println!("sha256:   {}", plugin.sha256);
    match checked {
        Ok(checked) => {
            if let Some(info) = checked.info {
                println!("provider: {} ({})", info.id, info.display_name);
                println!("base url: {}", info.default_base_url);
                let models: Vec<&str> = info.models.iter().map(|m| m.id.as_str()).collect();
                println!("models:   {}", models.join(", "));
            }
            println!("check:    ok");
            Ok(())
        }
        Err(reason) => bail!("{} failed its check: {reason}", file.display()),
    }
}
