"""CLI mode, shared by every wire mock: make a real CLI run one of its own tools.

Active only when the mock's environment has `WASMGATE_CLI_MARKER=<file>` and
a request declares tools of which none is `get_weather` (the SDK suite always
declares `get_weather`, so it never sees this mode). Then:

- no tool result anywhere in the conversation yet -> call the CLI's own shell
  tool with `cat <file>` (or its file-reading tool on `<file>`), arguments
  filled from that tool's JSON schema;
- the last turn carries a tool result -> text `Tool said: <line>`, `<line>`
  being the result's first line holding `MARKER_PREFIX` (from the prefix on,
  so `cat -n` numbering or a CLI's output header drops off), else its first
  non-empty line;
- otherwise (a later turn without a new result) -> the wire's usual answer.

The mock never reads the file: the token in it reaches the answer only
through the CLI's tool round trip.
"""

import json
import os

# Marker files written by scripts/cli-e2e.sh start with this.
MARKER_PREFIX = "wasmgate-marker-"

SHELL_TOOLS = ("Bash", "exec_command", "shell", "run_shell_command", "bash")
READ_TOOLS = ("Read", "read_file", "read")


def marker():
    """The marker file path, or None when CLI mode is off."""
    return os.environ.get("WASMGATE_CLI_MARKER") or None


def active(tools):
    """`tools` is [(name, schema)]: True when CLI mode applies to them."""
    return bool(marker()) and bool(tools) and all(name != "get_weather" for name, _ in tools)


def pick_call(tools):
    """(name, arguments dict) of the tool to call, or None when no declared
    tool is a known shell or read tool."""
    path = marker()
    by_name = dict(tools)
    for name in SHELL_TOOLS:
        if name in by_name:
            return name, _arguments(by_name[name] or {}, path, shell=True)
    for name in READ_TOOLS:
        if name in by_name:
            return name, _arguments(by_name[name] or {}, path, shell=False)
    return None


def _arguments(schema, path, shell):
    props = schema.get("properties") or {}
    args = {}
    command = f"cat {path}"
    if shell:
        for key in ("command", "cmd"):
            if key in props:
                if _type(props[key]) == "array":
                    args[key] = ["bash", "-lc", command]
                else:
                    args[key] = command
                break
        else:
            args["command"] = command
    else:
        for key in ("file_path", "absolute_path", "filePath", "path"):
            if key in props:
                args[key] = path
                break
        else:
            args["file_path"] = path
    for key in schema.get("required") or []:
        if key in args:
            continue
        kind = _type(props.get(key) or {})
        if kind == "string":
            args[key] = "Print the marker file"
        elif kind in ("integer", "number"):
            args[key] = 10000
        elif kind == "boolean":
            args[key] = False
        elif kind == "array":
            args[key] = []
        elif kind == "object":
            args[key] = {}
    return args


def _type(schema):
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return str(kind).lower() if kind else None


def texts(value):
    """Every string inside a tool result value, in order; a string holding a
    JSON object or array (a structured result another wire stringified) is
    looked into."""
    if isinstance(value, str):
        if value.lstrip().startswith(("{", "[")):
            try:
                return texts(json.loads(value))
            except ValueError:
                pass
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    if isinstance(value, dict):
        return [t for k, v in value.items() if k not in ("type", "id", "name", "cache_control") for t in texts(v)]
    return []


def answer(result):
    """The text that answers a tool result (any JSON value)."""
    lines = [line for t in texts(result) for line in t.splitlines()]
    for line in lines:
        if MARKER_PREFIX in line:
            return "Tool said: " + line[line.index(MARKER_PREFIX):].strip()
    first = next((line.strip() for line in lines if line.strip()), "")
    return "Tool said: " + first
