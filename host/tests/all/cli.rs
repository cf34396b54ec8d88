//! The `wasmgate` binary's command line.

use std::process::Command;

use crate::common::plugin_check;

fn wasmgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wasmgate"))
}

#[test]
fn help_explains_the_commands() {
    let out = wasmgate().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["serve", "config", "Examples", "/v1/chat/completions"] {
        assert!(text.contains(needle), "--help lacks {needle}: {text}");
    }
}

#[test]
fn config_init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let dir = std::env::temp_dir().join(format!("wasmgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wasmgate.toml");
    let _ = std::fs::remove_file(&path);
    let out = wasmgate()
        .args(["config", "init"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(wasmgate::config::Config::parse(&written).is_ok());
    let again = wasmgate()
        .args(["config", "init"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_refuses_a_public_address_without_keys() {
    let out = wasmgate()
        .args([
            "serve",
            "--config",
            "/nonexistent/wasmgate.toml",
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen") && err.contains("api_keys"),
        "{err}"
    );
}

#[test]
fn a_missing_variable_is_named_with_line_and_key() {
    let dir = std::env::temp_dir().join(format!("wasmgate-cli-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wasmgate.toml");
    std::fs::write(
        &path,
        "[server]\napi_keys = [\"${WASMGATE_TEST_UNSET_VAR}\"]\n",
    )
    .unwrap();
    let out = wasmgate()
        .args(["serve", "--config"])
        .arg(&path)
        .env_remove("WASMGATE_TEST_UNSET_VAR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2")
            && err.contains("api_keys")
            && err.contains("WASMGATE_TEST_UNSET_VAR"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plugin_check_passes_good_plugins_and_explains_bad_ones() {
    let (ok, stdout, stderr) = plugin_check(&crate::common::artifact("openai"), "{}");
    assert!(ok, "{stderr}");
    for needle in [
        "kind:     provider",
        "wasmgate:plugin@0.1.0",
        "check:    ok",
    ] {
        assert!(stdout.contains(needle), "{needle} missing: {stdout}");
    }

    let garbage = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("garbage.wasm");
    std::fs::write(&garbage, b"not wasm").unwrap();
    let (ok, _, stderr) = plugin_check(&garbage, "{}");
    assert!(!ok);
    assert!(stderr.contains("not a usable plugin"), "{stderr}");

    let (ok, _, stderr) = plugin_check(
        &crate::common::artifact("rewrite"),
        r#"{"rules":[{"regex":"(","target":"user"}]}"#,
    );
    assert!(!ok);
    assert!(stderr.contains("`init` refused the config"), "{stderr}");

    let (ok, _, stderr) = plugin_check(
        &crate::common::artifact("misbehave"),
        r#"{"mode":"trap","hook":"request"}"#,
    );
    assert!(!ok);
    assert!(
        stderr.contains("smoke call `on-request` failed"),
        "{stderr}"
    );

    let (ok, _, stderr) = plugin_check(&crate::common::artifact("echo"), "[1]");
    assert!(!ok);
    assert!(stderr.contains("JSON object"), "{stderr}");
}

/// `cargo ARGS` in `dir`, with a target folder shared by the scaffold tests.
fn cargo(dir: &std::path::Path, args: &[&str]) {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?} in {} failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn plugin_new_scaffolds_projects_that_build_test_and_pass_check() {
    // Its own folder: `scaffold.rs` builds its projects under
    // `scaffold-<pid>` at the same time, and this test removes its root.
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scaffold-rust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (kind, config, needle) in [
        ("filter", r#"{"system":"Be brief."}"#, "kind:     filter"),
        ("provider", "{}", "kind:     provider"),
    ] {
        let name = format!("my-{kind}");
        let dir = root.join(&name);
        let out = wasmgate()
            .args([
                "plugin", "new", &name, "--kind", kind, "--lang", "rust", "--dir",
            ])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("wasmgate-sdk = { path ="),
            "a checkout build depends on its own sdk/: {manifest}"
        );
        for file in ["README.md", "rust-toolchain.toml", "src/lib.rs"] {
            assert!(dir.join(file).is_file(), "{file} missing");
        }
        assert!(
            std::fs::read_to_string(dir.join("rust-toolchain.toml"))
                .unwrap()
                .contains("wasm32-wasip2")
        );

        cargo(&dir, &["test", "--quiet"]);
        cargo(
            &dir,
            &["build", "--quiet", "--release", "--target", "wasm32-wasip2"],
        );
        let component = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("scaffold-target/wasm32-wasip2/release")
            .join(format!("my_{kind}.wasm"));
        let checked = root.join(format!("{name}.wasm"));
        std::fs::copy(&component, &checked).unwrap();
        let (ok, stdout, stderr) = plugin_check(&checked, config);
        assert!(ok, "{stdout}\n{stderr}");
        assert!(
            stdout.contains(needle) && stdout.contains("check:    ok"),
            "{stdout}"
        );
    }

    // A second `plugin new` into a non-empty folder refuses, and so does a
    // bad name, in every language (`scaffold.rs` builds the Python and JS
    // projects).
    for lang in ["rust", "python", "js"] {
        let out = wasmgate()
            .args([
                "plugin",
                "new",
                "my-filter",
                "--kind",
                "filter",
                "--lang",
                lang,
                "--dir",
            ])
            .arg(root.join("my-filter"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
        let out = wasmgate()
            .args([
                "plugin", "new", "Bad_Name", "--kind", "filter", "--lang", lang,
            ])
            .current_dir(&root)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a usable plugin name"));
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// Compiling the bundled plugins on a cold cache takes about 100 MB of
/// compiler scratch; the gateway must give it back once it serves (it used
/// to keep it: 106–156 MB resident against 40 MB on a warm cache).
#[cfg(target_os = "linux")]
#[test]
fn serve_gives_back_the_memory_compiling_took() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    const LIMIT_KB: u64 = 80 * 1024;
    let dir = std::env::temp_dir().join(format!("wasmgate-cli-rss-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wasmgate.toml");
    let cache = dir.join("cache");
    std::fs::write(
        &path,
        format!("[plugins]\ncache_dir = {:?}\n", cache.display().to_string()),
    )
    .unwrap();
    let mut child = wasmgate()
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.contains("wasmgate listening"));
    assert!(listening, "the gateway did not start");
    let rss_kb = || {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
    };
    let started = Instant::now();
    let mut rss = rss_kb();
    while rss > LIMIT_KB && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(200));
        rss = rss_kb();
    }
    let compiled = std::fs::read_dir(&cache).unwrap().count();
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        compiled > 5,
        "the cache was cold: {compiled} artifacts written"
    );
    assert!(rss <= LIMIT_KB, "resident after a cold start: {rss} kB");
}
