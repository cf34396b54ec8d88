//! The gateway configuration: one TOML file (`wasmgate.toml`).
//!
//! Every key is documented in README.md. Unknown keys are errors, and every
//! error names the line and key it is about.

mod interpolate;
mod template;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use interpolate::interpolate;
pub use template::TEMPLATE;

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `${VAR}` interpolation failed.
    #[error("config line {line}, key `{key}`: {message}")]
    Interpolation {
        /// 1-based line.
        line: usize,
        /// The key on that line.
        key: String,
        /// What went wrong.
        message: String,
    },
    /// The TOML did not parse or did not match the schema: the TOML error's
    /// message (with the line it quotes), values from the environment shown
    /// as their `${VAR}`.
    #[error("invalid config: {0}")]
    Parse(String),
    /// The values are inconsistent.
    #[error("invalid config: {0}")]
    Invalid(String),
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listener and access control.
    #[serde(default)]
    pub server: ServerConfig,
    /// Where plugins come from.
    #[serde(default)]
    pub plugins: PluginsConfig,
    /// The Wasm sandbox.
    #[serde(default)]
    pub runtime: RuntimeConfig,
    /// Upstream HTTP behaviour.
    #[serde(default)]
    pub http: HttpConfig,
    /// Upstreams, in priority order.
    #[serde(default)]
    pub upstreams: Vec<UpstreamConfig>,
    /// Filters, in request order.
    #[serde(default)]
    pub filters: Vec<FilterConfig>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Local access keys; empty means no authentication.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// Keys for the admin API (`/admin/…`); empty turns it off. Access
    /// keys never grant admin access.
    #[serde(default)]
    pub admin_keys: Vec<String>,
    /// Allow listening on a non-loopback address without access keys.
    #[serde(default)]
    pub allow_unauthenticated_remote: bool,
    /// Web pages (origins such as `http://localhost:3000`, or `"*"`) whose
    /// requests are served; a request from any other page is refused.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Host names (besides `localhost` and IP addresses) that requests may
    /// be addressed to when there are no `api_keys` and `listen` is a
    /// loopback address: the guard against DNS rebinding.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Largest accepted request body, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Worker threads, each with its own runtime and listener; 0 means one
    /// per CPU.
    #[serde(default)]
    pub workers: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            api_keys: Vec::new(),
            admin_keys: Vec::new(),
            allow_unauthenticated_remote: false,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_body_bytes: default_max_body(),
            workers: 0,
        }
    }
}

/// Capabilities a plugin entry grants, e.g. `grants = { http = ["oauth2.googleapis.com"] }`.
/// A grant only takes effect for what the plugin itself declares.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Hosts the plugin may reach with outbound HTTP.
    #[serde(default)]
    pub http: Vec<String>,
}

/// `[plugins]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// Folder of `.wasm` plugins; files override bundled plugins of the same
    /// name. Relative to the config file.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Where compiled components are cached. Defaults to the user cache dir.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

/// `[runtime]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Running-time budget of one plugin call, in milliseconds (time spent
    /// waiting for the worker thread or the network is not counted).
    #[serde(default = "default_deadline")]
    pub call_deadline_ms: u64,
    /// Linear memory cap of one plugin instance, in MiB.
    #[serde(default = "default_memory")]
    pub memory_limit_mib: u32,
    /// Most plugin instances alive at once (pool size).
    #[serde(default = "default_instances")]
    pub max_instances: u32,
    /// Let a plugin that declares the `reuse` capability serve one request
    /// after another with one instance (the bundled plugins do); off, every
    /// request gets fresh instances.
    #[serde(default = "default_true")]
    pub reuse_instances: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            call_deadline_ms: default_deadline(),
            memory_limit_mib: default_memory(),
            max_instances: default_instances(),
            reuse_instances: true,
        }
    }
}

/// `[http]`: how the host talks to upstreams.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// TCP (and TLS) connect timeout, in milliseconds.
    #[serde(default = "default_connect")]
    pub connect_timeout_ms: u64,
    /// Time to wait for the upstream's response headers, in milliseconds.
    #[serde(default = "default_first_byte")]
    pub first_byte_timeout_ms: u64,
    /// Longest silence allowed between body chunks, in milliseconds.
    #[serde(default = "default_idle")]
    pub idle_timeout_ms: u64,
    /// Largest non-streamed upstream body, in bytes.
    #[serde(default = "default_max_upstream_body")]
    pub max_response_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout_ms: default_connect(),
            first_byte_timeout_ms: default_first_byte(),
            idle_timeout_ms: default_idle(),
            max_response_bytes: default_max_upstream_body(),
        }
    }
}

/// One `[[upstreams]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Unique name; clients may address `name/model`.
    pub name: String,
    /// Provider plugin id.
    pub provider: String,
    /// Base URL; defaults to the provider's own.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Credentials, used in turn. Empty strings are ignored.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// Model patterns served: exact, `prefix*`, or `*`.
    #[serde(default)]
    pub models: Vec<String>,
    /// Handed to the provider plugin as its config (JSON).
    #[serde(default)]
    pub config: Option<toml::Table>,
    /// Capabilities granted to the plugin here, beyond the host imports.
    #[serde(default)]
    pub grants: Grants,
}

/// One `[[filters]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Filter plugin name.
    pub plugin: String,
    /// Handed to the plugin as its config (JSON).
    #[serde(default)]
    pub config: Option<toml::Table>,
    /// What a failure of this filter (trap, deadline, memory cap, broken
    /// output) does to the request.
    #[serde(default)]
    pub on_error: OnError,
    /// Capabilities granted to the plugin here, beyond the host imports.
    #[serde(default)]
    pub grants: Grants,
}

