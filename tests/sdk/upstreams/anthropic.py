"""Mock Anthropic Messages API upstream (pure stdlib, no server, no threads).

A test server calls :func:`handle` for requests on the Anthropic wire
(``POST /v1/messages`` and ``POST /v1/messages/count_tokens``) and writes the
returned chunks, pausing briefly between them when there are several.

Behaviour, in the exact Anthropic wire format:

* no ``x-api-key`` / ``authorization`` header -> 401 ``authentication_error``;
* a model name containing ``error-400``, ``error-401``, ``error-429`` or
  ``error-500`` -> that status with Anthropic's error body and the message
  ``"mock <status> error"``;
* last turn carries a ``tool_result`` -> text ``"Sunny, 22 C in Paris."``
  (``end_turn``);
* else tools declared -> ``tool_use`` for ``get_weather`` {"city": "Paris"}
  (and {"city": "Tokyo"} when any user text says "parallel"), ``tool_use``;
* else text ``"Hello from the mock anthropic upstream."`` (``end_turn``);
* ``thinking.type`` of ``enabled`` or ``adaptive`` -> a ``thinking`` block
  first: "Let me think." signed ``sig-anthropic-1``;
* usage: 10 prompt tokens (6 uncached + 4 read from cache), 5 output;
* CLI mode (``upstreams/cli.py``: ``WASMGATE_CLI_MARKER`` set, tools declared,
  none ``get_weather``): a ``tool_use`` of the CLI's own shell/read tool on
  the marker file until a ``tool_result`` exists, then ``Tool said: <line>``;
* ``"stream": true`` -> Anthropic SSE (``event: X`` / ``data: {...}``), one
  event per chunk, a ``ping`` after ``message_start``, text in at least 3
  ``text_delta``s and tool input in at least 2 ``input_json_delta``s.
"""

import json

from . import cli

WIRE = "anthropic"
MESSAGE_ID = "msg_mock_01"
REQUEST_ID = "req_mock_01"
TOOL_IDS = ("toolu_mock_01", "toolu_mock_02")
THINKING_TEXT = "Let me think."
SIGNATURE = f"sig-{WIRE}-1"
TOOL_RESULT_TEXT = "Sunny, 22 C in Paris."
HELLO_TEXT = f"Hello from the mock {WIRE} upstream."

# Model-name markers that force an error: status and Anthropic error type.
MODEL_ERRORS = {
    "error-400": (400, "invalid_request_error"),
    "error-401": (401, "authentication_error"),
    "error-429": (429, "rate_limit_error"),
    "error-500": (500, "api_error"),
}

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"


def handle(method, path, query, headers, body):
    """Answer one request: ``(status, content_type, chunks)``."""
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    route = path.split("?", 1)[0].rstrip("/")
    if str(method).upper() != "POST" or route not in (MESSAGES_PATH, COUNT_TOKENS_PATH):
        return _error(404, "not_found_error", f"Not found: {method} {path}")
    if not (lowered.get("x-api-key") or lowered.get("authorization")):
        return _error(401, "authentication_error", "x-api-key header is required")
    if not isinstance(body, dict):
        return _error(400, "invalid_request_error", "request body must be a JSON object")

    model = str(body.get("model") or "")
    for marker, (status, error_type) in MODEL_ERRORS.items():
        if marker in model:
            return _error(status, error_type, f"mock {status} error")

    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _error(400, "invalid_request_error", "messages: Field required")
    if route == COUNT_TOKENS_PATH:
        return _json(200, {"input_tokens": 10})
    if not isinstance(body.get("max_tokens"), int):
        return _error(400, "invalid_request_error", "max_tokens: Field required")

    thinking = body.get("thinking")
    wants_thinking = isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    blocks = []
    if wants_thinking:
        blocks.append({"type": "thinking", "thinking": THINKING_TEXT, "signature": SIGNATURE})
    tools = [(t.get("name"), t.get("input_schema")) for t in body.get("tools") or [] if isinstance(t, dict)]
    if cli.active(tools):
        stop_reason = _cli_turn(messages, tools, blocks)
    elif _last_turn_has_tool_result(messages):
        blocks.append({"type": "text", "text": TOOL_RESULT_TEXT})
        stop_reason = "end_turn"
    elif body.get("tools"):
        cities = ["Paris", "Tokyo"] if _user_text_mentions(messages, "parallel") else ["Paris"]
        for tool_id, city in zip(TOOL_IDS, cities):
            blocks.append(
                {"type": "tool_use", "id": tool_id, "name": "get_weather", "input": {"city": city}}
            )
        stop_reason = "tool_use"
    else:
        blocks.append({"type": "text", "text": HELLO_TEXT})
        stop_reason = "end_turn"

    if body.get("stream") is True:
        return 200, "text/event-stream; charset=utf-8", _stream(model, blocks, stop_reason)
    return _json(
        200,
        {
            "id": MESSAGE_ID,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": _usage(5),
        },
    )


