#!/usr/bin/env bash
# Build the C filter (examples/c-filter/src) into target/examples/c-filter.wasm:
#
#   wit-bindgen c  ->  clang --target=wasm32-wasi (Debian's clang, lld and
#   wasi-libc)  ->  wasm-tools component new with the WASI preview1 reactor
#   adapter  ->  wasm-tools metadata add (+ the wasmgate:capabilities section)
#
# Installs what is missing: the Debian packages with apt-get, wit-bindgen-cli
# and wasm-tools with `cargo install` (pinned, few features) into
# target/examples/c-toolchain, and writes the adapter from the crate
# wasi-preview1-component-adapter-provider (the version of the gateway's
# wasmtime) with the little program in adapter/. The native tests (tests/:
# the config reader, and the hooks with the generated bindings) run before
# each build, under ASan/UBSan when the host compiler has them. Quick when
# nothing changed: the build is skipped
# when the inputs hash to the stamp of the last build.
set -euo pipefail
cd "$(dirname "$0")/../.."

WIT_BINDGEN_VERSION=0.63.0
WASM_TOOLS_VERSION=1.254.2
VERSION=0.1.0

here=examples/c-filter
tools=target/examples/c-toolchain
out=target/examples/c-filter.wasm
stamp=target/examples/c-filter.stamp
mkdir -p "$tools"

# Tests running side by side may all ask for the component at once.
if command -v flock >/dev/null; then
  exec 9>"target/examples/.c-filter.lock"
  flock 9
fi

say() { echo "c-filter: $*" >&2; }

# ---------------------------------------------------------------- Debian
# clang and lld with a wasm32 libc and compiler-rt builtins.
clang_rt() { clang --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true; }
apt_install() {
  local sudo=()
  if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
  say "installing Debian packages: $*"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" >&2; then
    # A fresh machine may have no package lists yet.
    "${sudo[@]}" apt-get update -q >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "$@" >&2
  fi
}
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || missing+=(lld)
[ -f /usr/include/wasm32-wasi/stdlib.h ] || missing+=(wasi-libc)
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi
if [ ! -f "$(clang_rt)" ]; then
  # libclang_rt.builtins-wasm32.a, packaged per clang version (14 on bookworm).
  major=$(clang -dumpversion | cut -d. -f1)
  apt_install "libclang-rt-$major-dev-wasm32"
fi

# ---------------------------------------------------------------- cargo
# `cargo install` is a no-op when the same version and features are there.
if [ "$("$tools/bin/wit-bindgen" --version 2>/dev/null | cut -d' ' -f2)" != "$WIT_BINDGEN_VERSION" ]; then
  say "installing wit-bindgen-cli $WIT_BINDGEN_VERSION into $tools"
  cargo install --quiet --locked --root "$tools" --version "$WIT_BINDGEN_VERSION" \
    --no-default-features --features c wit-bindgen-cli
fi
if [ "$("$tools/bin/wasm-tools" --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_TOOLS_VERSION" ]; then
  say "installing wasm-tools $WASM_TOOLS_VERSION into $tools"
  cargo install --quiet --locked --root "$tools" --version "$WASM_TOOLS_VERSION" \
    --no-default-features --features component,metadata wasm-tools
fi
# The adapter, rewritten when its crate's lock changes.
adapter=$tools/wasi_snapshot_preview1.reactor.wasm
if [ ! -f "$adapter" ] || ! cmp -s "$here/adapter/Cargo.lock" "$tools/adapter.lock"; then
  say "writing the WASI preview1 reactor adapter"
  cargo run --quiet --locked --release --manifest-path "$here/adapter/Cargo.toml" \
    --target-dir "$tools/adapter-build" -- "$adapter.tmp"
  mv "$adapter.tmp" "$adapter"
  cp "$here/adapter/Cargo.lock" "$tools/adapter.lock"
fi