/// A filter's failure policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Fail the request (fail-closed): right for security filters.
    #[default]
    Fail,
    /// Log, and go on as if the filter were not configured.
    Skip,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8788))
}
fn default_max_body() -> usize {
    20 * 1024 * 1024
}
fn default_deadline() -> u64 {
    100
}
fn default_memory() -> u32 {
    64
}
fn default_true() -> bool {
    true
}

fn default_instances() -> u32 {
    1000
}
fn default_connect() -> u64 {
    10_000
}
fn default_first_byte() -> u64 {
    300_000
}
fn default_idle() -> u64 {
    300_000
}
fn default_max_upstream_body() -> usize {
    64 * 1024 * 1024
}

/// A table as JSON text (`{}` when absent).
pub fn table_json(table: Option<&toml::Table>) -> String {
    table
        .and_then(|t| serde_json::to_string(t).ok())
        .unwrap_or_else(|| "{}".to_string())
}

impl Config {
    /// Parse config text, interpolating `${VAR}` from the environment.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Self::parse_with(text, |name| std::env::var(name).ok())
    }

    /// Parse config text with a custom variable lookup.
    pub fn parse_with(
        text: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let (text, substituted) = interpolate::interpolate_tracked(text, lookup)?;
        // Errors quote the text and values: the environment's secrets are
        // shown as the `${VAR}` they came from.
        let mut config: Config = toml::from_str(&text)
            .map_err(|e| ConfigError::Parse(substituted.hide(&e.to_string())))?;
        config.normalise();
        config.validate().map_err(|e| match e {
            ConfigError::Invalid(message) => ConfigError::Invalid(substituted.hide(&message)),
            other => other,
        })?;
        Ok(config)
    }

    /// Load a file; a relative `plugins.dir` is resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Self::parse(&text)?;
        if let Some(dir) = &config.plugins.dir
            && dir.is_relative()
        {
            let base = path.parent().unwrap_or_else(|| Path::new("."));
            config.plugins.dir = Some(base.join(dir));
        }
        Ok(config)
    }

    /// The built-in defaults: the keyless `echo` demo on 127.0.0.1:8788.
    pub fn demo() -> Self {
        Config {
            upstreams: vec![UpstreamConfig {
                grants: Default::default(),
                name: "demo".into(),
                provider: "echo".into(),
                base_url: None,
                api_keys: Vec::new(),
                models: vec!["echo".into()],
                config: None,
            }],
            ..Config::default()
        }
    }

    fn normalise(&mut self) {
        self.server.api_keys.retain(|k| !k.is_empty());
        for upstream in &mut self.upstreams {
            upstream.api_keys.retain(|k| !k.is_empty());
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        for (i, upstream) in self.upstreams.iter().enumerate() {
            if upstream.name.is_empty() || upstream.name.contains('/') {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{i}].name must be non-empty and contain no `/`"
                )));
            }
            if !names.insert(upstream.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{i}].name `{}` is used twice",
                    upstream.name
                )));
            }
            if let Some(base_url) = &upstream.base_url
                && !is_http_url(base_url)
            {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{i}].base_url `{base_url}` is not an http:// or https:// URL"
                )));
            }
            if upstream.models.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{i}] (`{}`) needs at least one entry in `models`",
                    upstream.name
                )));
            }
        }
        if self.runtime.call_deadline_ms == 0 || self.runtime.memory_limit_mib == 0 {
            return Err(ConfigError::Invalid(
                "runtime.call_deadline_ms and runtime.memory_limit_mib must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// Is `text` an absolute `http` or `https` URL with a host?
fn is_http_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() -> Result<(), ConfigError> {
        let config = Config::parse_with(TEMPLATE, |_| None)?;
        assert_eq!(config.server.listen, default_listen());
        assert!(!config.upstreams.is_empty());
        Ok(())
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = Config::parse_with("[server]\nlisten = \"127.0.0.1:1\"\nbogus = 1\n", |_| None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("bogus"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn a_base_url_must_be_an_http_url() {
        let with = |url: &str| {
            Config::parse_with(
                &format!(
                    "[[upstreams]]\nname='a'\nprovider='openai'\nbase_url='{url}'\nmodels=['x']\n"
                ),
                |_| None,
            )
            .err()
            .map(|e| e.to_string())
        };
        assert_eq!(with("http://127.0.0.1:9000/v1"), None);
        assert_eq!(with("https://api.openai.com/v1"), None);
        for bad in ["not a url", "127.0.0.1:9000/v1", "ftp://host/v1", "http://"] {
            let err = with(bad).unwrap_or_default();
            assert!(
                err.contains("upstreams[0].base_url") && err.contains(bad),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn errors_show_environment_values_as_their_variables() {
        let lookup = |name: &str| (name == "MYKEY").then(|| "sk-live-SECRET123".to_string());
        let upstream = "[[upstreams]]\nname='m'\nprovider='openai'\nmodels=['a']\n";
        for text in [
            // A syntax error quotes the line; a type error the value.
            format!("{upstream}api_keys = [\"${{MYKEY}}\"] oops\n"),
            format!("{upstream}api_keys = \"${{MYKEY}}\"\n"),
            format!("{upstream}base_url = \"ftp://${{MYKEY}}@host\"\n"),
        ] {
            let err = Config::parse_with(&text, lookup)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!err.is_empty() && !err.contains("SECRET"), "{err}");
            assert!(err.contains("${MYKEY}"), "{err}");
        }
    }

    #[test]
    fn duplicate_upstream_is_rejected() {
        let text = "[[upstreams]]\nname='a'\nprovider='echo'\nmodels=['x']\n[[upstreams]]\nname='a'\nprovider='echo'\nmodels=['y']\n";
        assert!(Config::parse_with(text, |_| None).is_err());
    }
}
