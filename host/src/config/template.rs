//! The commented config that `wasmgate config init` writes.

/// A commented `wasmgate.toml` with every key and its default.
pub const TEMPLATE: &str = r#"# wasmgate configuration. Every key is optional unless marked otherwise.
# Strings may use ${VAR} or ${VAR:-default} to read environment variables.
# Saved changes apply while serving, except server.listen, server.workers,
# server.max_body_bytes, [plugins], [runtime] and [http] (at the next start).

[server]
listen = "127.0.0.1:8788"            # address to serve on
# Local access keys. Clients send one as `Authorization: Bearer`, `x-api-key`,
# `x-goog-api-key` or `?key=`. Keys are never forwarded upstream.
api_keys = ["${WASMGATE_KEY:-}"]
# Keys for the admin API (GET /admin/plugins); none turns it off.
# admin_keys = ["${WASMGATE_ADMIN_KEY}"]
# With no api_keys, wasmgate refuses a non-loopback `listen` unless this is true.
allow_unauthenticated_remote = false
# Web pages whose requests are served (browsers send their origin); requests
# from any other page are refused. SDKs, CLIs and agents send none.
allowed_origins = []                 # e.g. ["http://localhost:3000"], or ["*"]
# With no api_keys on a loopback `listen`, only requests addressed to localhost,
# an IP address or one of these names are served (a page on any other name
# pointed at 127.0.0.1 could read answers: DNS rebinding).
allowed_hosts = []                   # e.g. ["devbox"]
max_body_bytes = 20971520           # largest request body (20 MiB)
workers = 0                          # worker threads; 0 = one per CPU

[plugins]
dir = "plugins"                      # relative to this file; files here override bundled plugins
# cache_dir = "/var/cache/wasmgate"  # compiled components (default: ~/.cache/wasmgate)

[runtime]
call_deadline_ms = 100               # running-time budget of one plugin call (+10 ms per MiB of request)
memory_limit_mib = 64                # memory cap of one plugin instance (+3x the request body)
max_instances = 1000                 # plugin instances alive at once
reuse_instances = true               # kept instances serve later requests (plugins declaring `reuse`)

[http]
connect_timeout_ms = 10000
first_byte_timeout_ms = 300000       # until the upstream's response headers
idle_timeout_ms = 300000             # longest silence between streamed chunks
max_response_bytes = 67108864        # largest non-streamed upstream body

# Upstreams are tried in order: the first whose `models` matches serves, and
# the others that match take over when all its keys are rate-limited (429),
# overloaded or failing (5xx), or it cannot be reached. Clients may also name
# one explicitly as "upstream/model" (no failover then).
[[upstreams]]
name = "demo"
provider = "echo"                    # answers locally; needs no key
models = ["echo"]

# [[upstreams]]
# name = "openai"
# provider = "openai"                # any OpenAI-compatible API
# base_url = "https://api.openai.com/v1"
# api_keys = ["${OPENAI_API_KEY}"]
# models = ["gpt-*", "o3*", "o4*"]   # exact, prefix*, or "*"

# [[upstreams]]
# name = "openai-responses"
# provider = "openai-responses"      # the Responses API (reasoning items)
# api_keys = ["${OPENAI_API_KEY}"]
# models = ["gpt-5*"]

# [[upstreams]]
# name = "anthropic"
# provider = "anthropic"             # https://api.anthropic.com
# api_keys = ["${ANTHROPIC_API_KEY}"]
# models = ["claude-*"]
# config = { default_max_tokens = 8192 }

# [[upstreams]]
# name = "google"
# provider = "gemini"                # https://generativelanguage.googleapis.com
# api_keys = ["${GEMINI_API_KEY}"]
# models = ["gemini-*"]

# Filters run in this order on requests, and in reverse on responses.
# [[filters]]
# plugin = "example-filter"
# config = { system_prefix = "Be brief.", reply_suffix = "" }
# on_error = "fail"                  # or "skip": bypass this filter when it fails
"#;