# ---------------------------------------------------------------- build
inputs=$(
  {
    echo "wit-bindgen $WIT_BINDGEN_VERSION wasm-tools $WASM_TOOLS_VERSION $VERSION"
    clang --version | head -n1
    sha256sum "$here"/src/*.[ch] "$here"/tests/*.c "$here"/build.sh \
      "$here"/adapter/Cargo.lock wit/*.wit
  } | sha256sum | cut -d' ' -f1
)
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
  exit 0
fi

work=$(mktemp -d "target/examples/c-filter-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# It names each file it writes on stderr; shown only when it fails.
if ! "$tools/bin/wit-bindgen" c wit --world filter-plugin --out-dir "$work/gen" >"$work/bindgen.log" 2>&1; then
  cat "$work/bindgen.log" >&2
  exit 1
fi
# Native tests of the config reader and of the hooks (with the generated
# bindings and stubbed host imports), with sanitizers when the compiler has
# them: ownership mistakes (leaks, double frees, use after free) fail here.
native=${CC:-cc}
if command -v "$native" >/dev/null; then
  sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all)
  # Only when they compile and run here (ASan needs its runtime and may be
  # refused by a sandbox).
  if ! { echo 'int main(void){return 0;}' |
    "$native" "${sanitize[@]}" -x c - -o "$work/probe" && "$work/probe"; } >/dev/null 2>&1; then
    say "the host compiler has no working sanitizers: native tests without them"
    sanitize=()
  fi
  cc_native() { "$native" -std=c11 -O1 -g -Wall -Wextra -Werror "${sanitize[@]}" "$@"; }
  cc_native -c "$here/src/config.c" -o "$work/config.o"
  cc_native "$work/config.o" "$here/tests/test_config.c" -o "$work/test_config"
  "$work/test_config" >/dev/null
  # The resource constructor keeps a pointer in an i32 handle (wasm32
  # only), so the test stands in for it.
  cc_native -Wno-unused-parameter -DC_FILTER_NATIVE_TEST \
    -Dexports_wasmgate_plugin_filter_stream_filter_new=test_stream_filter_new \
    -I "$work/gen" -I "$here/src" -c "$here/src/filter.c" -o "$work/filter.o"
  # The generated code is not ours to warn about.
  "$native" -std=c11 -O1 -g -w "${sanitize[@]}" -I "$work/gen" \
    -c "$work/gen/filter_plugin.c" -o "$work/bindings.o"
  cc_native -I "$work/gen" -I "$here/src" "$here/tests/test_filter.c" \
    "$work/filter.o" "$work/bindings.o" "$work/config.o" -o "$work/test_filter"
  "$work/test_filter" >/dev/null
else
  say "no host C compiler ($native): skipping the native tests"
fi

# -mexec-model=reactor: a library with exports (and `_initialize`), no main.
# The generated *_component_type.o carries the world for `component new`.
clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor \
  -std=c11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
  -I "$work/gen" -I "$here/src" \
  "$here/src/filter.c" "$here/src/config.c" \
  "$work/gen/filter_plugin.c" "$work/gen/filter_plugin_component_type.o" \
  -Wl,--strip-debug -o "$work/core.wasm"
"$tools/bin/wasm-tools" component new "$work/core.wasm" \
  --adapt "wasi_snapshot_preview1=$adapter" -o "$work/component.wasm"
"$tools/bin/wasm-tools" metadata add "$work/component.wasm" \
  --name c-filter --version "$VERSION" \
  --description "Example filter written in C: caps max_tokens, limits prompt bytes, adds a footer." \
  --authors "wasmgate contributors" \
  --licenses Apache-2.0 \
  -o "$work/stamped.wasm"
# The capabilities it asks for beyond the contract's imports: none. A custom
# section: id 0, size 24, name length 21, name, payload `[]`.
printf '\000\030\025wasmgate:capabilities[]' >>"$work/stamped.wasm"
mv "$work/stamped.wasm" "$out.tmp"
mv "$out.tmp" "$out"
echo "$inputs" >"$stamp"
