#!/usr/bin/env bash
# wasmgate's throughput as a share of a bare nginx proxy hop (DESIGN.md's
# bar: at least half, with plugins on the path), measured round after round
# with the two taking turns, so a slow minute of a noisy host hits both.
#
#   bench/share.sh [ROUNDS]      # ROUNDS=5 by default; SECONDS_PER_RUN=4
#
# Each round runs `wrk -c16` against nginx, then against wasmgate (openai
# provider + example-filter), for each body: "Hello" as JSON, as SSE, and a
# coding agent's 65 KB turn (BODIES="json sse agent" by default). It prints
# every round's req/s and share, then the median share per body. WASMGATE
# names a built binary to measure instead of building target/release's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5} SECONDS_PER_RUN=${SECONDS_PER_RUN:-4} BODIES=${BODIES:-json sse agent}
source bench/lib.sh
bench_tools
if [ -z "${WASMGATE:-}" ]; then
  cargo build --release -p wasmgate
  WASMGATE=target/release/wasmgate
fi

work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
MOCK=18941 NGINX=18942 GATE=18943
start_mock "$MOCK"
start_proxy "$NGINX" "$MOCK"
gateway_toml "$GATE" "$MOCK" > "$work/wasmgate.toml"
"$WASMGATE" serve --config "$work/wasmgate.toml" 2>"$work/gate.log" &
echo $! > "$work/gate.pid"
wait_healthy "$GATE"
write_requests

# Requests per second of one c16 run: port, path, body.
rps() {
  wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" -s "$work/$3.lua" "http://127.0.0.1:$1$2" |
    awk '/Requests\/sec/ {print $2}'
}
for body in $BODIES; do
  proxied=/v1/chat/completions
  [ "$body" = sse ] && proxied=/sse/v1/chat/completions
  # Warm both (connections, instance pools, caches).
  rps "$NGINX" "$proxied" "$body" >/dev/null
  rps "$GATE" /v1/chat/completions "$body" >/dev/null
  : > "$work/$body.shares"
  for round in $(seq "$ROUNDS"); do
    nginx_rps=$(rps "$NGINX" "$proxied" "$body")
    gate_rps=$(rps "$GATE" /v1/chat/completions "$body")
    share=$(awk -v g="$gate_rps" -v n="$nginx_rps" 'BEGIN {printf "%.1f", 100 * g / n}')
    echo "$share" >> "$work/$body.shares"
    printf '%-5s round %s: nginx %9s req/s, wasmgate %9s req/s: %5s%%\n' \
      "$body" "$round" "$nginx_rps" "$gate_rps" "$share"
  done
  printf '%-5s median share of nginx at c16: %s%%\n' "$body" \
    "$(sort -n "$work/$body.shares" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
done
