//! The plugins available to a gateway: bundled ones, overridden by `.wasm`
//! files of the same name in the plugins folder.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::runtime::{Plugin, PluginSource, Runtime, RuntimeError};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

pub use bundled::BUNDLED;

/// Loaded plugins by name.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    plugins: HashMap<String, Arc<Plugin>>,
    /// The bundled plugins, to come back when a file overriding one goes.
    bundled: HashMap<String, Arc<Plugin>>,
}

impl Catalog {
    /// Load the bundled plugins, then every `*.wasm` in `dir`. A file that
    /// fails to load is logged and skipped; a bundled plugin that fails is an
    /// error (the binary is broken).
    pub fn load(runtime: &Runtime, dir: Option<&Path>) -> Result<Self, RuntimeError> {
        let mut plugins = HashMap::new();
        for (name, bytes) in BUNDLED {
            plugins.insert(
                name.to_string(),
                runtime.load(name, bytes, PluginSource::Bundled)?,
            );
        }
        let bundled = plugins.clone();
        if let Some(dir) = dir {
            for (name, path) in wasm_files(dir) {
                let loaded = std::fs::read(&path)
                    .map_err(|e| RuntimeError::Compile(e.to_string()))
                    .and_then(|bytes| {
                        runtime.load(&name, &bytes, PluginSource::File(path.clone()))
                    });
                match loaded {
                    Ok(plugin) => {
                        tracing::info!(plugin = %name, path = %path.display(), kind = %plugin.kind, "loaded plugin file");
                        plugins.insert(name, plugin);
                    }
                    Err(error) => {
                        tracing::error!(plugin = %name, path = %path.display(), %error, "plugin file rejected");
                    }
                }
            }
        }
        Ok(Self { plugins, bundled })
    }

    /// Put `plugin` in place of any plugin of the same name.
    pub fn insert(&mut self, plugin: Arc<Plugin>) {
        self.plugins.insert(plugin.name.clone(), plugin);
    }

    /// Drop the plugin called `name`; the bundled one of that name, if any,
    /// comes back.
    pub fn unload(&mut self, name: &str) {
        match self.bundled.get(name) {
            Some(bundled) => {
                self.plugins.insert(name.to_string(), bundled.clone());
            }
            None => {
                self.plugins.remove(name);
            }
        }
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Plugin>> {
        self.plugins.get(name)
    }

    /// All plugins, sorted by name.
    pub fn all(&self) -> Vec<&Arc<Plugin>> {
        let mut all: Vec<_> = self.plugins.values().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }
}

/// `(stem, path)` of every `.wasm` file directly in `dir`.
pub fn wasm_files(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p.clone())))
        .collect();
    files.sort();
    files
}
