#!/usr/bin/env bash
# Benchmark: added latency and throughput of wasmgate (openai provider plugin
# + one filter plugin on the path; and `wg-agent`: the same with the six
# agent filters on) against a direct call to the same mock, a bare nginx
# proxy_pass hop, and `bare`: wasmgate's HTTP stack (axum, hyper, its client,
# tokio, one runtime per worker) forwarding bytes with nothing in between,
# all in one run on loopback.
#
#   bench/run.sh            # DURATION=10 by default; wrk and nginx from Debian
#
# Prints a table of req/s, latency p50/p99 and CPU per request for c1 and
# c16: "Hello" as JSON and as SSE, and a coding agent's 65 KB turn (agent),
# plus the gateway's RSS after load. Not a test: numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
source bench/lib.sh
bench_tools
cargo build --release -p wasmgate -p wasmgate-bench

work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
MOCK=18901 NGINX=18902 GATE=18903 AGENT=18904 BARE=18905

start_mock "$MOCK"
start_proxy "$NGINX" "$MOCK"

gateway_toml "$GATE" "$MOCK" > "$work/wasmgate.toml"
# The same gateway with every agent filter on (issue 5's chain).
sed -e "s/:$GATE\"/:$AGENT\"/" -e '/^\[\[filters\]\]/,$d' "$work/wasmgate.toml" > "$work/agent.toml"
agent_filters >> "$work/agent.toml"
target/release/wasmgate serve --config "$work/wasmgate.toml" 2>"$work/gate.log" &
echo $! > "$work/gate.pid"
target/release/wasmgate serve --config "$work/agent.toml" 2>"$work/agent.log" &
echo $! > "$work/agent.pid"
# The same HTTP stack with nothing in between: wasmgate's floor.
target/release/bare_proxy "127.0.0.1:$BARE" "http://127.0.0.1:$MOCK" 2>"$work/bare.log" &
echo $! > "$work/bare.pid"
for port in "$GATE" "$AGENT" "$BARE"; do wait_healthy "$port"; done

rss() { awk '/VmRSS/ {print $2, $3}' /proc/"$(cat "$work/gate.pid")"/status; }
rss_start=$(rss)

write_requests

# The process serving `name` (for `direct`, the mock itself).
pid_of() {
  case $1 in
    direct) pgrep -P "$(cat "$work/mock.pid")" | head -1 ;;
    nginx) pgrep -P "$(cat "$work/proxy.pid")" | head -1 ;;
    bare) cat "$work/bare.pid" ;;
    wasmgate) cat "$work/gate.pid" ;;
    wg-agent) cat "$work/agent.pid" ;;
  esac
}
run() { # name port mode conns
  local out path=/v1/chat/completions
  case $1 in wasmgate | wg-agent) ;; *) [ "$3" = sse ] && path=/sse/v1/chat/completions ;; esac
  local pid cpu0 cpu1
  pid=$(pid_of "$1")
  cpu0=$(cpu_us "$pid")
  out=$(wrk -t "$([ "$4" -gt 1 ] && echo 2 || echo 1)" -c "$4" -d "${DURATION}s" --latency -s "$work/$3.lua" "http://127.0.0.1:$2$path")
  cpu1=$(cpu_us "$pid")
  local rps p50 p99 requests
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  printf '| %-8s | %-5s | c%-3s | %10s | %9s | %9s | %10s |\n' "$1" "$3" "$4" "$rps" "$p50" "$p99" \
    "$(per_request "$cpu0" "$cpu1" "$requests")"
}
echo "CPU µs/req: CPU time of the process serving the path (the mock itself for"
echo "direct), per request, over the run; the steadiest figure on a noisy host."
echo
echo "| path     | body  | conc | req/s      | p50       | p99       | CPU µs/req |"
echo "|----------|-------|------|------------|-----------|-----------|------------|"
for conns in 1 16; do
  run direct "$MOCK" json "$conns"
  run nginx "$NGINX" json "$conns"
  run bare "$BARE" json "$conns"
  run wasmgate "$GATE" json "$conns"
  run wg-agent "$AGENT" json "$conns"
done
for conns in 1 16; do
  run direct "$MOCK" sse "$conns"
  run nginx "$NGINX" sse "$conns"
  run bare "$BARE" sse "$conns"
  run wasmgate "$GATE" sse "$conns"
  run wg-agent "$AGENT" sse "$conns"
done
# A coding agent's 65 KB turn (see write_requests in bench/lib.sh).
for conns in 1 16; do
  run direct "$MOCK" agent "$conns"
  run nginx "$NGINX" agent "$conns"
  run bare "$BARE" agent "$conns"
  run wasmgate "$GATE" agent "$conns"
  run wg-agent "$AGENT" agent "$conns"
done

# Added latency at a fixed offered load (open loop: latency counts from each
# request's scheduled time), the same for every path, so queueing in the load
# generator does not hide or inflate the hop's cost.
RATE=${RATE:-2000}
fixed() { # name port mode conns
  local path=/v1/chat/completions
  case $1 in wasmgate | wg-agent) ;; *) [ "$3" = sse ] && path=/sse/v1/chat/completions ;; esac
  printf '| %-8s | %-4s | c%-3s | %s\n' "$1" "$3" "$4" \
    "$(target/release/loadgen "http://127.0.0.1:$2$path" "$work/$3.body" "$RATE" "$4" "$DURATION")"
}
echo
echo "Fixed rate: $RATE req/s"
for mode in json sse; do
  fixed direct "$MOCK" "$mode" 16
  fixed nginx "$NGINX" "$mode" 16
  fixed bare "$BARE" "$mode" 16
  fixed wasmgate "$GATE" "$mode" 16
  fixed wg-agent "$AGENT" "$mode" 16
done

echo
echo "wasmgate RSS: at start $rss_start, after load $(rss), after 5 s idle $(sleep 5; rss)"
