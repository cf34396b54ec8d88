#!/usr/bin/env bash
# Build examples/js-filter/filter.js into target/examples/js-filter.wasm with
# componentize-qjs (QuickJS + Wizer), installed from the npm registry at the
# exact versions of package-lock.json into target/examples/js-filter-toolchain.
# Quick when nothing changed: installs only when the lock file changed and
# builds only when an input is newer than the component.
set -euo pipefail
cd "$(dirname "$0")/../.."

src=examples/js-filter
tools=target/examples/js-filter-toolchain
out=target/examples/js-filter.wasm
bin=$tools/node_modules/.bin/componentize-qjs

mkdir -p "$tools"
# Tests running side by side may all ask for the component at once.
if command -v flock >/dev/null; then
  exec 9>"target/examples/.js-filter.lock"
  flock 9
fi
# `installed.lock` is the lock file of the last install that succeeded.
if [ ! -x "$bin" ] || ! cmp -s "$src/package-lock.json" "$tools/installed.lock"; then
  echo "js-filter: installing componentize-qjs (npm ci) into $tools" >&2
  rm -f "$tools/installed.lock"
  cp "$src/package.json" "$src/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$src/package-lock.json" "$tools/installed.lock"
fi

inputs=("$src/filter.js" "$src/package-lock.json" "$src/build.sh" wit/*.wit)
if [ -f "$out" ] && [ -z "$(find "${inputs[@]}" -newer "$out" 2>/dev/null)" ]; then
  exit 0
fi

# --sync: the gateway runs without component-model async, and the contract
# has no async functions.
"$bin" --wit wit --world filter-plugin --sync \
  --js "$src/filter.js" -o "$out.tmp" >&2
mv "$out.tmp" "$out"
