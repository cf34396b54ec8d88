#!/usr/bin/env bash
# Build the Python `house-rules` filter into target/examples/python-filter.wasm.
#
# Installs componentize-py (pinned) into the repo's .venv when missing, then
# builds the component. Quick when nothing changed: the build is skipped when
# the sources, the WIT contract and the tool version hash to the same stamp.
set -euo pipefail
cd "$(dirname "$0")/../.."

COMPONENTIZE_PY_VERSION=0.25.1
src=examples/python-filter/src
out=target/examples/python-filter.wasm
stamp=target/examples/python-filter.stamp

mkdir -p target/examples
# Tests running side by side may all ask for the component (or the
# toolchain) at once.
if command -v flock >/dev/null; then
  exec 9>"target/examples/.python-filter.lock"
  flock 9
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ "$(.venv/bin/componentize-py --version 2>/dev/null)" != "componentize-py $COMPONENTIZE_PY_VERSION" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
fi

inputs=$(
  {
    echo "componentize-py $COMPONENTIZE_PY_VERSION"
    sha256sum "$src"/*.py wit/*.wit
  } | sha256sum | cut -d' ' -f1
)
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
  exit 0
fi

mkdir -p target/examples
# -s: stub out WASI (the filter needs none of it), so the component imports only the wasmgate contract.
.venv/bin/componentize-py -d wit -w filter-plugin componentize -s \
  -p "$src" app -o "$out.tmp" >/dev/null
mv "$out.tmp" "$out"
echo "$inputs" > "$stamp"
