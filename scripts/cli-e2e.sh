#!/usr/bin/env bash
# Real CLI agents through wasmgate, end to end (not part of scripts/test.sh).
#
# Installs Claude Code, Codex, the Gemini CLI and opencode from npm into
# target/cli, starts the multi-wire mock upstream (tests/sdk/mock_server.py)
# and the gateway in front of it, then runs each CLI non-interactively against
# two provider kinds. The mock answers the CLI's prompt by calling the CLI's
# own shell (or read) tool on a marker file holding a fresh random token, and
# answers the tool result with "Tool said: <token>"; a case passes when the
# CLI prints that line, which it only can after a full prompt -> tool call ->
# local tool run -> tool result -> answer round trip through the gateway.
#
#   scripts/cli-e2e.sh                 # every case
#   scripts/cli-e2e.sh claude opencode # only these CLIs (claude codex gemini opencode)
#
# Environment: CLI_TIMEOUT (seconds per case, default 120), WASMGATE_BIN
# (gateway binary, default target/release/wasmgate, built when missing),
# KEEP=1 keeps the work dir (logs, homes, requests.jsonl) even on success,
# CODEX_SANDBOX overrides Codex's `--sandbox read-only` (its Linux sandbox
# needs user namespaces; `--dangerously-bypass-approvals-and-sandbox` where
# there are none).
# Every CLI runs with HOME, CODEX_HOME and XDG_* in a temp dir, never ~.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLI_DIR=$ROOT/target/cli
BIN=${WASMGATE_BIN:-$ROOT/target/release/wasmgate}
TIMEOUT=${CLI_TIMEOUT:-120}
KEY=local-cli-e2e-key
PROMPT="Print the contents of the file marker.txt in the current directory using your tools, then reply with what it says."

die() { echo "cli-e2e: $*" >&2; exit 2; }

# --- CLIs and gateway binary -------------------------------------------------
need_install=0
for b in claude codex gemini opencode; do
  [ -x "$CLI_DIR/node_modules/.bin/$b" ] || need_install=1
done
if [ "$need_install" = 1 ]; then
  command -v npm >/dev/null || die "npm is required"
  npm install --prefix "$CLI_DIR" --no-fund --no-audit \
    @anthropic-ai/claude-code @openai/codex @google/gemini-cli opencode-ai || die "npm install failed"
fi
export PATH="$CLI_DIR/node_modules/.bin:$PATH"
if [ ! -x "$BIN" ]; then
  cargo build --release --bin wasmgate || die "cargo build failed"
fi

# --- work dir, mock upstream, gateway ----------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wasmgate-cli-e2e.XXXXXX")
PROJECT=$WORK/project
MARKER=$PROJECT/marker.txt
mkdir -p "$PROJECT" "$WORK/logs" "$WORK/homes" "$WORK/tmp"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

: >"$MARKER"
WASMGATE_CLI_MARKER=$MARKER python3 -u tests/sdk/mock_server.py --port 0 --log "$WORK/requests.jsonl" \
  >"$WORK/mock.port" 2>"$WORK/mock.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/mock.port" ] && break; sleep 0.1; done
MOCK_PORT=$(head -1 "$WORK/mock.port")
[ -n "$MOCK_PORT" ] || die "mock upstream did not start: $(cat "$WORK/mock.log")"
UP=http://127.0.0.1:$MOCK_PORT

PORT=$(free_port)
GW=http://127.0.0.1:$PORT
cat >"$WORK/wasmgate.toml" <<EOF
[server]
listen = "127.0.0.1:$PORT"
api_keys = ["$KEY"]

[plugins]
cache_dir = "$ROOT/target/sdk-component-cache"

[[upstreams]]
name = "chat"
provider = "openai"
base_url = "$UP/v1"
api_keys = ["sk-upstream"]
models = ["gpt-*"]

[[upstreams]]
name = "responses"
provider = "openai-responses"
base_url = "$UP/v1"
api_keys = ["sk-upstream"]
models = ["resp-*"]

[[upstreams]]
name = "anthropic"
provider = "anthropic"
base_url = "$UP"
api_keys = ["sk-ant-upstream"]
models = ["claude-*"]

[[upstreams]]
name = "gemini"
provider = "gemini"
base_url = "$UP"
api_keys = ["gem-upstream"]
models = ["gemini-*"]

# Model names the CLIs make up for side calls (titles, routing) land here.
[[upstreams]]
name = "other"
provider = "openai"
base_url = "$UP/v1"
api_keys = ["sk-upstream"]
models = ["*"]
EOF
RUST_LOG=${RUST_LOG:-info} "$BIN" serve --config "$WORK/wasmgate.toml" >"$WORK/wasmgate.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do
  curl -sf "$GW/health" >/dev/null 2>&1 && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || die "gateway exited: $(cat "$WORK/wasmgate.log")"
  sleep 0.1
done
curl -sf "$GW/health" >/dev/null || die "gateway did not become healthy"

# --- one function per CLI: run_<cli> CASE MODEL (cwd: the project) ------------
# Each sets up its own fresh HOME under $WORK/homes/CASE.

