"""One mock upstream that speaks every provider wire, by path.

Each wire lives in `upstreams/<wire>.py` and exposes
`handle(method, path, query, headers, body) -> (status, content_type, chunks)`;
this module only routes requests to them and writes the answers. The SDK
suite (`conftest.py`) runs `Upstream` in a thread; `scripts/cli-e2e.sh` runs
it standalone:

    python3 tests/sdk/mock_server.py --port 0 [--log requests.jsonl]

prints the port it listens on and serves until killed. With
`WASMGATE_CLI_MARKER=<file>` in its environment the wire mocks answer real
CLIs' own tools (see `upstreams/cli.py`).
"""

import argparse
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from upstreams import anthropic, gemini, openai_chat, openai_responses  # noqa: E402

# Models a GET model list answers with, one per wire's test prefix.
MODELS = ["gpt-fake", "resp-fake", "claude-fake", "gemini-fake"]


def _wire(path: str):
    """The mock module that speaks the wire `path` belongs to."""
    if path.startswith("/v1/chat/completions"):
        return openai_chat
    if path.startswith("/v1/responses"):
        return openai_responses
    if path.startswith("/v1/messages"):
        return anthropic
    if ":generateContent" in path or ":streamGenerateContent" in path:
        return gemini
    return None


def _get(path: str, headers: dict):
    """(status, content_type, chunks) for a GET: model lists and health."""
    google = path.startswith("/v1beta/") or "x-goog-api-key" in headers
    if path.rstrip("/") in ("/v1/models", "/models") and not google:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "mock",
                 "type": "model", "display_name": m} for m in MODELS]
        body = {"object": "list", "data": data, "has_more": False,
                "first_id": MODELS[0], "last_id": MODELS[-1]}
    elif path.rstrip("/") in ("/v1beta/models", "/v1/models"):
        body = {"models": [{"name": f"models/{m}"} for m in MODELS]}
    elif path.startswith(("/v1beta/models/", "/v1/models/")):
        name = path.split("/models/", 1)[1]
        body = {"name": f"models/{name}", "id": name, "object": "model", "created": 0, "owned_by": "mock"}
    elif path in ("/", "/health"):
        body = {"ok": True}
    else:
        return 404, "application/json", [b'{"error":{"message":"no such path"}}']
    return 200, "application/json", [json.dumps(body).encode()]


class Upstream(BaseHTTPRequestHandler):
    """Routes each request to its wire's mock (`upstreams/<wire>.py`) and
    records what it was sent in `Upstream.requests` (and, when `log` is set,
    one JSON line per request in that file)."""

    requests: list = []
    log = None
    _log_lock = threading.Lock()
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _record(self, method, body):
        path, _, query = self.path.partition("?")
        query = dict(urllib.parse.parse_qsl(query))
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = {"path": path, "query": query, "headers": headers, "body": body}
        Upstream.requests.append(record)
        if Upstream.log is not None:
            with Upstream._log_lock, open(Upstream.log, "a") as f:
                f.write(json.dumps({"method": method, **record}) + "\n")
        return path, query, headers

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.loads(raw) if raw else None
        path, query, headers = self._record("POST", body)
        wire = _wire(path)
        if wire is None:
            status, content_type, chunks = 404, "application/json", [b'{"error":{"message":"no such path"}}']
        else:
            status, content_type, chunks = wire.handle("POST", path, query, headers, body)
        self._send(status, content_type, chunks)

    def do_GET(self):
        path, _, headers = self._record("GET", None)
        self._send(*_get(path, headers))

    def do_HEAD(self):
        path, _, headers = self._record("HEAD", None)
        status, content_type, chunks = _get(path, headers)
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(sum(map(len, chunks))))
        self.end_headers()

    def _send(self, status, content_type, chunks):
        self.send_response(status)
        self.send_header("content-type", content_type)
        if len(chunks) == 1:
            self.send_header("content-length", str(len(chunks[0])))
            self.end_headers()
            self.wfile.write(chunks[0])
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
            time.sleep(0.002)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def serve(host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A started server on its own daemon thread."""
    server = ThreadingHTTPServer((host, port), Upstream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log", help="append every request as a JSON line to this file")
    args = parser.parse_args()
    Upstream.log = args.log
    server = ThreadingHTTPServer((args.host, args.port), Upstream)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
