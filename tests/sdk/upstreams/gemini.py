"""A mock Google Gemini API upstream (generativelanguage.googleapis.com).

Pure stdlib, no server: the test server calls `handle` for every request on a
Gemini path and writes the returned chunks (pausing between them).

Paths: `/{v1beta|v1}/models/{model}:generateContent`,
`:streamGenerateContent` (`?alt=sse` gives SSE, otherwise a streamed JSON
array, as the real API does) and `:countTokens`.

Behaviour:
- no `x-goog-api-key` header (or `key` query parameter) -> 401;
- a model name containing `error-400`, `error-401`, `error-429` or
  `error-500` -> that status with Gemini's error body, message
  "mock <status> error";
- the last turn carries a `functionResponse` -> text "Sunny, 22 C in Paris.";
- elif the request declares function tools -> `functionCall` parts
  (`get_weather` Paris, plus Tokyo when any user text says "parallel"),
  finishReason STOP (Gemini's reason for tool calls too);
- else text "Hello from the mock gemini upstream.";
- `generationConfig.thinkingConfig.includeThoughts: true` -> a thought part
  "Let me think." first and `thoughtSignature: "sig-gemini-1"` on the first
  non-thought part;
- usage: promptTokenCount 10 (cachedContentTokenCount 4), 5 output tokens
  (candidatesTokenCount 3 + thoughtsTokenCount 2 when thinking);
- CLI mode (`upstreams/cli.py`: `WASMGATE_CLI_MARKER` set, tools declared,
  none `get_weather`): a `functionCall` of the CLI's own shell/read tool on
  the marker file until a `functionResponse` exists, then "Tool said: <line>".
"""

import json
import re
import urllib.parse

from . import cli

WIRE = "gemini"
SIGNATURE = "sig-gemini-1"
THOUGHT = "Let me think."
HELLO = "Hello from the mock gemini upstream."
SUNNY = "Sunny, 22 C in Paris."
RESPONSE_ID = "mock-gemini-resp-1"

JSON_TYPE = "application/json; charset=UTF-8"
SSE_TYPE = "text/event-stream"

PATH = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^/:]+):([A-Za-z]+)$")

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
}


def handle(method: str, path: str, query: dict[str, str], headers: dict[str, str], body: dict | None) -> tuple[int, str, list[bytes]]:
    """Answer one request: (status, content type, body chunks)."""
    path = path.split("?", 1)[0]
    match = PATH.match(path)
    if method.upper() != "POST" or not match:
        return error(404, f"mock 404 error: no such method {method} {path}")
    model = urllib.parse.unquote(match.group(2))
    action = match.group(3)

    lower = {k.lower(): v for k, v in headers.items()}
    if not lower.get("x-goog-api-key") and not query.get("key"):
        return error(401, "mock 401 error")
    for status in (400, 401, 429, 500):
        if f"error-{status}" in model:
            return error(status, f"mock {status} error")
    if not isinstance(body, dict):
        return error(400, "mock 400 error: the request body is not a JSON object")

    if action == "countTokens":
        return 200, JSON_TYPE, [dumps({"totalTokens": 10, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}]})]
    if action not in ("generateContent", "streamGenerateContent"):
        return error(404, f"mock 404 error: unknown method {action}")

    thinking = wants_thinking(body)
    chunks = answer_chunks(body, model, thinking)
    if action == "generateContent":
        return 200, JSON_TYPE, [dumps(merge(chunks))]
    if query.get("alt") == "sse":
        return 200, SSE_TYPE, [b"data: " + dumps(c) + b"\r\n\r\n" for c in chunks]
    # Without alt=sse Gemini streams one JSON array, element by element.
    pieces = [(b"[" if i == 0 else b",\r\n") + dumps(c) for i, c in enumerate(chunks)]
    pieces[-1] += b"]"
    return 200, JSON_TYPE, pieces


