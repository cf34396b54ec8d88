//! `wasmgate plugin list`, `wasmgate plugin check` and `wasmgate plugin new`
//! (each language's project in its own module).

mod js;
mod python;
mod rust;
mod scaffold;

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

/// What `plugin new` scaffolds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewKind {
    /// A provider adapter (`provider-plugin` world).
    Provider,
    /// A filter (`filter-plugin` world).
    Filter,
}

/// The language of a scaffolded plugin. Every project builds as generated
/// and has a README, a unit test and a working template of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewLang {
    /// Rust with `wasmgate-sdk`: `cargo test`, `cargo build --target wasm32-wasip2`.
    Rust,
    /// Python with componentize-py (pinned; `build.sh` installs it into a
    /// project venv): logic in plain Python tested with `python3 -m unittest`.
    Python,
    /// JavaScript with componentize-qjs (pinned by `package-lock.json`;
    /// `build.sh` runs `npm ci`): logic in a plain ES module tested with
    /// `node --test`.
    Js,
}

/// True for a plugin name the gateway and cargo both accept: lowercase ASCII
/// letters, digits and `-`, starting with a letter.
fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// Scaffold a plugin project named `name` in `dir` (default `./NAME`).
pub fn new(name: &str, kind: NewKind, lang: NewLang, dir: Option<&Path>) -> anyhow::Result<()> {
    if !valid_name(name) {
        bail!(
            "`{name}` is not a usable plugin name: use lowercase letters, digits and `-`, \
             starting with a letter (it becomes the package name and NAME.wasm)"
        );
    }
    let dir = dir.map_or_else(|| Path::new(name).to_path_buf(), Path::to_path_buf);
    if dir.exists()
        && std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!("{} already exists and is not empty", dir.display());
    }
    let plugin = scaffold::Plugin { name, kind };
    let (project, lang_name) = match lang {
        NewLang::Rust => (rust::project(plugin), "Rust"),
        NewLang::Python => (python::project(plugin), "Python"),
        NewLang::Js => (js::project(plugin)?, "JavaScript"),
    };
    scaffold::write(&dir, &project)?;
    println!(
        "created the {lang_name} {} plugin `{name}` in {}",
        plugin.kind_name(),
        dir.display()
    );
    println!("  cd {}", dir.display());
    for step in &project.next_steps {
        println!("  {step}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn plugin_names() {
        for good in ["a", "my-filter", "p2"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "-a", "A", "my_filter", "a-", "2p", "a b", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
