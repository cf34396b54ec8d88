"""The matrix: every client SDK against every provider plugin.

Each provider plugin talks to a mock upstream that speaks its exact wire
(`upstreams/<wire>.py`). Model prefixes pick the provider (see conftest):
`gpt-` openai (Chat), `resp-` openai-responses, `claude-` anthropic,
`gemini-` gemini. Assertions about what reached the upstream look for
marker strings in the recorded body, whatever that wire's structure.
"""

import base64
import json

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from conftest import LOCAL_KEY, Upstream

PROVIDERS = {
    "openai": "gpt-fake",
    "openai-responses": "resp-fake",
    "anthropic": "claude-fake",
    "gemini": "gemini-fake",
}
HELLO = {
    "openai": "Hello from fake openai-chat upstream.",
    "openai-responses": "Hello from the mock openai-responses upstream.",
    "anthropic": "Hello from the mock anthropic upstream.",
    "gemini": "Hello from the mock gemini upstream.",
}
# Providers whose wire carries reasoning signatures across turns.
SIGNED = {
    "openai-responses": "sig-openai-responses-1",
    "anthropic": "sig-anthropic-1",
    "gemini": "sig-gemini-1",
}
SYSTEM = "Be brief, matrix."
ANSWER = "Sunny, 22 C in Paris."
# A 1x1 PNG.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()

params = pytest.mark.parametrize("provider", list(PROVIDERS))
# The start of a PDF, and how each provider's wire sends a file.
PDF = base64.b64encode(b"%PDF-1.4 matrix").decode()
FILE_PART = {
    "openai": '"type": "file"',
    "openai-responses": '"type": "input_file"',
    "anthropic": '"type": "document"',
    "gemini": '"mimeType": "application/pdf"',
}


def last_sent() -> str:
    """The last body the mock upstream received, as JSON text."""
    return json.dumps(Upstream.requests[-1]["body"])


def mark(provider: str) -> str:
    return f"{provider}-{len(Upstream.requests)}"


# --- OpenAI Chat Completions client ------------------------------------------

CHAT_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


@pytest.fixture
def chat(gateway):
    return openai.OpenAI(base_url=f"{gateway}/v1", api_key=LOCAL_KEY, _strict_response_validation=True, max_retries=0)


@params
def test_chat_plain(chat, provider):
    resp = chat.chat.completions.create(
        model=PROVIDERS[provider],
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hi"}],
    )
    assert resp.choices[0].message.content == HELLO[provider]
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.prompt_tokens == 10 and resp.usage.completion_tokens == 5
    assert SYSTEM in last_sent()


@params
def test_chat_stream(chat, provider):
    stream = chat.chat.completions.create(
        model=PROVIDERS[provider],
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, finish, usage = "", None, None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        usage = chunk.usage or usage
    assert text == HELLO[provider]
    assert finish == "stop"
    assert usage.total_tokens == 15


@params
def test_chat_tool_round_trip(chat, provider):
    model = PROVIDERS[provider]
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    with chat.chat.completions.stream(model=model, messages=messages, tools=CHAT_TOOLS) as stream:
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    result = mark(provider)
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": result},
    ]
    resp = chat.chat.completions.create(model=model, messages=messages, tools=CHAT_TOOLS)
    assert resp.choices[0].message.content == ANSWER
    assert result in last_sent()


@params
def test_chat_parallel_calls(chat, provider):
    resp = chat.chat.completions.create(
        model=PROVIDERS[provider],
        messages=[{"role": "user", "content": "Weather in Paris and Tokyo, in parallel"}],
        tools=CHAT_TOOLS,
    )
    calls = resp.choices[0].message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "Tokyo"]
    assert len({c.id for c in calls}) == 2


# An attachment of each kind, in each client's form: what the client sends
# and what must reach the upstream (the data, and for a file its wire's
# file form).
CHAT_ATTACHMENTS = {
    "image": {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    "pdf": {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "spec.pdf"}},
}
ANTHROPIC_ATTACHMENTS = {
    "image": {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    "pdf": {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}},
}
attachments = pytest.mark.parametrize("kind", ["image", "pdf"])


def assert_attachment_sent(kind: str, provider: str):
    if kind == "image":
        assert PNG in last_sent()
    else:
        assert PDF in last_sent() and FILE_PART[provider] in last_sent(), last_sent()


