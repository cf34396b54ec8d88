"""Fixtures: a mock OpenAI upstream and the real `wasmgate` binary in front of it."""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
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


class Upstream(BaseHTTPRequestHandler):
    """Speaks the OpenAI Chat Completions wire using the shared fixtures."""

    requests: list = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Upstream.requests.append({"headers": dict(self.headers), "body": body})
        kind = "tool" if body.get("tools") else "text"
        if body.get("stream"):
            data = (FIXTURES / f"full.chat.{kind}.sse").read_bytes()
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for event in data.split(b"\n\n"):
                if event.strip():
                    self.wfile.write(event + b"\n\n")
                    self.wfile.flush()
                    time.sleep(0.002)
        else:
            data = (FIXTURES / f"full.chat.{kind}.json").read_bytes()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)


@pytest.fixture(scope="session")
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
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
base_url = "{upstream}"
api_keys = ["sk-upstream"]
models = ["gpt-*"]

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
