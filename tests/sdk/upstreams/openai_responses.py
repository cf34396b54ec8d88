"""Mock OpenAI Responses API upstream (`POST /v1/responses`), pure stdlib.

`handle()` answers one request in the exact Responses wire format: whole
response objects, or the typed SSE event stream when the body says
`"stream": true`. It only builds bytes; a server written elsewhere sends them.

Behaviour:
- model name containing `error-400` / `error-401` / `error-429` / `error-500`
  -> that status with OpenAI's error body, message "mock <status> error";
  no bearer token -> 401.
- last input item is a `function_call_output` -> text "Sunny, 22 C in Paris.";
  else tools declared -> `get_weather` call(s) (two when any user text says
  "parallel"); else text "Hello from the mock openai-responses upstream.".
- `reasoning` in the body (non-null) -> a reasoning item first, with summary
  "Let me think." and `encrypted_content` "sig-openai-responses-1".
- CLI mode (`upstreams/cli.py`: `WASMGATE_CLI_MARKER` set, tools declared,
  none `get_weather`): a call of the CLI's own shell/read tool on the marker
  file until a `function_call_output` exists, then "Tool said: <line>".
"""

import json
import time

from . import cli

WIRE = "openai-responses"
PATH = "/v1/responses"
HELLO = "Hello from the mock openai-responses upstream."
TOOL_RESULT_ANSWER = "Sunny, 22 C in Paris."
THINKING = "Let me think."
SIGNATURE = "sig-openai-responses-1"
RESPONSE_ID = "resp_mock_1"
MESSAGE_ID = "msg_mock_1"
REASONING_ID = "rs_mock_1"

ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", None),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", None),
}


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _error(status: int, message: str) -> tuple[int, str, list[bytes]]:
    kind, code = ERROR_TYPES.get(status, ("invalid_request_error", None))
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return status, "application/json", [_dumps(body).encode()]


def _split(text: str, pieces: int) -> list[str]:
    """`text` cut into `pieces` non-empty parts (fewer only if too short)."""
    pieces = max(1, min(pieces, len(text)))
    size, extra = divmod(len(text), pieces)
    out, start = [], 0
    for i in range(pieces):
        end = start + size + (1 if i < extra else 0)
        out.append(text[start:end])
        start = end
    return out


def _user_texts(items) -> list[str]:
    texts = []
    for item in items:
        if not isinstance(item, dict) or item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(
                part.get("text", "")
                for part in content
                if isinstance(part, dict) and isinstance(part.get("text"), str)
            )
    return texts


def _answer_plan(body: dict) -> tuple[str, list[dict]]:
    """The answer text (or "") and the function calls to make."""
    items = body.get("input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    if not isinstance(items, list):
        items = []
    last = items[-1] if items else None
    tools = [(t.get("name"), t.get("parameters")) for t in body.get("tools") or [] if isinstance(t, dict)]
    if cli.active(tools):
        return _cli_plan(items, last, tools)
    if isinstance(last, dict) and last.get("type") == "function_call_output":
        return TOOL_RESULT_ANSWER, []
    if body.get("tools"):
        cities = ["Paris"]
        if any("parallel" in t for t in _user_texts(items)):
            cities = ["Paris", "Tokyo"]
        calls = [
            {
                "type": "function_call",
                "id": f"fc_mock_{n}",
                "call_id": f"call_mock_{n}",
                "name": "get_weather",
                "arguments": _dumps({"city": city}),
                "status": "completed",
            }
            for n, city in enumerate(cities, start=1)
        ]
        return "", calls
    return HELLO, []


def _cli_plan(items: list, last, tools: list) -> tuple[str, list[dict]]:
    """CLI mode: the answer text (or "") and the function calls to make."""
    outputs = ("function_call_output", "custom_tool_call_output")
    if isinstance(last, dict) and last.get("type") in outputs:
        return cli.answer(last.get("output")), []
    done = any(isinstance(i, dict) and i.get("type") in outputs for i in items)
    call = None if done else cli.pick_call(tools)
    if call:
        return "", [{
            "type": "function_call",
            "id": "fc_mock_1",
            "call_id": "call_mock_1",
            "name": call[0],
            "arguments": _dumps(call[1]),
            "status": "completed",
        }]
    return HELLO, []


def _reasoning_item() -> dict:
    return {
        "type": "reasoning",
        "id": REASONING_ID,
        "summary": [{"type": "summary_text", "text": THINKING}],
        "encrypted_content": SIGNATURE,
    }


def _message_item(text: str, status: str = "completed") -> dict:
    return {
        "type": "message",
        "id": MESSAGE_ID,
        "status": status,
        "role": "assistant",
        "content": [_text_part(text)],
    }


def _text_part(text: str) -> dict:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _usage(thinking: bool) -> dict:
    return {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 2 if thinking else 0},
        "total_tokens": 15,
    }