@params
@attachments
def test_chat_attachment(chat, provider, kind):
    chat.chat.completions.create(
        model=PROVIDERS[provider],
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "What is this?"}, CHAT_ATTACHMENTS[kind]],
            }
        ],
    )
    assert_attachment_sent(kind, provider)


@params
def test_chat_errors(chat, provider):
    with pytest.raises(openai.RateLimitError):
        chat.chat.completions.create(
            model=PROVIDERS[provider].replace("fake", "error-429"), messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.BadRequestError):
        chat.chat.completions.create(
            model=PROVIDERS[provider].replace("fake", "error-400"), messages=[{"role": "user", "content": "x"}]
        )


# --- Anthropic Messages client --------------------------------------------------

ANTHROPIC_TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


@pytest.fixture
def claude(gateway):
    return anthropic.Anthropic(base_url=gateway, api_key=LOCAL_KEY, max_retries=0)


@params
def test_anthropic_plain(claude, provider):
    msg = claude.messages.create(
        model=PROVIDERS[provider], max_tokens=200, system=SYSTEM, messages=[{"role": "user", "content": "Hi"}]
    )
    assert [b.text for b in msg.content if b.type == "text"] == [HELLO[provider]]
    assert msg.stop_reason == "end_turn"
    assert msg.usage.output_tokens == 5
    # Anthropic counts cache reads apart from input: 10 in all, 4 cached.
    assert msg.usage.input_tokens + (msg.usage.cache_read_input_tokens or 0) == 10
    assert SYSTEM in last_sent()


@params
def test_anthropic_stream(claude, provider):
    with claude.messages.stream(
        model=PROVIDERS[provider], max_tokens=200, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == HELLO[provider]
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 5


@params
def test_anthropic_tool_round_trip(claude, provider):
    model = PROVIDERS[provider]
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    with claude.messages.stream(model=model, max_tokens=200, tools=ANTHROPIC_TOOLS, messages=messages) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    call = next(b for b in final.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"city": "Paris"}
    result = mark(provider)
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in final.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": result}]},
    ]
    msg = claude.messages.create(model=model, max_tokens=200, tools=ANTHROPIC_TOOLS, messages=messages)
    assert msg.content[-1].text == ANSWER
    assert result in last_sent()


@params
def test_anthropic_parallel_calls(claude, provider):
    with claude.messages.stream(
        model=PROVIDERS[provider],
        max_tokens=200,
        tools=ANTHROPIC_TOOLS,
        messages=[{"role": "user", "content": "Weather in Paris and Tokyo, in parallel"}],
    ) as stream:
        final = stream.get_final_message()
    calls = [b for b in final.content if b.type == "tool_use"]
    assert [c.input["city"] for c in calls] == ["Paris", "Tokyo"]


@params
def test_anthropic_thinking_round_trip(claude, provider):
    model = PROVIDERS[provider]
    messages = [{"role": "user", "content": "Think, then answer."}]
    with claude.messages.stream(
        model=model, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024}, messages=messages
    ) as stream:
        final = stream.get_final_message()
    thinking = [b for b in final.content if b.type == "thinking"]
    assert "Let me think." in "".join(b.thinking for b in thinking)
    assert [b.text for b in final.content if b.type == "text"] == [HELLO[provider]]
    if provider in SIGNED:
        assert SIGNED[provider] in [b.signature for b in thinking]
    # The next turn replays the thinking; a signing upstream gets its signature back.
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in final.content]},
        {"role": "user", "content": "And now?"},
    ]
    claude.messages.create(
        model=model, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024}, messages=messages
    )
    if provider in SIGNED:
        assert SIGNED[provider] in last_sent()


@params
@attachments
def test_anthropic_attachment(claude, provider, kind):
    claude.messages.create(
        model=PROVIDERS[provider],
        max_tokens=100,
        messages=[
            {
                "role": "user",
                "content": [ANTHROPIC_ATTACHMENTS[kind], {"type": "text", "text": "What is this?"}],
            }
        ],
    )
    assert_attachment_sent(kind, provider)


@params
def test_anthropic_errors(claude, provider):
    with pytest.raises(anthropic.RateLimitError):
        claude.messages.create(
            model=PROVIDERS[provider].replace("fake", "error-429"),
            max_tokens=10,
            messages=[{"role": "user", "content": "x"}],
        )
    with pytest.raises(anthropic.InternalServerError):
        claude.messages.create(
            model=PROVIDERS[provider].replace("fake", "error-500"),
            max_tokens=10,
            messages=[{"role": "user", "content": "x"}],
        )


