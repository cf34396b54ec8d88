//! `plugin new --lang rust`: a crate on `wasmgate-sdk`.

use std::path::Path;

use super::NewKind;
use super::scaffold::{Plugin, Project, ProjectFile};

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

/// The project: `Cargo.toml`, `rust-toolchain.toml`, `.gitignore`,
/// `README.md` and `src/lib.rs` with the hooks and their native tests.
pub fn project(plugin: Plugin<'_>) -> Project {
    let source = match plugin.kind {
        NewKind::Filter => include_str!("../scaffold/filter.rs.in"),
        NewKind::Provider => include_str!("../scaffold/provider.rs.in"),
    };
    let krate = plugin.name.replace('-', "_");
    let sdk = sdk_dependency();
    let extra = [("crate", krate.as_str()), ("sdk", sdk.as_str())];
    let fill = |template: &str| plugin.fill(template, &extra);
    Project {
        files: vec![
            ProjectFile::new(
                "Cargo.toml",
                fill(include_str!("../scaffold/Cargo.toml.in")),
            ),
            ProjectFile::new(
                "rust-toolchain.toml",
                fill(include_str!("../scaffold/rust-toolchain.toml.in")),
            ),
            ProjectFile::new(".gitignore", fill(include_str!("../scaffold/gitignore.in"))),
            ProjectFile::new("README.md", fill(include_str!("../scaffold/README.md.in"))),
            ProjectFile::new("src/lib.rs", fill(source)),
        ],
        next_steps: vec![
            "cargo test                                        # unit tests, natively".into(),
            "cargo build --release --target wasm32-wasip2      # the component".into(),
            format!(
                "wasmgate plugin check target/wasm32-wasip2/release/{krate}.wasm --config '{}'",
                plugin.check_config()
            ),
        ],
    }
}
