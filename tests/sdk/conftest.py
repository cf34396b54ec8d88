"""Fixtures: a mock OpenAI upstream and the real `wasmgate` binary in front of it."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from mock_server import Upstream, serve

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "host" / "tests" / "fixtures"
LOCAL_KEY = "local-test-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def upstream():
    server = serve()
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
