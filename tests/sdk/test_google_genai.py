"""The official `google-genai` SDK through wasmgate (models `gpt-*` are served by the openai provider)."""

import pytest
from google import genai
from google.genai import errors, types

from conftest import LOCAL_KEY, Upstream

WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Weather for a city",
    parameters_json_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)


@pytest.fixture(params=[None, "v1beta"], ids=["v1", "v1beta"])
def client(request, gateway):
    options = types.HttpOptions(base_url=gateway)
    if request.param:
        options = types.HttpOptions(base_url=gateway, api_version=request.param)
    return genai.Client(api_key=LOCAL_KEY, http_options=options)


def test_generate_content(client):
    resp = client.models.generate_content(
        model="gpt-fake",
        contents="Hi",
        config=types.GenerateContentConfig(system_instruction="be brief", temperature=0.25, max_output_tokens=50),
    )
    assert resp.text == "Hello from fake openai-chat upstream."
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    assert resp.usage_metadata.prompt_token_count == 10
    assert resp.usage_metadata.candidates_token_count == 5
    assert resp.usage_metadata.total_token_count == 15
    assert resp.model_version == "gpt-fake"
    assert resp.response_id
    sent = Upstream.requests[-1]
    assert sent["headers"]["authorization"] == "Bearer sk-upstream"
    assert sent["body"]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "Hi"},
    ]
    assert sent["body"]["temperature"] == 0.25


def test_generate_content_stream(client):
    chunks = list(client.models.generate_content_stream(model="gpt-fake", contents="Hi"))
    assert len(chunks) > 2
    assert "".join(c.text or "" for c in chunks) == "Hello from fake openai-chat upstream."
    last = chunks[-1]
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata.total_token_count == 15
    assert all(c.model_version == "gpt-fake" and c.response_id == last.response_id for c in chunks)
    assert Upstream.requests[-1]["body"]["stream"] is True


def test_tool_round_trip(client):
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])])
    question = types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")])
    resp = client.models.generate_content(model="gpt-fake", contents=[question], config=config)
    call = resp.function_calls[0]
    assert call.name == "get_weather"
    assert call.args == {"city": "Paris"}
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    sent = Upstream.requests[-1]["body"]
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["city"]

    answer = types.Content(
        role="user",
        parts=[types.Part.from_function_response(name="get_weather", response={"output": "sunny"})],
    )
    resp = client.models.generate_content(
        model="gpt-fake", contents=[question, resp.candidates[0].content, answer]
    )
    assert resp.text == "Sunny, 22 C in Paris."
    messages = Upstream.requests[-1]["body"]["messages"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert messages[2] == {
        "role": "tool",
        "tool_call_id": messages[1]["tool_calls"][0]["id"],
        "content": '{"output":"sunny"}',
    }


def test_streamed_tool_call(client):
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])])
    chunks = list(client.models.generate_content_stream(model="gpt-fake", contents="Weather?", config=config))
    calls = [fc for c in chunks for fc in (c.function_calls or [])]
    assert [(fc.name, fc.args) for fc in calls] == [("get_weather", {"city": "Paris"})]
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_count_tokens(client):
    before = len(Upstream.requests)
    resp = client.models.count_tokens(model="gpt-fake", contents="a" * 400)
    assert 100 <= resp.total_tokens <= 110
    assert len(Upstream.requests) == before, "counting never calls the upstream"


def test_models(client):
    names = [m.name for m in client.models.list()]
    assert "models/echo" in names
    model = client.models.get(model="gpt-fake")
    assert model.name == "models/gpt-fake"
    assert "generateContent" in model.supported_actions


def test_unknown_model_is_a_client_error(client):
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="no-such-model", contents="Hi")
    assert info.value.code == 404
    assert info.value.status == "NOT_FOUND"
    assert "no-such-model" in info.value.message
