"""The official `anthropic` SDK through wasmgate's Messages front-end."""

import anthropic
import pytest

from conftest import LOCAL_KEY, Upstream

TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


@pytest.fixture
def client(gateway):
    return anthropic.Anthropic(base_url=gateway, api_key=LOCAL_KEY, max_retries=0)


def test_plain(client):
    msg = client.messages.create(
        model="gpt-fake", max_tokens=100, system="Be brief.", messages=[{"role": "user", "content": "Hi"}]
    )
    assert msg.content[0].text == "Hello from fake openai-chat upstream."
    assert msg.stop_reason == "end_turn"
    assert msg.usage.output_tokens == 5
    sent = Upstream.requests[-1]["body"]
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


def test_stream_helper(client):
    with client.messages.stream(
        model="gpt-fake", max_tokens=100, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from fake openai-chat upstream."
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 5


def test_tool_round_trip_streamed(client):
    with client.messages.stream(
        model="gpt-fake", max_tokens=100, tools=TOOLS, messages=[{"role": "user", "content": "Weather in Paris?"}]
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    call = next(b for b in final.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"city": "Paris"}

    msg = client.messages.create(
        model="gpt-fake",
        max_tokens=100,
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [b.model_dump() for b in final.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}]},
        ],
    )
    assert msg.content[0].text == "Sunny, 22 C in Paris."
    sent = Upstream.requests[-1]["body"]["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": call.id, "content": "sunny"}


def test_count_tokens(client):
    count = client.messages.count_tokens(model="gpt-fake", messages=[{"role": "user", "content": "Hello there"}])
    assert count.input_tokens > 0


def test_errors_are_typed(client, gateway):
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="no-such-model", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    bad = anthropic.Anthropic(base_url=gateway, api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="gpt-fake", max_tokens=10, messages=[{"role": "user", "content": "x"}])


def test_models(client):
    ids = [m.id for m in client.models.list()]
    assert "echo" in ids
    model = client.models.retrieve("claude-fake")
    assert model.id == "claude-fake" and model.type == "model"
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("no-such-model")
