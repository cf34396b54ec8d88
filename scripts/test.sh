#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (release: wasmtime
# compiles and runs guests 10-20x faster than in debug), the first-party
# plugins' own tests, then the official Python SDK conformance suite against
# the real binary. The SDK (sdk/) and examples/sdk-filter run their native
# tests too.
set -euo pipefail
cd "$(dirname "$0")/.."

# Example plugins in other languages (each installs its own toolchain).
examples/build.sh
cargo test --release
cargo test --release --manifest-path plugins/Cargo.toml --target-dir target/wasm
# wasmgate-sdk (its unit, harness and README tests) and the example on it, natively.
cargo test --manifest-path sdk/Cargo.toml --target-dir target/sdk
cargo test --manifest-path examples/sdk-filter/Cargo.toml --target-dir target/examples-build
cargo build --release --bin wasmgate

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet -r tests/sdk/requirements.txt
WASMGATE_BIN="$PWD/target/release/wasmgate" .venv/bin/python -m pytest -q tests/sdk
