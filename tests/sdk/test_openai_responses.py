"""The official `openai` SDK's Responses API, with strict response validation, through wasmgate."""

import openai
import pytest
from openai import OpenAI

from conftest import LOCAL_KEY, Upstream

TEXT = "Hello from fake openai-chat upstream."

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": False,
}


@pytest.fixture
def client(gateway):
    return OpenAI(base_url=f"{gateway}/v1", api_key=LOCAL_KEY, _strict_response_validation=True, max_retries=0)


def test_plain(client):
    resp = client.responses.create(model="gpt-fake", input="Hi", instructions="Be brief.", max_output_tokens=50)
    assert resp.output_text == TEXT
    assert resp.status == "completed"
    assert resp.id.startswith("resp_")
    assert resp.output[0].type == "message" and resp.output[0].role == "assistant"
    assert resp.usage.total_tokens == 15
    assert resp.usage.input_tokens_details.cached_tokens == 4
    assert resp.instructions == "Be brief."
    assert resp.max_output_tokens == 50
    sent = Upstream.requests[-1]
    assert sent["headers"]["authorization"] == "Bearer sk-upstream"
    assert sent["body"]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


def test_streamed_events(client):
    stream = client.responses.create(model="gpt-fake", input=[{"role": "user", "content": "Hi"}], stream=True)
    events = list(stream)
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == TEXT
    final = events[-1].response
    assert final.output_text == TEXT
    assert final.id == events[0].response.id
    assert final.usage.output_tokens == 5


def test_stream_helper(client):
    with client.responses.stream(model="gpt-fake", input="Hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == TEXT
    assert final.output_text == TEXT
    assert final.status == "completed"


def test_function_tool_round_trip(client):
    first = client.responses.create(
        model="gpt-fake", input="Weather in Paris?", tools=[WEATHER, {"type": "web_search"}], tool_choice="auto"
    )
    call = first.output[0]
    assert call.type == "function_call"
    assert call.name == "get_weather"
    assert call.arguments == '{"city": "Paris"}'
    assert [t.type for t in first.tools] == ["function", "web_search"]
    sent = Upstream.requests[-1]["body"]
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather"], "hosted tools are not sent to chat"
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["city"]

    # The result goes back with the call replayed, as the docs show.
    second = client.responses.create(
        model="gpt-fake",
        input=[
            {"role": "user", "content": "Weather in Paris?"},
            *first.output,
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
    )
    assert second.output_text == "Sunny, 22 C in Paris."
    messages = Upstream.requests[-1]["body"]["messages"]
    assert messages[1]["role"] == "assistant"
    assert messages[1]["tool_calls"][0]["id"] == call.call_id
    assert messages[1]["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'
    assert messages[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "sunny"}


def test_streamed_function_call(client):
    with client.responses.stream(model="gpt-fake", input="Weather in Paris?", tools=[WEATHER]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    call = final.output[0]
    assert call.type == "function_call"
    assert call.call_id == "call_mock_1"
    assert call.arguments == '{"city": "Paris"}'


def test_reasoning_and_developer_items_are_accepted(client):
    resp = client.responses.create(
        model="gpt-fake",
        input=[
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "thought"}],
                "encrypted_content": "opaque",
            },
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello"}]},
            {"type": "message", "role": "user", "content": "again"},
        ],
        reasoning={"effort": "low", "summary": "auto"},
        store=False,
        include=["reasoning.encrypted_content"],
    )
    assert resp.output_text == TEXT
    assert resp.reasoning.effort == "low"
    messages = Upstream.requests[-1]["body"]["messages"]
    assert [m["role"] for m in messages] == ["developer", "user", "assistant", "user"]


def test_errors_are_typed(client):
    with pytest.raises(openai.NotFoundError) as err:
        client.responses.create(model="no-such-model", input="x")
    assert "no-such-model" in str(err.value)
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="gpt-fake", input="x", previous_response_id="resp_123")
    assert err.value.body["param"] == "previous_response_id"
    assert "does not store" in err.value.message
