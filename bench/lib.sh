# What bench/run.sh and bench/ab.sh share: the tools, the nginx mock
# upstream, the gateway's config, the request bodies, health waits and CPU
# accounting. Sourced with the repository root as the working directory and
# `$work` set to the run's scratch folder.

# wrk and nginx from Debian, when missing.
bench_tools() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v nginx >/dev/null || need+=(nginx-light)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# The mock upstream on port $1: nginx (one worker) returning a fixed chat
# completion, as JSON at /v1/chat/completions and as a 20-chunk SSE stream at
# /sse/v1/chat/completions. Its pid file is "$work/mock.pid".
start_mock() {
  python3 - "$work" "$1" host/tests/fixtures/full.chat.text.json <<'PY'
import json, sys
work, port, fixture = sys.argv[1:]
base = {"id": "chatcmpl-b", "object": "chat.completion.chunk", "created": 1, "model": "gpt-bench"}
chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
chunks += [{**base, "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}]} for i in range(18)]
chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
chunks.append({**base, "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 18, "total_tokens": 28}})
sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
body = open(fixture).read().strip()
open(f"{work}/mock.conf", "w").write(f"""worker_processes 1;
pid {work}/mock.pid;
error_log {work}/mock.err;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    location = /v1/chat/completions {{ default_type application/json; return 200 '{body}'; }}
    location = /sse/v1/chat/completions {{ default_type text/event-stream; return 200 '{sse}'; }}
  }}
}}
""")
PY
  nginx -c "$work/mock.conf"
}

# The baseline: a bare nginx proxy_pass hop on port $1 to the mock on port
# $2. It is its own nginx process, as wasmgate is: a hop between processes,
# not a jump inside one event loop. Its pid file is "$work/proxy.pid".
start_proxy() {
  cat > "$work/proxy.conf" <<CONF
worker_processes 1;
pid $work/proxy.pid;
error_log $work/proxy.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  # The agent's 65 KB turn stays in memory (the default spills bodies over
  # 16 KB to a temp file, and the upstream write then waits on delayed ACKs).
  client_body_buffer_size 1m;
  upstream mock { server 127.0.0.1:$2; keepalive 64; keepalive_requests 100000; }
  server {
    listen 127.0.0.1:$1;
    location / { proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
CONF
  nginx -c "$work/proxy.conf"
}

# A gateway config on stdout: listen on port $1, the mock on port $2 through
# the openai provider (model `gpt-bench` as JSON, `gpt-bench-sse` as SSE),
# `example-filter` on the path, and plugin files from folder $3 if given.
gateway_toml() {
  cat <<TOML
[server]
listen = "127.0.0.1:$1"
[plugins]
cache_dir = "$PWD/target/bench-component-cache"
${3:+dir = \"$3\"}
[[upstreams]]
name = "json"
provider = "openai"
base_url = "http://127.0.0.1:$2/v1"
api_keys = ["sk-bench"]
models = ["gpt-bench"]
[[upstreams]]
name = "sse"
provider = "openai"
base_url = "http://127.0.0.1:$2/sse/v1"
api_keys = ["sk-bench"]
models = ["gpt-bench-sse"]
[[filters]]
plugin = "example-filter"
config = {}
TOML
}

# The six agent filters (issue 5's chain), as TOML on stdout: they replace
# `example-filter` in `gateway_toml`'s config for `wg-agent` (run.sh) and
# for `FILTERS=agent` (ab.sh).
agent_filters() {
  cat bench/fixtures/agent-filters.toml
}

# Wait until the server on port $1 answers GET /health; else show the logs.
wait_healthy() {
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return; sleep 0.1; done
  cat "$work"/*.log
  return 1
}

# The request bodies: "$work/{json,sse,agent}.body" for loadgen and
# "$work/{json,sse,agent}.lua" for wrk. `agent` is a coding agent's turn
# (bench/fixtures/agent.chat.json, 65 KB: a long system prompt, 12 tool
# calls and their results, 20 tools with 43 KB of schemas), sent as JSON.
write_requests() {
  printf '%s' '{"model":"gpt-bench","messages":[{"role":"user","content":"Hello"}]}' > "$work/json.body"
  printf '%s' '{"model":"gpt-bench-sse","messages":[{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}}' > "$work/sse.body"
  cp bench/fixtures/agent.chat.json "$work/agent.body"
  local mode
  for mode in json sse agent; do
    # A long bracket: Lua takes the text as it is, backslashes included.
    printf 'wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = [==[%s]==]\n' \
      "$(cat "$work/$mode.body")" > "$work/$mode.lua"
  done
}

# CPU time (user + system, in µs) process $1 has used so far.
cpu_us() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%d", ($14 + $15) * 1000000 / hz}' /proc/"$1"/stat
}

# CPU µs per request between two cpu_us readings $1 and $2 over $3 requests.
per_request() {
  echo $(( ($2 - $1) / ($3 > 0 ? $3 : 1) ))
}
