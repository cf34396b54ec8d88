"""Mock OpenAI Chat Completions upstream (`POST /v1/chat/completions`), pure stdlib.

Same behaviour contract as the other wire mocks:
- model containing `error-400|401|429|500` -> that status, OpenAI's error body;
  no bearer token -> 401;
- last message is a tool result -> text "Sunny, 22 C in Paris.";
- tools declared -> get_weather call(s) (two when a user text says "parallel");
- else text "Hello from fake openai-chat upstream.";
- `logprobs` set (not streamed) -> a `logprobs` entry per word of the text;
- `reasoning_effort` set -> `reasoning_content` "Let me think." first
  (Chat Completions has no reasoning signatures);
- CLI mode (`upstreams/cli.py`: `WASMGATE_CLI_MARKER` set, tools declared,
  none `get_weather`): a call of the CLI's own shell/read tool on the marker
  file until a tool message exists, then "Tool said: <line>".
"""

import json

from . import cli

HELLO = "Hello from fake openai-chat upstream."
TOOL_RESULT_ANSWER = "Sunny, 22 C in Paris."
CREATED = 1795313006


def _user_texts(messages):
    for m in messages:
        if m.get("role") != "user":
            continue
        content = m.get("content")
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "text":
                    yield part.get("text", "")


def _answer(body):
    """(text, tool_calls, reasoning) for a request body."""
    messages = body.get("messages") or []
    reasoning = "Let me think." if body.get("reasoning_effort") else None
    tools = [((t.get("function") or {}).get("name"), (t.get("function") or {}).get("parameters"))
             for t in body.get("tools") or [] if isinstance(t, dict)]
    if cli.active(tools):
        return (*_cli_answer(messages, tools), reasoning)
    if messages and messages[-1].get("role") == "tool":
        return TOOL_RESULT_ANSWER, [], reasoning
    if body.get("tools"):
        cities = ["Paris", "Tokyo"] if any("parallel" in t for t in _user_texts(messages)) else ["Paris"]
        calls = [
            {"id": f"call_mock_{i + 1}", "type": "function",
             "function": {"name": "get_weather", "arguments": json.dumps({"city": c})}}
            for i, c in enumerate(cities)
        ]
        return None, calls, reasoning
    return HELLO, [], reasoning


def _cli_answer(messages, tools):
    """CLI mode: (text, tool_calls)."""
    if messages and messages[-1].get("role") == "tool":
        return cli.answer(messages[-1].get("content")), []
    call = None if any(m.get("role") == "tool" for m in messages) else cli.pick_call(tools)
    if call:
        return None, [{"id": "call_mock_1", "type": "function",
                       "function": {"name": call[0], "arguments": json.dumps(call[1])}}]
    return HELLO, []


def _usage(reasoning):
    return {
        "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 2 if reasoning else 0},
    }


def _error(status):
    kinds = {400: "invalid_request_error", 401: "invalid_request_error", 429: "rate_limit_error", 500: "server_error"}
    body = {"error": {"message": f"mock {status} error", "type": kinds[status], "param": None, "code": None}}
    return status, "application/json", [json.dumps(body).encode()]


def handle(method, path, query, headers, body):
    model = (body or {}).get("model", "")
    if not headers.get("authorization", "").startswith("Bearer "):
        return _error(401)
    for status in (400, 401, 429, 500):
        if f"error-{status}" in model:
            return _error(status)
    text, calls, reasoning = _answer(body or {})
    finish = "tool_calls" if calls else "stop"
    if not body.get("stream"):
        message = {"role": "assistant", "content": text, "refusal": None}
        if reasoning:
            message["reasoning_content"] = reasoning
        if calls:
            message["tool_calls"] = calls
        logprobs = None
        if body.get("logprobs") and text:
            # One entry per word: enough to see them come back whole.
            logprobs = {"refusal": None, "content": [
                {"token": word, "logprob": -0.5, "bytes": list(word.encode()), "top_logprobs": []}
                for word in text.split(" ")]}
        resp = {
            "id": "chatcmpl-mock1", "object": "chat.completion", "created": CREATED, "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": logprobs, "finish_reason": finish}],
            "usage": _usage(reasoning), "system_fingerprint": "fp_mock",
        }
        return 200, "application/json", [json.dumps(resp).encode()]

    def chunk(delta, finish_reason=None, **extra):
        c = {"id": "chatcmpl-mock1", "object": "chat.completion.chunk", "created": CREATED, "model": model,
             "system_fingerprint": "fp_mock",
             "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
        c.update(extra)
        return b"data: " + json.dumps(c).encode() + b"\n\n"

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    if reasoning:
        out.append(chunk({"reasoning_content": reasoning}))
    if text:
        third = max(1, len(text) // 3)
        for piece in (text[:third], text[third:2 * third], text[2 * third:]):
            out.append(chunk({"content": piece}))
    for i, call in enumerate(calls):
        out.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                          "function": {"name": call["function"]["name"], "arguments": ""}}]}))
        args = call["function"]["arguments"]
        half = len(args) // 2
        for piece in (args[:half], args[half:]):
            out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    out.append(chunk({}, finish))
    if (body.get("stream_options") or {}).get("include_usage"):
        usage = {"id": "chatcmpl-mock1", "object": "chat.completion.chunk", "created": CREATED, "model": model,
                 "choices": [], "usage": _usage(reasoning)}
        out.append(b"data: " + json.dumps(usage).encode() + b"\n\n")
    out.append(b"data: [DONE]\n\n")
    return 200, "text/event-stream", out
