//! The `wasmgate` binary's command line.

use std::process::Command;

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

/// `wasmgate plugin check FILE [--config JSON]`, with a fresh compile cache.
fn plugin_check(file: &std::path::Path, config: &str) -> (bool, String, String) {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-home");
    let out = wasmgate()
        .args(["plugin", "check"])
        .arg(file)
        .args(["--config", config])
        .env("HOME", &cache)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