def _response(body: dict, created: int, status: str, output: list, usage) -> dict:
    """A whole response object with every field the real API sends; request
    settings are echoed as the API does."""
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": body.get("model", ""),
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {
            "effort": reasoning.get("effort"),
            "summary": reasoning.get("summary"),
        },
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text", {"format": {"type": "text"}}),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_logprobs": body.get("top_logprobs", 0),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
        "user": body.get("user"),
        "metadata": body.get("metadata", {}),
    }


def _sse(events: list[dict]) -> list[bytes]:
    """One SSE chunk per event, numbered with `sequence_number` from 0."""
    chunks = []
    for seq, event in enumerate(events):
        event = {"type": event["type"], "sequence_number": seq, **event}
        chunks.append(f"event: {event['type']}\ndata: {_dumps(event)}\n\n".encode())
    return chunks


def _stream_events(body: dict, created: int, output: list, final: dict) -> list[dict]:
    start = _response(body, created, "in_progress", [], None)
    events = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    for index, item in enumerate(output):
        kind = item["type"]
        if kind == "reasoning":
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": {"type": "reasoning", "id": item["id"], "summary": []}})
            for s_index, summary in enumerate(item["summary"]):
                ids = {"item_id": item["id"], "output_index": index, "summary_index": s_index}
                events.append({"type": "response.reasoning_summary_part.added", **ids,
                               "part": {"type": "summary_text", "text": ""}})
                for piece in _split(summary["text"], 2):
                    events.append({"type": "response.reasoning_summary_text.delta", **ids,
                                   "delta": piece})
                events.append({"type": "response.reasoning_summary_text.done", **ids,
                               "text": summary["text"]})
                events.append({"type": "response.reasoning_summary_part.done", **ids,
                               "part": {"type": "summary_text", "text": summary["text"]}})
        elif kind == "message":
            text = item["content"][0]["text"]
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": {**item, "status": "in_progress", "content": []}})
            ids = {"item_id": item["id"], "output_index": index, "content_index": 0}
            events.append({"type": "response.content_part.added", **ids,
                           "part": _text_part("")})
            for piece in _split(text, 3):
                events.append({"type": "response.output_text.delta", **ids,
                               "delta": piece, "logprobs": []})
            events.append({"type": "response.output_text.done", **ids,
                           "text": text, "logprobs": []})
            events.append({"type": "response.content_part.done", **ids,
                           "part": _text_part(text)})
        elif kind == "function_call":
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": {**item, "arguments": "", "status": "in_progress"}})
            ids = {"item_id": item["id"], "output_index": index}
            for piece in _split(item["arguments"], 3):
                events.append({"type": "response.function_call_arguments.delta", **ids,
                               "delta": piece})
            events.append({"type": "response.function_call_arguments.done", **ids,
                           "arguments": item["arguments"]})
        events.append({"type": "response.output_item.done", "output_index": index,
                       "item": item})
    events.append({"type": "response.completed", "response": final})
    return events


def handle(
    method: str, path: str, query: dict[str, str], headers: dict[str, str], body: dict | None
) -> tuple[int, str, list[bytes]]:
    """Answer one request as the OpenAI Responses API would."""
    if path.rstrip("/") != PATH or method.upper() != "POST":
        return _error(404, f"Invalid URL ({method.upper()} {path})")
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    auth = lower.get("authorization", "")
    if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
        return _error(401, "mock 401 error: no API key provided")
    if not isinstance(body, dict):
        return _error(400, "mock 400 error: the body must be a JSON object")
    model = str(body.get("model", ""))
    for status in (400, 401, 429, 500):
        if f"error-{status}" in model:
            return _error(status, f"mock {status} error")

    thinking = body.get("reasoning") is not None
    text, calls = _answer_plan(body)
    output = [_reasoning_item()] if thinking else []
    if text:
        output.append(_message_item(text))
    output.extend(calls)

    created = int(time.time())
    final = _response(body, created, "completed", output, _usage(thinking))
    if body.get("stream") is True:
        return 200, "text/event-stream", _sse(_stream_events(body, created, output, final))
    return 200, "application/json", [_dumps(final).encode()]
