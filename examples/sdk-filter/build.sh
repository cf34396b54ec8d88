#!/usr/bin/env bash
# Build the sdk-filter example into target/examples/sdk-filter.wasm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi
cargo build --quiet --release --target wasm32-wasip2 \
  --manifest-path "$here/Cargo.toml" \
  --target-dir "$root/target/examples-build"
mkdir -p "$root/target/examples"
cp "$root/target/examples-build/wasm32-wasip2/release/sdk_filter.wasm" \
  "$root/target/examples/sdk-filter.wasm"