# --- OpenAI Responses client ---------------------------------------------------

RESPONSES_TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "strict": False,
    }
]


@params
def test_responses_plain(chat, provider):
    resp = chat.responses.create(model=PROVIDERS[provider], instructions=SYSTEM, input="Hi")
    assert resp.output_text == HELLO[provider]
    assert resp.status == "completed"
    assert resp.usage.input_tokens == 10 and resp.usage.output_tokens == 5
    assert resp.usage.input_tokens_details.cached_tokens == 4
    assert SYSTEM in last_sent()


@params
def test_responses_stream(chat, provider):
    with chat.responses.stream(model=PROVIDERS[provider], input="Hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == HELLO[provider]
    assert final.status == "completed"
    assert final.output_text == HELLO[provider]


@params
def test_responses_tool_round_trip(chat, provider):
    model = PROVIDERS[provider]
    with chat.responses.stream(model=model, input="Weather in Paris?", tools=RESPONSES_TOOLS) as stream:
        first = stream.get_final_response()
    call = next(item for item in first.output if item.type == "function_call")
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"}
    result = mark(provider)
    second = chat.responses.create(
        model=model,
        tools=RESPONSES_TOOLS,
        input=[
            {"role": "user", "content": "Weather in Paris?"},
            *[item.model_dump(exclude_none=True) for item in first.output],
            {"type": "function_call_output", "call_id": call.call_id, "output": result},
        ],
    )
    assert second.output_text == ANSWER
    assert result in last_sent()


@params
def test_responses_parallel_calls(chat, provider):
    resp = chat.responses.create(
        model=PROVIDERS[provider], input="Weather in Paris and Tokyo, in parallel", tools=RESPONSES_TOOLS
    )
    calls = [item for item in resp.output if item.type == "function_call"]
    assert [json.loads(c.arguments)["city"] for c in calls] == ["Paris", "Tokyo"]


@params
def test_responses_reasoning_round_trip(chat, provider):
    model = PROVIDERS[provider]
    reasoning = {"effort": "low", "summary": "auto"}
    first = chat.responses.create(model=model, input="Think, then answer.", reasoning=reasoning)
    assert first.output_text == HELLO[provider]
    items = [item for item in first.output if item.type == "reasoning"]
    assert "Let me think." in "".join(s.text for item in items for s in item.summary)
    # Reasoning tokens survive where the upstream wire reports them (Anthropic's does not).
    if provider != "anthropic":
        assert first.usage.output_tokens_details.reasoning_tokens == 2
    if provider in SIGNED:
        assert SIGNED[provider] in [item.encrypted_content for item in items]
    chat.responses.create(
        model=model,
        reasoning=reasoning,
        input=[
            {"role": "user", "content": "Think, then answer."},
            *[item.model_dump(exclude_none=True) for item in first.output],
            {"role": "user", "content": "And now?"},
        ],
    )
    if provider in SIGNED:
        assert SIGNED[provider] in last_sent()


@params
def test_responses_image(chat, provider):
    chat.responses.create(
        model=PROVIDERS[provider],
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is this?"},
                    {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
                ],
            }
        ],
    )
    assert PNG in last_sent()


@params
def test_responses_errors(chat, provider):
    with pytest.raises(openai.RateLimitError):
        chat.responses.create(model=PROVIDERS[provider].replace("fake", "error-429"), input="x")
    with pytest.raises(openai.BadRequestError):
        chat.responses.create(model=PROVIDERS[provider].replace("fake", "error-400"), input="x")


# --- Gemini client (google-genai) -----------------------------------------------

