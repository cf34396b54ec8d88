"""The official `openai` SDK, with strict response validation, through wasmgate."""

import openai
import pytest
from openai import OpenAI

from conftest import LOCAL_KEY, Upstream

TOOLS = [
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
def client(gateway):
    return OpenAI(base_url=f"{gateway}/v1", api_key=LOCAL_KEY, _strict_response_validation=True, max_retries=0)


def test_plain(client):
    resp = client.chat.completions.create(model="gpt-fake", messages=[{"role": "user", "content": "Hi"}])
    assert resp.choices[0].message.content == "Hello from fake openai-chat upstream."
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.total_tokens == 15
    sent = Upstream.requests[-1]
    assert sent["headers"]["authorization"] == "Bearer sk-upstream"
    assert sent["body"]["messages"] == [{"role": "user", "content": "Hi"}]


def test_logprobs_come_back(client):
    resp = client.chat.completions.create(
        model="gpt-fake", messages=[{"role": "user", "content": "Hi"}], logprobs=True
    )
    logprobs = resp.choices[0].logprobs
    assert [t.token for t in logprobs.content] == ["Hello", "from", "fake", "openai-chat", "upstream."]
    assert logprobs.content[0].logprob == -0.5
    assert logprobs.content[0].bytes == list(b"Hello")
    assert Upstream.requests[-1]["body"]["logprobs"] is True


def test_streaming_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-fake",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage
    assert text == "Hello from fake openai-chat upstream."
    assert finish == "stop"
    assert usage.prompt_tokens == 10 and usage.completion_tokens == 5


def test_stream_helper(client):
    with client.chat.completions.stream(model="gpt-fake", messages=[{"role": "user", "content": "Hi"}]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "Hello from fake openai-chat upstream."


def test_tools(client):
    resp = client.chat.completions.create(
        model="gpt-fake", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=TOOLS
    )
    call = resp.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert resp.choices[0].finish_reason == "tool_calls"
    sent = Upstream.requests[-1]["body"]
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["city"]

    # The tool round trip: the result goes back upstream intact.
    client.chat.completions.create(
        model="gpt-fake",
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ],
        tools=TOOLS,
    )
    sent = Upstream.requests[-1]["body"]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call.id
    assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "sunny"}


def test_streamed_tools(client):
    with client.chat.completions.stream(
        model="gpt-fake", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=TOOLS
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert call.function.arguments == '{"city": "Paris"}'


def test_echo_demo(client):
    resp = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "ping"}])
    assert resp.choices[0].message.content == "echo: ping"


def test_errors_are_typed(client, gateway):
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert "no-such-model" in str(err.value)
    bad = OpenAI(base_url=f"{gateway}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-fake", messages=[{"role": "user", "content": "x"}])


def test_models(client):
    ids = [m.id for m in client.models.list()]
    assert "echo" in ids


def test_model_retrieve(client):
    model = client.models.retrieve("gpt-fake")
    assert model.id == "gpt-fake" and model.object == "model"
    assert client.models.retrieve("echo").owned_by
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("no-such-model")
    assert err.value.code == "model_not_found"