# Sets HOME_ENV (env assignments) and makes the dirs.
home_env() {
  local h=$WORK/homes/$1
  mkdir -p "$h/.config" "$h/.cache" "$h/.local/share" "$h/.local/state" "$h/codex"
  HOME_ENV=("HOME=$h" "XDG_CONFIG_HOME=$h/.config" "XDG_CACHE_HOME=$h/.cache" "XDG_DATA_HOME=$h/.local/share"
            "XDG_STATE_HOME=$h/.local/state" "CODEX_HOME=$h/codex" "TMPDIR=$WORK/tmp")
}

run_claude() {
  local case=$1 model=$2
  home_env "$case"
  env "${HOME_ENV[@]}" \
    ANTHROPIC_BASE_URL="$GW" ANTHROPIC_API_KEY="$KEY" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    DISABLE_AUTOUPDATER=1 \
    timeout -k 10 "$TIMEOUT" claude -p "$PROMPT" --model "$model" --allowedTools "Bash(cat:*)" Read
}

run_codex() {
  local case=$1 model=$2 h=$WORK/homes/$1
  home_env "$case"
  cat >"$h/codex/config.toml" <<EOF
model = "$model"
model_provider = "wasmgate"

[model_providers.wasmgate]
name = "wasmgate"
base_url = "$GW/v1"
env_key = "WASMGATE_KEY"
wire_api = "responses"
EOF
  env "${HOME_ENV[@]}" WASMGATE_KEY="$KEY" \
    timeout -k 10 "$TIMEOUT" codex exec --skip-git-repo-check --disable plugins \
    ${CODEX_SANDBOX:---sandbox read-only} -m "$model" "$PROMPT"
}

run_gemini() {
  local case=$1 model=$2 h=$WORK/homes/$1
  home_env "$case"
  mkdir -p "$h/.gemini"
  echo '{"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false}}' \
    >"$h/.gemini/settings.json"
  env "${HOME_ENV[@]}" GEMINI_API_KEY="$KEY" GOOGLE_GEMINI_BASE_URL="$GW" GEMINI_CLI_TRUST_WORKSPACE=true \
    timeout -k 10 "$TIMEOUT" gemini -m "$model" --yolo -p "$PROMPT"
}

run_opencode() {
  local case=$1 model=$2 h=$WORK/homes/$1
  home_env "$case"
  cat >"$h/opencode.json" <<EOF
{
  "\$schema": "https://opencode.ai/config.json",
  "autoupdate": false,
  "share": "disabled",
  "permission": {"*": "allow", "bash": "allow", "read": "allow", "external_directory": "allow"},
  "provider": {
    "wgchat": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "wasmgate (chat)",
      "options": {"baseURL": "$GW/v1", "apiKey": "$KEY"},
      "models": {"gpt-fake": {"name": "gpt-fake", "tool_call": true}}
    },
    "wganthropic": {
      "npm": "@ai-sdk/anthropic",
      "name": "wasmgate (anthropic)",
      "options": {"baseURL": "$GW/v1", "apiKey": "$KEY"},
      "models": {"claude-fake": {"name": "claude-fake", "tool_call": true}}
    }
  }
}
EOF
  env "${HOME_ENV[@]}" OPENCODE_CONFIG="$h/opencode.json" OPENCODE_DISABLE_AUTOUPDATE=1 \
    OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_LSP_DOWNLOAD=1 OPENCODE_DISABLE_SHARE=1 \
    OPENCODE_DISABLE_CLAUDE_CODE=1 \
    timeout -k 10 "$TIMEOUT" opencode run -m "$model" "$PROMPT"
}

# CLI, provider kind, model: two provider kinds per CLI.
CASES=(
  "claude anthropic claude-fake"
  "claude openai-chat gpt-fake"
  "opencode openai-chat wgchat/gpt-fake"
  "opencode anthropic wganthropic/claude-fake"
  "codex openai-responses resp-fake"
  "codex anthropic claude-fake"
  "gemini gemini gemini-fake"
  "gemini openai-chat gpt-fake"
)

selected() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  for want in "${ONLY[@]}"; do [ "$want" = "$1" ] && return 0; done
  return 1
}
ONLY=("$@")

ROWS=()
failed=0
for entry in "${CASES[@]}"; do
  read -r cli kind model <<<"$entry"
  selected "$cli" || continue
  case_id=$cli-$kind
  token=wasmgate-marker-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
  echo "$token" >"$MARKER"
  out=$WORK/logs/$case_id.out
  echo "== $cli via $kind ($model)" >&2
  start=$(date +%s.%N)
  (cd "$PROJECT" && "run_$cli" "$case_id" "$model") </dev/null >"$out" 2>&1
  rc=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  if grep -qF "Tool said: $token" "$out"; then
    result=PASS
  else
    result=FAIL
    failed=1
    [ $rc -eq 124 ] && result="FAIL (timeout)"
    [ $rc -ne 0 ] && [ $rc -ne 124 ] && result="FAIL (exit $rc)"
    echo "--- $case_id output (last 30 lines of $out):" >&2
    tail -30 "$out" >&2
  fi
  ROWS+=("$(printf '%-9s %-17s %-16s %6s' "$cli" "$kind" "$result" "$secs")")
done

echo
printf '%-9s %-17s %-16s %6s\n' CLI PROVIDER RESULT SECONDS
for row in "${ROWS[@]}"; do echo "$row"; done
if [ "$failed" = 0 ] && [ "${KEEP:-0}" != 1 ]; then
  rm -rf "$WORK"
else
  echo "logs, homes and the mock's requests.jsonl: $WORK"
fi
exit "$failed"