def error(status: int, message: str) -> tuple[int, str, list[bytes]]:
    """Gemini's error body."""
    err = {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}
    if status == 429:
        err["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]
    return status, JSON_TYPE, [dumps({"error": err})]


def dumps(value) -> bytes:
    return json.dumps(value).encode()


def wants_thinking(body: dict) -> bool:
    config = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
    return config.get("includeThoughts") is True


def parts_of(content) -> list:
    if not isinstance(content, dict):
        return []
    parts = content.get("parts")
    return parts if isinstance(parts, list) else []


def answer_chunks(body: dict, model: str, thinking: bool) -> list[dict]:
    """The answer as streamed chunks; the last one carries finishReason."""
    contents = body.get("contents") or []
    last = contents[-1] if contents else {}
    tool_turn = any(isinstance(p, dict) and "functionResponse" in p for p in parts_of(last))
    has_tools = any(isinstance(t, dict) and t.get("functionDeclarations") for t in body.get("tools") or [])
    declared = [
        (d.get("name"), d.get("parametersJsonSchema") or d.get("parameters"))
        for t in body.get("tools") or [] if isinstance(t, dict)
        for d in t.get("functionDeclarations") or [] if isinstance(d, dict)
    ]

    # Lists of parts, one list per chunk.
    groups: list[list[dict]] = []
    if thinking:
        groups.append([{"text": THOUGHT, "thought": True}])
    if cli.active(declared):
        groups.extend(cli_groups(contents, tool_turn, declared))
    elif not tool_turn and has_tools:
        calls = [("call_mock_1", "Paris")]
        if user_says(contents, "parallel"):
            calls.append(("call_mock_2", "Tokyo"))
        groups.append([{"functionCall": {"id": cid, "name": "get_weather", "args": {"city": city}}} for cid, city in calls])
    else:
        groups.extend([{"text": piece}] for piece in split3(SUNNY if tool_turn else HELLO))
    if thinking:
        first = groups[1][0]
        first["thoughtSignature"] = SIGNATURE

    chunks = []
    for i, parts in enumerate(groups):
        final = i == len(groups) - 1
        candidate = {"content": {"parts": parts, "role": "model"}}
        if final:
            candidate["finishReason"] = "STOP"
        candidate["index"] = 0
        chunks.append({
            "candidates": [candidate],
            "usageMetadata": usage(thinking, final),
            "modelVersion": model,
            "responseId": RESPONSE_ID,
        })
    return chunks


def cli_groups(contents: list, tool_turn: bool, declared: list) -> list[list[dict]]:
    """CLI mode: the answer's parts, one list per chunk."""
    if tool_turn:
        results = [p["functionResponse"].get("response") for p in parts_of(contents[-1])
                   if isinstance(p, dict) and "functionResponse" in p]
        return [[{"text": piece}] for piece in split3(cli.answer(results))]
    done = any(isinstance(p, dict) and "functionResponse" in p for c in contents for p in parts_of(c))
    call = None if done else cli.pick_call(declared)
    if call:
        return [[{"functionCall": {"id": "call_mock_1", "name": call[0], "args": call[1]}}]]
    return [[{"text": piece}] for piece in split3(HELLO)]


def merge(chunks: list[dict]) -> dict:
    """The whole (non-streamed) response the chunks add up to."""
    parts: list[dict] = []
    for chunk in chunks:
        for part in chunk["candidates"][0]["content"]["parts"]:
            # Adjacent plain text pieces join into one part.
            if parts and "text" in part and "text" in parts[-1] and not part.get("thought") \
                    and not parts[-1].get("thought") and "thoughtSignature" not in part:
                parts[-1]["text"] += part["text"]
            else:
                parts.append(dict(part))
    last = chunks[-1]
    return {
        "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": last["usageMetadata"],
        "modelVersion": last["modelVersion"],
        "responseId": last["responseId"],
    }


def usage(thinking: bool, final: bool) -> dict:
    """usageMetadata: the full counts on the last chunk, prompt counts before."""
    meta = {
        "promptTokenCount": 10,
        "cachedContentTokenCount": 4,
        "totalTokenCount": 10,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}],
        "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 4}],
    }
    if final:
        meta["candidatesTokenCount"] = 3 if thinking else 5
        if thinking:
            meta["thoughtsTokenCount"] = 2
        meta["totalTokenCount"] = 15
    return meta


def user_says(contents: list, word: str) -> bool:
    for content in contents:
        if not isinstance(content, dict) or content.get("role", "user") != "user":
            continue
        for part in parts_of(content):
            if isinstance(part, dict) and isinstance(part.get("text"), str) and word in part["text"]:
                return True
    return False


def split3(text: str) -> list[str]:
    """`text` in three non-empty pieces."""
    a, b = len(text) // 3, 2 * len(text) // 3
    return [text[:a], text[a:b], text[b:]]