def _cli_turn(messages, tools, blocks):
    """CLI mode: append the answer's blocks, return the stop reason."""
    results = [
        b.get("content")
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), list)
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    call = None if results else cli.pick_call(tools)
    if _last_turn_has_tool_result(messages):
        last = [b.get("content") for b in messages[-1]["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]
        blocks.append({"type": "text", "text": cli.answer(last)})
    elif call:
        blocks.append({"type": "tool_use", "id": TOOL_IDS[0], "name": call[0], "input": call[1]})
        return "tool_use"
    else:
        blocks.append({"type": "text", "text": HELLO_TEXT})
    return "end_turn"


def _usage(output_tokens):
    """An Anthropic ``usage`` object: 6 uncached + 4 cached prompt tokens."""
    return {
        "input_tokens": 6,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _stream(model, blocks, stop_reason):
    """The SSE chunks of a streamed answer, one event per chunk."""
    chunks = [
        _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": MESSAGE_ID,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": _usage(1),
                },
            },
        ),
        _event("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], 2)]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"], 3)]
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            arguments = json.dumps(block["input"], separators=(",", ":"))
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(arguments, 3)]
        chunks.append(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
        )
        for delta in deltas:
            chunks.append(
                _event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        chunks.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    chunks.append(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": 5},
            },
        )
    )
    chunks.append(_event("message_stop", {"type": "message_stop"}))
    return chunks


def _pieces(text, count):
    """``text`` cut into ``count`` non-empty pieces of about equal length."""
    count = max(1, min(count, len(text)))
    size, extra = divmod(len(text), count)
    pieces, at = [], 0
    for i in range(count):
        end = at + size + (1 if i < extra else 0)
        pieces.append(text[at:end])
        at = end
    return pieces


def _last_turn_has_tool_result(messages):
    """True when the last message is a user turn carrying a ``tool_result``."""
    last = messages[-1] if messages else None
    if not isinstance(last, dict) or last.get("role") != "user":
        return False
    content = last.get("content")
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _user_text_mentions(messages, word):
    """True when any user text (a string or ``text`` blocks) contains ``word``."""
    for message in messages:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts = [content]
        elif isinstance(content, list):
            texts = [
                b.get("text", "")
                for b in content
                if isinstance(b, dict) and b.get("type") == "text"
            ]
        else:
            texts = []
        if any(isinstance(t, str) and word in t.lower() for t in texts):
            return True
    return False


def _event(name, data):
    """One SSE event exactly as Anthropic writes it."""
    payload = json.dumps(data, separators=(",", ":"))
    return f"event: {name}\ndata: {payload}\n\n".encode()


def _json(status, data):
    """A JSON answer in one chunk."""
    return status, "application/json", [json.dumps(data, separators=(",", ":")).encode()]


def _error(status, error_type, message):
    """Anthropic's error body."""
    return _json(
        status,
        {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": REQUEST_ID,
        },
    )
