#!/usr/bin/env bash
# Build every example plugin into target/examples/<name>.wasm, each with its
# own examples/<name>/build.sh (which installs its toolchain from the
# registries when missing). Prints each component's size and build time.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
mkdir -p target/examples
for script in examples/*/build.sh; do
  name=$(basename "$(dirname "$script")")
  start=$(date +%s%N)
  bash "$script"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  size=$(stat -c %s "target/examples/$name.wasm")
  printf 'example %-20s %9d bytes  built in %d ms\n' "$name" "$size" "$ms"
done
