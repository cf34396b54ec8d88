#!/usr/bin/env bash
# A/B of two wasmgate builds on a noisy machine: both gateways run side by
# side against the same nginx mock (openai provider + example-filter), and
# the measurements alternate between them, round after round, so a slow
# minute of the host hits both.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [ROUNDS]     # ROUNDS=4 by default
#
# Copy a build aside before changing the code (cp target/release/wasmgate
# /tmp/wasmgate-old), rebuild, then compare. PLUGINS_A / PLUGINS_B name a
# plugins folder for each side, to compare plugin builds under one binary.
# Each round prints, per side: c16 req/s, the gateway's CPU µs per request
# at c16, c1 p50, and p50/p90/p99 at a fixed rate. Compare medians.
# BODY=agent sends a coding agent's 65 KB turn instead of "Hello" (see
# write_requests in bench/lib.sh); RATE sets the fixed rate (2000).
# FILTERS=agent puts the six agent filters on the path instead of
# example-filter (agent_filters in bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,17p' "$0"; exit 2; }
A=$(realpath "$1") B=$(realpath "$2") ROUNDS=${3:-4} BODY=${BODY:-json} RATE=${RATE:-2000}
source bench/lib.sh
bench_tools
cargo build --release -p wasmgate-bench --bin loadgen

work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
MOCK=18931 PORT_A=18932 PORT_B=18933
start_mock "$MOCK"
gateway() { # side binary port plugins-dir
  gateway_toml "$3" "$MOCK" "$4" > "$work/$1.toml"
  if [ "${FILTERS:-}" = agent ]; then
    sed -i '/^\[\[filters\]\]/,$d' "$work/$1.toml"
    agent_filters >> "$work/$1.toml"
  fi
  "$2" serve --config "$work/$1.toml" 2>"$work/$1.log" &
  echo $! > "$work/$1.pid"
  wait_healthy "$3"
}
gateway a "$A" "$PORT_A" "${PLUGINS_A:-}"
gateway b "$B" "$PORT_B" "${PLUGINS_B:-}"
write_requests

for round in $(seq "$ROUNDS"); do
  for side in a b; do
    port=$PORT_A
    [ "$side" = b ] && port=$PORT_B
    url="http://127.0.0.1:$port/v1/chat/completions"
    pid=$(cat "$work/$side.pid")
    cpu0=$(cpu_us "$pid")
    c16=$(wrk -t2 -c16 -d4s -s "$work/$BODY.lua" "$url")
    cpu1=$(cpu_us "$pid")
    c1=$(wrk -t1 -c1 -d3s --latency -s "$work/$BODY.lua" "$url")
    fixed=$(target/release/loadgen "$url" "$work/$BODY.body" "$RATE" 16 3)
    requests=$(awk '/requests in/ {print $1}' <<<"$c16")
    printf 'round %s %s: c16 %s req/s, %s CPU µs/req; c1 p50 %s; %s req/s: %s\n' \
      "$round" "$side" "$(awk '/Requests\/sec/ {print $2}' <<<"$c16")" \
      "$(per_request "$cpu0" "$cpu1" "$requests")" \
      "$(awk '$1=="50%" {print $2}' <<<"$c1")" "$RATE" \
      "$(grep -o 'p50_us=[0-9]* p90_us=[0-9]* p99_us=[0-9]*' <<<"$fixed")"
  done
done
