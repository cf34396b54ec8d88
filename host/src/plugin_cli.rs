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

/// What `plugin new` scaffolds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewKind {
    /// A provider adapter (`provider-plugin` world).
    Provider,
    /// A filter (`filter-plugin` world).
    Filter,
}

/// The language of a scaffolded plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewLang {
    /// Rust with `wasmgate-sdk`.
    Rust,
    /// Python (componentize-py): not scaffolded yet.
    Python,
    /// JavaScript (jco componentize): not scaffolded yet.
    Js,
}

/// The SDK folder of the checkout this binary was built from.
const SDK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");

/// The version of `wasmgate-sdk` used when the checkout is not around.
const SDK_VERSION: &str = "0.1";

/// The `wasmgate-sdk` dependency line: a path dependency on the checkout's
/// `sdk/` when it exists (the binary was built from a checkout still on this
/// machine), else a registry version.
fn sdk_dependency() -> String {
    let dir = Path::new(SDK_DIR);
    match dir.join("Cargo.toml").is_file().then(|| dir.canonicalize()) {
        Some(Ok(dir)) => format!("{{ path = {:?} }}", dir.display().to_string()),
        _ => format!("{SDK_VERSION:?}"),
    }
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
    if lang != NewLang::Rust {
        bail!(
            "`plugin new --lang {}` is not supported yet: see examples/ and docs/plugins.md \
             (\"Building in each language\") for how to build a component in that language, \
             or use --lang rust",
            match lang {
                NewLang::Python => "python",
                _ => "js",
            }
        );
    }
    if !valid_name(name) {
        bail!(
            "`{name}` is not a usable plugin name: use lowercase letters, digits and `-`, \
             starting with a letter (it becomes the crate name and NAME.wasm)"
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
    let (kind_name, description, source, config, usage) = match kind {
        NewKind::Filter => (
            "filter",
            "Adds a system message and rejects over-long prompts.",
            include_str!("scaffold/filter.rs.in"),
            r#"{"system":"Be brief.","max_prompt_chars":20000}"#,
            format!(
                "[[filters]]\nplugin = \"{name}\"\nconfig = {{ system = \"Be brief.\", max_prompt_chars = 20000 }}"
            ),
        ),
        NewKind::Provider => (
            "provider",
            "Adapter for a small JSON generate API.",
            include_str!("scaffold/provider.rs.in"),
            "{}",
            format!(
                "[[upstreams]]\nname = \"{name}\"\nprovider = \"{name}\"\nbase_url = \"http://127.0.0.1:9000\"\napi_keys = [\"${{{upper}_KEY}}\"]\nmodels = [\"*\"]",
                upper = name.to_uppercase().replace('-', "_")
            ),
        ),
    };
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{kind}}", kind_name)
            .replace("{{description}}", description)
            .replace("{{config}}", config)
            .replace("{{usage}}", &usage)
            .replace("{{sdk}}", &sdk_dependency())
    };
    let files = [
        ("Cargo.toml", fill(include_str!("scaffold/Cargo.toml.in"))),
        (
            "rust-toolchain.toml",
            fill(include_str!("scaffold/rust-toolchain.toml.in")),
        ),
        (".gitignore", fill(include_str!("scaffold/gitignore.in"))),
        ("README.md", fill(include_str!("scaffold/README.md.in"))),
        ("src/lib.rs", fill(source)),
    ];
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "created the {kind_name} plugin `{name}` in {}",
        dir.display()
    );
    println!("  cd {}", dir.display());
    println!("  cargo test                                        # unit tests, natively");
    println!("  cargo build --release --target wasm32-wasip2      # the component");
    println!(
        "  wasmgate plugin check target/wasm32-wasip2/release/{}.wasm",
        name.replace('-', "_")
    );
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
