//! The `wasmgate` binary.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use wasmgate::config::{Config, TEMPLATE};
use wasmgate::gateway::Gateway;
use wasmgate::gateway::WatchError;
use wasmgate::server;

mod memory_trim;
mod plugin_cli;

/// mimalloc: the gateway allocates many short-lived buffers per request.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// wasmgate: a local LLM API gateway. Point OpenAI-compatible clients at it;
/// every request goes through sandboxed WebAssembly plugins (provider
/// adapters and filters) on its way to the upstream.
#[derive(Parser)]
#[command(version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  wasmgate serve                          # keyless demo on 127.0.0.1:8788 (model `echo`)
  wasmgate config init                    # write a commented wasmgate.toml
  wasmgate serve --config wasmgate.toml
  wasmgate plugin new my-filter --kind filter   # scaffold a plugin (Rust, wasmgate-sdk)
  wasmgate plugin new my-filter --kind filter --lang python   # or --lang js
  curl localhost:8788/v1/chat/completions -d '{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'

Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=wasmgate=debug) for more.";

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Serve {
        /// Config file. When it does not exist, built-in defaults are used
        /// (the keyless `echo` demo).
        #[arg(long, short, default_value = "wasmgate.toml", env = "WASMGATE_CONFIG")]
        config: PathBuf,
        /// Override `server.listen`.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Manage the config file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Inspect, check and scaffold plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// List the plugins a gateway with this config would load: bundled ones
    /// and the files in `plugins.dir`.
    List {
        /// Config file (built-in defaults when it does not exist).
        #[arg(long, short, default_value = "wasmgate.toml", env = "WASMGATE_CONFIG")]
        config: PathBuf,
    },
    /// Validate a plugin file exactly as the hot loader does (known world and
    /// contract version, `init` with the config, a smoke call), print what it
    /// is, and exit non-zero with the reason when it fails.
    Check {
        /// The `.wasm` component.
        file: PathBuf,
        /// The plugin's config, as JSON text.
        #[arg(long, default_value = "{}")]
        config: String,
    },
    /// Scaffold a plugin project that builds as generated, with a working
    /// template of its kind, a unit test and a README (build, test, check,
    /// drop in). Rust: a crate on `wasmgate-sdk` with `rust-toolchain.toml`
    /// (`wasm32-wasip2`) and a release profile for small components. Python
    /// and JS: the WIT contract in `wit/`, the logic in a plain module
    /// (`python3 -m unittest` / `node --test`) behind a thin glue module, and
    /// a `build.sh` that installs its pinned toolchain in the project
    /// (componentize-py in `.venv`, componentize-qjs with `npm ci`) and
    /// writes `NAME.wasm`.
    New {
        /// The plugin's name (lowercase letters, digits and `-`): the package
        /// name, and `NAME.wasm` in the plugins folder.
        name: String,
        /// What to write.
        #[arg(long, value_enum)]
        kind: plugin_cli::NewKind,
        /// The language: `rust`, `python` (componentize-py) or `js`
        /// (componentize-qjs).
        #[arg(long, value_enum, default_value = "rust")]
        lang: plugin_cli::NewLang,
        /// Where to create it (default `./NAME`); must be missing or empty.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Write a commented config file with every key.
    Init {
        /// Where to write it.
        #[arg(default_value = "wasmgate.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve { config, listen } => serve(&config, listen),
        Command::Config {
            command: ConfigCommand::Init { path, force },
        } => init(&path, force),
        Command::Plugin {
            command: PluginCommand::List { config },
        } => plugin_cli::list(&config),
        Command::Plugin {
            command: PluginCommand::Check { file, config },
        } => plugin_cli::check(&file, &config),
        Command::Plugin {
            command:
                PluginCommand::New {
                    name,
                    kind,
                    lang,
                    dir,
                },
        } => plugin_cli::new(&name, kind, lang, dir.as_deref()),
    }
}

fn init(path: &Path, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        bail!(
            "{} already exists (use --force to overwrite)",
            path.display()
        );
    }
    std::fs::write(path, TEMPLATE).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn serve(path: &Path, listen: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    // The file as this gateway reads it, at start and on each change.
    let load = {
        let file = path.to_path_buf();
        move || Config::load(&file).map(|config| with_listen(config, listen))
    };
    let watch_config = path.exists();
    let config = if watch_config {
        load()?
    } else {
        tracing::info!(path = %path.display(), "no config file; using built-in defaults (model `echo`)");
        with_listen(Config::demo(), listen)
    };
    server::check_bind(&config)?;
    let addr = config.server.listen;
    let workers = match config.server.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    // Bound before the plugins load: a port in use fails at once, and
    // connections that arrive meanwhile wait in the backlog.
    let workers = server::Workers::bind(addr, workers).map_err(|error| match error.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "cannot listen on {addr}: the address is in use (another wasmgate?); \
                 set server.listen or pass --listen"
        ),
        _ => anyhow::Error::new(error).context(format!("cannot listen on {addr}")),
    })?;
    let gateway = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(Gateway::new(config))?;
    // Loading the plugins freed memory on this thread: give it back now.
    memory_trim::now();
    // Hot swap: kept alive for as long as the gateway serves.
    let _watcher = match gateway.watch_plugins() {
        Ok(watcher) => Some(watcher),
        Err(WatchError::NoFolder) => None,
        Err(error) => {
            tracing::warn!(%error, "plugin hot swap is off");
            None
        }
    };
    // Config reload: kept alive for as long as the gateway serves.
    let _config_watcher = if watch_config {
        match gateway.watch_config(path, load) {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                tracing::warn!(%error, "config reload is off");
                None
            }
        }
    } else {
        None
    };
    workers
        .housekeeping(memory_trim::PERIOD, memory_trim::now)
        .run(gateway, shutdown_signal())?;
    Ok(())
}

/// `config` with `--listen` applied.
fn with_listen(mut config: Config, listen: Option<std::net::SocketAddr>) -> Config {
    if let Some(listen) = listen {
        config.server.listen = listen;
    }
    config
}

/// Completes on the first SIGINT or SIGTERM: the workers stop accepting and
/// finish the requests in flight, streams included. A second signal exits
/// at once.
async fn shutdown_signal() {
    interrupted().await;
    tracing::info!("shutting down: finishing the requests in flight (signal again to stop now)");
    std::thread::spawn(|| {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(interrupted());
            tracing::warn!("second signal: stopping now");
            std::process::exit(130);
        }
    });
}

/// The next SIGINT or SIGTERM.
async fn interrupted() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