GEMINI_TOOLS = [
    genai_types.Tool(
        function_declarations=[
            genai_types.FunctionDeclaration(
                name="get_weather",
                description="Weather for a city",
                parameters_json_schema={
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            )
        ]
    )
]


@pytest.fixture
def gemini(gateway):
    return genai.Client(
        api_key=LOCAL_KEY, http_options=genai_types.HttpOptions(base_url=gateway, api_version="v1beta")
    )


@params
def test_gemini_plain(gemini, provider):
    resp = gemini.models.generate_content(
        model=PROVIDERS[provider],
        contents="Hi",
        config=genai_types.GenerateContentConfig(system_instruction=SYSTEM),
    )
    assert resp.text == HELLO[provider]
    assert resp.candidates[0].finish_reason == genai_types.FinishReason.STOP
    assert resp.usage_metadata.prompt_token_count == 10
    assert resp.usage_metadata.total_token_count == 15
    assert SYSTEM in last_sent()


@params
def test_gemini_stream(gemini, provider):
    chunks = list(gemini.models.generate_content_stream(model=PROVIDERS[provider], contents="Hi"))
    assert "".join(c.text or "" for c in chunks) == HELLO[provider]
    assert chunks[-1].candidates[0].finish_reason == genai_types.FinishReason.STOP
    assert chunks[-1].usage_metadata.total_token_count == 15


@params
def test_gemini_tool_round_trip(gemini, provider):
    model = PROVIDERS[provider]
    config = genai_types.GenerateContentConfig(tools=GEMINI_TOOLS)
    question = genai_types.Content(role="user", parts=[genai_types.Part(text="Weather in Paris?")])
    chunks = list(gemini.models.generate_content_stream(model=model, contents=[question], config=config))
    calls = [p.function_call for c in chunks for p in c.candidates[0].content.parts or [] if p.function_call]
    assert [(c.name, c.args) for c in calls] == [("get_weather", {"city": "Paris"})]
    result = mark(provider)
    model_turn = genai_types.Content(
        role="model",
        parts=[p for c in chunks for p in c.candidates[0].content.parts or [] if p.function_call or p.thought_signature],
    )
    answer = genai_types.Content(
        role="user",
        parts=[genai_types.Part.from_function_response(name="get_weather", response={"output": result})],
    )
    if calls[0].id:
        answer.parts[0].function_response.id = calls[0].id
    resp = gemini.models.generate_content(model=model, contents=[question, model_turn, answer], config=config)
    assert resp.text == ANSWER
    assert result in last_sent()


@params
def test_gemini_parallel_calls(gemini, provider):
    resp = gemini.models.generate_content(
        model=PROVIDERS[provider],
        contents="Weather in Paris and Tokyo, in parallel",
        config=genai_types.GenerateContentConfig(tools=GEMINI_TOOLS),
    )
    assert [c.args["city"] for c in resp.function_calls] == ["Paris", "Tokyo"]


@params
def test_gemini_thinking_round_trip(gemini, provider):
    model = PROVIDERS[provider]
    config = genai_types.GenerateContentConfig(
        thinking_config=genai_types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
    )
    question = genai_types.Content(role="user", parts=[genai_types.Part(text="Think, then answer.")])
    resp = gemini.models.generate_content(model=model, contents=[question], config=config)
    parts = resp.candidates[0].content.parts
    assert "Let me think." in "".join(p.text or "" for p in parts if p.thought)
    assert "".join(p.text or "" for p in parts if not p.thought) == HELLO[provider]
    signatures = [p.thought_signature for p in parts if p.thought_signature]
    if provider != "anthropic":
        assert resp.usage_metadata.thoughts_token_count == 2
    if provider in SIGNED:
        assert signatures
    follow = genai_types.Content(role="user", parts=[genai_types.Part(text="And now?")])
    gemini.models.generate_content(model=model, contents=[question, resp.candidates[0].content, follow], config=config)
    if provider in SIGNED:
        assert SIGNED[provider] in last_sent()


@params
def test_gemini_image(gemini, provider):
    gemini.models.generate_content(
        model=PROVIDERS[provider],
        contents=[
            genai_types.Content(
                role="user",
                parts=[
                    genai_types.Part(text="What is this?"),
                    genai_types.Part.from_bytes(data=base64.b64decode(PNG), mime_type="image/png"),
                ],
            )
        ],
    )
    assert PNG in last_sent()


@params
def test_gemini_errors(gemini, provider):
    with pytest.raises(genai_errors.ClientError) as info:
        gemini.models.generate_content(model=PROVIDERS[provider].replace("fake", "error-429"), contents="x")
    assert info.value.code == 429
    with pytest.raises(genai_errors.ServerError) as info:
        gemini.models.generate_content(model=PROVIDERS[provider].replace("fake", "error-500"), contents="x")
    assert info.value.code == 500


# --- Tool choice and developer prompts, from every client to every wire --------


def sent_forced_tool(provider: str) -> str | None:
    """The tool the last upstream request forces, read in that provider's wire."""
    body = Upstream.requests[-1]["body"]
    if provider == "openai":
        return (body.get("tool_choice") or {}).get("function", {}).get("name")
    if provider == "openai-responses":
        return (body.get("tool_choice") or {}).get("name")
    if provider == "anthropic":
        choice = body.get("tool_choice") or {}
        return choice.get("name") if choice.get("type") == "tool" else None
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    names = config.get("allowedFunctionNames") or []
    return names[0] if config.get("mode") == "ANY" and len(names) == 1 else None


@params
def test_forced_tool_and_developer_prompt_from_every_client(chat, claude, gemini, provider):
    model = PROVIDERS[provider]
    developer = f"Developer rule {provider}."
    chat.chat.completions.create(
        model=model,
        messages=[{"role": "developer", "content": developer}, {"role": "user", "content": "Weather?"}],
        tools=CHAT_TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    assert sent_forced_tool(provider) == "get_weather"
    assert developer in last_sent()

    chat.responses.create(
        model=model,
        input=[{"role": "developer", "content": developer}, {"role": "user", "content": "Weather?"}],
        tools=RESPONSES_TOOLS,
        tool_choice={"type": "function", "name": "get_weather"},
    )
    assert sent_forced_tool(provider) == "get_weather"
    assert developer in last_sent()

    claude.messages.create(
        model=model,
        max_tokens=100,
        system=developer,
        messages=[{"role": "user", "content": "Weather?"}],
        tools=ANTHROPIC_TOOLS,
        tool_choice={"type": "tool", "name": "get_weather"},
    )
    assert sent_forced_tool(provider) == "get_weather"
    assert developer in last_sent()

    gemini.models.generate_content(
        model=model,
        contents="Weather?",
        config=genai_types.GenerateContentConfig(
            system_instruction=developer,
            tools=GEMINI_TOOLS,
            tool_config=genai_types.ToolConfig(
                function_calling_config=genai_types.FunctionCallingConfig(
                    mode="ANY", allowed_function_names=["get_weather"]
                )
            ),
        ),
    )
    assert sent_forced_tool(provider) == "get_weather"
    assert developer in last_sent()


# --- Same wire in and out: nothing the client sent is lost --------------------


def test_anthropic_to_anthropic_keeps_everything(claude):
    claude.messages.create(
        model="claude-fake",
        max_tokens=300,
        system=[
            {"type": "text", "text": "One."},
            {"type": "text", "text": "Two.", "cache_control": {"type": "ephemeral"}},
        ],
        messages=[
            {"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}]}
        ],
        tools=[dict(ANTHROPIC_TOOLS[0], cache_control={"type": "ephemeral"})],
        metadata={"user_id": "user-7"},
        extra_headers={"anthropic-beta": "context-management-2025-06-27"},
        extra_body={"context_management": {"edits": []}, "top_k": 5},
    )
    sent = Upstream.requests[-1]
    body = sent["body"]
    assert body["system"][1] == {"type": "text", "text": "Two.", "cache_control": {"type": "ephemeral"}}
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["metadata"] == {"user_id": "user-7"}
    assert body["top_k"] == 5
    assert body["context_management"] == {"edits": []}
    assert sent["headers"]["anthropic-beta"] == "context-management-2025-06-27"
    assert sent["headers"]["x-api-key"] == "sk-ant-upstream"


def test_chat_to_chat_keeps_everything(chat):
    chat.chat.completions.create(
        model="gpt-fake",
        messages=[{"role": "user", "content": "Hi", "name": "ann"}],
        user="user-7",
        logit_bias={"50256": -100},
        max_completion_tokens=50,
        extra_body={"custom_field": {"x": 1}},
    )
    body = Upstream.requests[-1]["body"]
    assert body["messages"][0] == {"role": "user", "content": "Hi", "name": "ann"}
    assert body["user"] == "user-7"
    assert body["logit_bias"] == {"50256": -100}
    assert body["max_completion_tokens"] == 50
    assert body["custom_field"] == {"x": 1}


def test_other_wires_never_see_foreign_fields(claude):
    claude.messages.create(
        model="gpt-fake",
        max_tokens=10,
        messages=[{"role": "user", "content": "Hi"}],
        metadata={"user_id": "user-7"},
        extra_headers={"anthropic-beta": "x"},
    )
    sent = Upstream.requests[-1]
    assert "metadata" not in sent["body"]
    assert "anthropic-beta" not in sent["headers"]
