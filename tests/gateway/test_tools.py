"""Tool calls through every provider: declared, called, streamed, answered over two turns."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.gateway.conftest import BY_NAME, FAMILY, WEATHER, Family, last_body

TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]

family_param = pytest.mark.parametrize("family", FAMILY, ids=[f.provider for f in FAMILY])


@family_param
def test_tool_call_then_answer_over_two_turns(client: openai.OpenAI, family: Family) -> None:
    first = client.chat.completions.create(model=family.chat, messages=ASK, tools=[WEATHER])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)

    history: list[Any] = [
        *ASK,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'},
    ]
    second = client.chat.completions.create(model=family.chat, messages=history, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop"
    assert "21" in (second.choices[0].message.content or "")


@family_param
def test_streamed_tool_call_deltas_assemble(client: openai.OpenAI, family: Family) -> None:
    whole = client.chat.completions.create(model=family.chat, messages=ASK, tools=[WEATHER])
    stream = client.chat.completions.create(
        model=family.chat, messages=ASK, tools=[WEATHER], stream=True
    )

    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        for delta_call in chunk.choices[0].delta.tool_calls or ():
            entry = calls.setdefault(delta_call.index, {"id": "", "name": "", "arguments": ""})
            if delta_call.id:
                entry["id"] = delta_call.id
            if delta_call.function and delta_call.function.name:
                entry["name"] = delta_call.function.name
            if delta_call.function and delta_call.function.arguments:
                entry["arguments"] += delta_call.function.arguments
        finish = chunk.choices[0].finish_reason or finish

    assert finish == "tool_calls"
    expected = whole.choices[0].message.tool_calls[0]
    assert calls[0]["name"] == expected.function.name
    assert json.loads(calls[0]["arguments"]) == json.loads(expected.function.arguments)
    assert calls[0]["id"]


@family_param
def test_forced_tool_choice(client: openai.OpenAI, family: Family) -> None:
    reply = client.chat.completions.create(
        model=family.chat,
        messages=[{"role": "user", "content": "Tell me something."}],
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    assert [c.function.name for c in reply.choices[0].message.tool_calls] == ["get_time"]


@family_param
def test_parallel_tool_calls(client: openai.OpenAI, family: Family) -> None:
    reply = client.chat.completions.create(
        model=family.chat,
        messages=[{"role": "user", "content": "In parallel: get_weather and get_time for Oslo."}],
        tools=[WEATHER, TIME],
        parallel_tool_calls=True,
    )
    names = sorted(c.function.name for c in reply.choices[0].message.tool_calls)
    assert names == ["get_time", "get_weather"]
    assert len({c.id for c in reply.choices[0].message.tool_calls}) == 2


def test_required_tool_choice_is_mistrals_any(client: openai.OpenAI, emulators) -> None:
    reply = client.chat.completions.create(
        model=BY_NAME["mistral"].chat, messages=ASK, tools=[WEATHER], tool_choice="required"
    )
    assert reply.choices[0].message.tool_calls
    assert last_body(emulators["mistral"])["tool_choice"] == "any"


def test_openai_tool_ids_survive_a_conversation_through_mistral(
    client: openai.OpenAI, emulators
) -> None:
    """A conversation begun on OpenAI (``call_…`` ids) continues on Mistral (9-char ids)."""
    first = client.chat.completions.create(
        model=BY_NAME["openai"].chat, messages=ASK, tools=[WEATHER]
    )
    call = first.choices[0].message.tool_calls[0]
    assert call.id.startswith("call_") and len(call.id) > 9

    history: list[Any] = [
        *ASK,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 24 C"},
    ]
    second = client.chat.completions.create(
        model=BY_NAME["mistral"].chat, messages=history, tools=[WEATHER]
    )
    assert "24" in (second.choices[0].message.content or "")

    sent = last_body(emulators["mistral"])["messages"]
    mistral_id = sent[1]["tool_calls"][0]["id"]
    assert len(mistral_id) == 9 and mistral_id.isalnum()
    assert sent[2]["tool_call_id"] == mistral_id

    # The same history sent again maps to the same id: no state, any replica.
    client.chat.completions.create(model=BY_NAME["mistral"].chat, messages=history, tools=[WEATHER])
    assert last_body(emulators["mistral"])["messages"][1]["tool_calls"][0]["id"] == mistral_id


def test_mistral_multi_turn_with_two_parallel_calls(client: openai.OpenAI) -> None:
    model = BY_NAME["mistral"].chat
    ask = [{"role": "user", "content": "In parallel: get_weather and get_time for Rome."}]
    first = client.chat.completions.create(model=model, messages=ask, tools=[WEATHER, TIME])
    calls = first.choices[0].message.tool_calls
    assert len(calls) == 2
    history: list[Any] = [*ask, first.choices[0].message.model_dump(exclude_none=True)]
    history += [
        {"role": "tool", "tool_call_id": c.id, "content": f"{c.function.name}: ok"} for c in calls
    ]
    second = client.chat.completions.create(model=model, messages=history, tools=[WEATHER, TIME])
    assert second.choices[0].finish_reason == "stop"
