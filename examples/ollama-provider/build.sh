#!/usr/bin/env bash
# Build the ollama-provider example plugin into
# target/examples/ollama-provider.wasm (paths from the repo root).
#
# Needs only rustup: the repo's rust-toolchain.toml pins the toolchain, and
# the wasm32-wasip2 target is added when missing. Dependencies come from
# crates.io at the versions in examples/ollama-provider/Cargo.lock. Cargo
# makes a second run with nothing changed a no-op (well under a second).
#
# Unit tests of the wire mapping (native, about a minute cold):
#   cargo test --manifest-path examples/ollama-provider/Cargo.toml --target-dir target/examples-build
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi

cargo build --release --locked --quiet \
  --target wasm32-wasip2 \
  --manifest-path examples/ollama-provider/Cargo.toml \
  --target-dir target/examples-build

# Copy then rename, so a reader (a test, a watching gateway) never sees a
# half-written file.
mkdir -p target/examples
cp -p target/examples-build/wasm32-wasip2/release/ollama_provider.wasm \
  target/examples/.ollama-provider.wasm.tmp
mv -f target/examples/.ollama-provider.wasm.tmp target/examples/ollama-provider.wasm
