//! Builds the first-party plugins in `plugins/` and exposes them to the
//! host: bundled plugins are embedded with `include_bytes!`, and
//! `WASMGATE_PLUGIN_ARTIFACTS` names the folder holding every built plugin
//! (test-only ones included) for the tests.
//!
//! Bundled plugins need no WASI, so they are built without it: for
//! `wasm32-unknown-unknown`, linked into components by the toolchain's
//! `wasm-component-ld` (the linker of `wasm32-wasip2`). A component then has
//! 6 core instances instead of 19 and imports only the plugin contract, and
//! a fresh instance per request costs less: "Hello" through openai and
//! example-filter about 5% less gateway CPU, through the six agent filters
//! about 10% (`bench/ab.sh` with `PLUGINS_A` holding `wasm32-wasip2`
//! builds, README "Benchmark").
//! Test-only plugins that try WASI's doors (`misbehave`, `reach`) and
//! `versioned` are built for `wasm32-wasip2`, as third-party plugins are.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Reading and appending custom sections (shared with the host).
#[allow(dead_code)]
#[path = "src/runtime/sections.rs"]
mod sections;

/// Plugins embedded in the binary.
const BUNDLED: &[&str] = &[
    "openai",
    "openai-responses",
    "anthropic",
    "gemini",
    "echo",
    "example-filter",
    "rewrite",
    "loop-guard",
    "tool-call-repair",
    "redact-secrets",
    "chat-commands",
    "command-guard",
];
/// Plugins built only for the tests, for `wasm32-wasip2`.
const TEST_ONLY: &[&str] = &["misbehave", "versioned", "reach"];

/// The target of bundled plugins (no WASI imports).
const BUNDLED_TARGET: &str = "wasm32-unknown-unknown";

/// The target of test-only plugins.
const WASI_TARGET: &str = "wasm32-wasip2";

/// Linear memory a first-party plugin starts with (2 MiB). The linker's
/// default is just what the 1 MiB stack and the data need, so a call's
/// first heap allocation grows the memory, and wasmtime undoes that growth
/// (`mprotect`, a TLB shootdown on every core) when the next instance takes
/// the slot. A coding agent's 65 KB turn cost about 20% less CPU with
/// this; a "Hello" request the same (`bench/ab.sh`, README "Benchmarks").
/// `runtime.memory_limit_mib` of 1 was too small before and still is.
const INITIAL_MEMORY: u32 = 2 * 1024 * 1024;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    println!("cargo:rerun-if-changed={}", root.join("plugins").display());
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    for target in [BUNDLED_TARGET, WASI_TARGET] {
        ensure_target(target);
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm");
    let manifest = root.join("plugins").join("Cargo.toml");
    // The toolchain's `wasm-component-ld` links components (it finds
    // `wasm-ld` beside itself), and with no WASI imports it adds no adapter.
    build_plugins(
        &manifest,
        &target_dir,
        BUNDLED_TARGET,
        BUNDLED,
        "-C linker=wasm-component-ld",
    );
    build_plugins(&manifest, &target_dir, WASI_TARGET, TEST_ONLY, "");

    // Every built plugin, in one folder, for the tests.
    let artifacts = target_dir.join("artifacts");
    if let Err(e) = std::fs::create_dir_all(&artifacts) {
        fail(&format!("cannot create {}: {e}", artifacts.display()));
    }
    for (target, names) in [(BUNDLED_TARGET, BUNDLED), (WASI_TARGET, TEST_ONLY)] {
        for name in names {
            let file = format!("{}.wasm", name.replace('-', "_"));
            let built = target_dir.join(target).join("release").join(&file);
            if let Err(e) = std::fs::copy(&built, artifacts.join(&file)) {
                fail(&format!("cannot copy {}: {e}", built.display()));
            }
        }
    }
    println!(
        "cargo:rustc-env=WASMGATE_PLUGIN_ARTIFACTS={}",
        artifacts.display()
    );
    let mut code = String::from(
        "/// First-party plugins embedded in the binary: (name, component bytes).\npub const BUNDLED: &[(&str, &[u8])] = &[\n",
    );
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap_or_default());
    let workspace = read(&root.join("plugins").join("Cargo.toml"));
    for name in BUNDLED {
        let file = artifacts.join(format!("{}.wasm", name.replace('-', "_")));
        let Ok(bytes) = std::fs::read(&file) else {
            fail(&format!("plugin artifact {} is missing", file.display()));
        };
        let manifest = read(&root.join("plugins").join(name).join("Cargo.toml"));
        let stamped = out_dir.join(format!("{name}.wasm"));
        if let Err(e) = std::fs::write(&stamped, stamp(bytes, &manifest, &workspace)) {
            fail(&format!("cannot write {}: {e}", stamped.display()));
        }
        code.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            stamped.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = out_dir.join("bundled.rs");
    if let Err(e) = std::fs::write(&out, code) {
        fail(&format!("cannot write {}: {e}", out.display()));
    }
}

