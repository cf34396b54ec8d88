//! Writes the WASI preview1 **reactor** adapter (the bytes shipped in the
//! crate `wasi-preview1-component-adapter-provider`) to the path given as the
//! only argument, for `wasm-tools component new --adapt`.

use std::process::ExitCode;

use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: c-filter-adapter OUT.wasm");
        return ExitCode::FAILURE;
    };
    match std::fs::write(&path, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "c-filter-adapter: cannot write {}: {e}",
                path.to_string_lossy()
            );
            ExitCode::FAILURE
        }
    }
}
