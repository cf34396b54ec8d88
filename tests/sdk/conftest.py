"""Fixtures: a mock OpenAI upstream and the real `wasmgate` binary in front of it."""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "host" / "tests" / "fixtures"
LOCAL_KEY = "local-test-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wire(path: str):
    """The mock module that speaks the wire `path` belongs to."""
    if path.startswith("/v1/chat/completions"):
        from upstreams import openai_chat as wire
    elif path.startswith("/v1/responses"):
        from upstreams import openai_responses as wire
    elif path.startswith("/v1/messages"):
        from upstreams import anthropic as wire
    elif ":generateContent" in path or ":streamGenerateContent" in path:
        from upstreams import gemini as wire
    else:
        return None
    return wire


class Upstream(BaseHTTPRequestHandler):
    """One mock upstream that speaks every provider wire, by path
    (`tests/sdk/upstreams/<wire>.py`), and records what it was sent."""

    requests: list = []
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.loads(raw) if raw else None
        path, _, query = self.path.partition("?")
        query = dict(urllib.parse.parse_qsl(query))
        headers = {k.lower(): v for k, v in self.headers.items()}
        Upstream.requests.append({"path": path, "query": query, "headers": headers, "body": body})
        wire = _wire(path)
        if wire is None:
            status, content_type, chunks = 404, "application/json", [b'{"error":{"message":"no such path"}}']
        else:
            status, content_type, chunks = wire.handle("POST", path, query, headers, body)
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


@pytest.fixture(scope="session")
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def gateway(upstream):
    binary = Path(os.environ.get("WASMGATE_BIN", ROOT / "target" / "release" / "wasmgate"))
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="wasmgate-sdk-"))
    config = workdir / "wasmgate.toml"
    config.write_text(
        f"""
[server]
listen = "127.0.0.1:{port}"
api_keys = ["{LOCAL_KEY}"]

[plugins]
cache_dir = "{ROOT / 'target' / 'sdk-component-cache'}"

[[upstreams]]
name = "mock"
provider = "openai"
base_url = "{upstream}/v1"
api_keys = ["sk-upstream"]
models = ["gpt-*"]

[[upstreams]]
name = "responses"
provider = "openai-responses"
base_url = "{upstream}/v1"
api_keys = ["sk-upstream"]
models = ["resp-*"]

[[upstreams]]
name = "anthropic"
provider = "anthropic"
base_url = "{upstream}"
api_keys = ["sk-ant-upstream"]
models = ["claude-*"]

[[upstreams]]
name = "gemini"
provider = "gemini"
base_url = "{upstream}"
api_keys = ["gem-upstream"]
models = ["gemini-*"]

[[upstreams]]
name = "demo"
provider = "echo"
models = ["echo"]

[[filters]]
plugin = "example-filter"
config = {{ reply_suffix = "" }}
"""
    )
    log = open(workdir / "wasmgate.log", "wb")
    proc = subprocess.Popen([str(binary), "serve", "--config", str(config)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((workdir / "wasmgate.log").read_text())
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