/// Build `packages` of the plugins workspace for `target`, in release, with
/// `rustflags` and the initial memory of [`INITIAL_MEMORY`].
fn build_plugins(
    manifest: &Path,
    target_dir: &Path,
    target: &str,
    packages: &[&str],
    rustflags: &str,
) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--release", "--target", target])
        .arg("--target-dir")
        .arg(target_dir);
    for package in packages {
        cmd.args(["--package", package]);
    }
    // Do not leak the host build's settings into the guest build.
    for (key, _) in env::vars_os() {
        if let Some(key) = key.to_str()
            && (key.starts_with("CARGO_") || key == "RUSTFLAGS" || key == "RUSTC_WRAPPER")
            && key != "CARGO_HOME"
        {
            cmd.env_remove(key);
        }
    }
    let variable = format!(
        "CARGO_TARGET_{}_RUSTFLAGS",
        target.to_uppercase().replace('-', "_")
    );
    cmd.env(
        variable,
        format!("{rustflags} -C link-arg=--initial-memory={INITIAL_MEMORY}"),
    );
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!("building the plugins for {target} failed ({s})")),
        Err(e) => fail(&format!("cannot run cargo to build the plugins: {e}")),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The first `key = "value"` line of a Cargo manifest, unquoted.
fn manifest_value(manifest: &str, key: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        if k.trim() != key {
            return None;
        }
        let v = v.trim();
        let v = v
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .unwrap_or(v);
        Some(v.trim().trim_matches('"').replace("\\\"", "\""))
    })
}

/// Append the metadata sections (`wasm-metadata` conventions) to a bundled
/// plugin: version, description, authors, licenses from its manifest (or
/// the plugins workspace), and the capabilities it asks for: only `reuse`
/// (its instances keep nothing of one request for the next, so the gateway
/// may serve several requests with one; see `runtime/warm.rs`).
fn stamp(mut bytes: Vec<u8>, manifest: &str, workspace: &str) -> Vec<u8> {
    let value =
        |key: &str| manifest_value(manifest, key).or_else(|| manifest_value(workspace, key));
    let fields = [
        ("version", value("version")),
        ("description", value("description")),
        ("authors", value("authors")),
        ("licenses", value("license")),
        ("wasmgate:capabilities", Some(r#"["reuse"]"#.to_string())),
    ];
    for (section, text) in fields {
        if let Some(text) = text {
            bytes.extend(sections::encode(section, text.as_bytes()));
        }
    }
    bytes
}

/// Install a wasm target when the toolchain lacks it (a fresh machine).
fn ensure_target(target: &str) {
    let sysroot = Command::new(env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim()));
    let installed = sysroot
        .map(|s| s.join("lib").join("rustlib").join(target).exists())
        .unwrap_or(false);
    if !installed {
        println!("cargo:warning=installing the {target} target with rustup");
        let ok = Command::new("rustup")
            .args(["target", "add", target])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            fail(&format!(
                "the {target} target is missing; run `rustup target add {target}`"
            ));
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
