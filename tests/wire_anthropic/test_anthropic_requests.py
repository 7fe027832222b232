"""``/v1/messages`` request bodies: validation, encoding rules and round trips."""

from __future__ import annotations

import re
from typing import Any

import pytest
from anthropic_strategies import anthropic_request, body_dump, loose_conversation
from hypothesis import given, settings
from hypothesis import strategies as st

from polyroute.canonical import (
    ChatRequest,
    ImagePart,
    Message,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from polyroute.errors import InvalidRequest
from polyroute.wire.anthropic import (
    DEFAULT_MAX_TOKENS,
    decode_messages_request,
    encode_messages_request,
    tool_use_id,
)

ID = re.compile(r"^[a-zA-Z0-9_-]+$")
BASE: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "Hi"}],
}


@pytest.mark.parametrize(
    ("patch", "param"),
    [
        ({"model": None}, "model"),
        ({"max_tokens": None}, "max_tokens"),
        ({"messages": None}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "system", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user"}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": [{"type": "video"}]}]},
         "messages.0.content.0.type"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": "a", "x": 1}]}]},
         "messages.0.content.0.text.x"),
        ({"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "a.b",
                                                          "name": "f", "input": {}}]}]},
         "messages.0.content.0.id"),
        ({"messages": [{"role": "assistant", "content": [{"type": "tool_result",
                                                          "tool_use_id": "a"}]}]},
         "messages.0.content.0.type"),
        ({"temperature": 1.5}, "temperature"),
        ({"tools": [{"name": "bad name", "input_schema": {}}]}, "tools.0.name"),
        ({"tools": [{"name": "f"}]}, "tools.0.input_schema"),
        ({"tool_choice": {"type": "sometimes"}}, "tool_choice.type"),
        ({"tool_choice": {"type": "tool"}}, "tool_choice.name"),
        ({"thinking": {"type": "enabled", "budget_tokens": 500}}, "thinking.budget_tokens"),
        ({"thinking": {"type": "enabled", "budget_tokens": 2048}}, "max_tokens"),
        ({"stop_sequences": ["a", 1]}, "stop_sequences.1"),
    ],
)  # fmt: skip
def test_decode_rejects_like_anthropic(patch: dict[str, Any], param: str) -> None:
    body = {**BASE, **patch}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(InvalidRequest) as info:
        decode_messages_request(body)
    assert info.value.param == param
    assert info.value.message.startswith(f"{param}: ")


def test_decode_full_body() -> None:
    body = {
        **BASE,
        "max_tokens": 2000,
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Look"},
                {"type": "image",
                 "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
            ]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
            ]},
            {"role": "user", "content": [
                {"type": "text", "text": "and"},
                {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True,
                 "content": [{"type": "text", "text": "boom"}]},
            ]},
        ],
        "tools": [{"name": "f", "description": "F", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "metadata": {"user_id": "u-1"},
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "stop_sequences": ["END"],
        "top_k": 5,
        "stream": True,
        "service_tier": "auto",
    }  # fmt: skip
    req = decode_messages_request(body)
    system, user, assistant, tool, user2 = req.messages
    assert system == Message(
        "system", [TextPart("Be brief.", provider_data={"cache_control": {"type": "ephemeral"}})]
    )
    assert user.parts[1:] == [
        ImagePart("data:image/png;base64,AAA"),
        ImagePart("https://x.test/a.png"),
    ]
    assert assistant.parts == [
        ReasoningPart("hmm", signature="sig"),
        ReasoningPart("", signature="opaque", redacted=True),
    ]
    assert assistant.tool_calls == [ToolCall("toolu_1", "f", '{"a":1}')]
    assert (tool.role, tool.tool_call_id, tool.is_error, tool.text()) == (
        "tool", "toolu_1", True, "boom"
    )  # fmt: skip
    assert user2 == Message("user", [TextPart("and")])
    assert req.tool_choice == ToolChoice("required", disable_parallel=True)
    assert req.parallel_tool_calls is False
    assert (req.user, req.stop, req.top_k, req.stream) == ("u-1", ["END"], 5, True)
    assert req.extra == {
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "service_tier": "auto",
    }


def _chat(messages: list[Message], **fields: Any) -> ChatRequest:
    return ChatRequest(model="r", messages=messages, **fields)


def test_encode_defaults_and_mapping() -> None:
    req = _chat(
        [Message("system", [TextPart("S")]), Message("user", [TextPart("hi")])],
        temperature=1.7, stop=["x"], seed=3, user="me", reasoning_effort="medium",
        extra={"logit_bias": {}, "service_tier": "auto"},
    )  # fmt: skip
    body = encode_messages_request(req, "claude-x")
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS + 4096
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert "temperature" not in body  # thinking on: only 1 is allowed
    assert body["system"] == "S" and body["stop_sequences"] == ["x"]
    assert body["metadata"] == {"user_id": "me"} and body["service_tier"] == "auto"
    assert "seed" not in body and "logit_bias" not in body
    plain = encode_messages_request(
        _chat([Message("user", [TextPart("hi")])], temperature=1.7), "m"
    )
    assert plain["max_tokens"] == DEFAULT_MAX_TOKENS and plain["temperature"] == 1.0


def test_encode_refuses_n() -> None:
    with pytest.raises(InvalidRequest) as info:
        encode_messages_request(_chat([Message("user", [TextPart("hi")])], n=2), "m")
    assert info.value.param == "n"


def test_encode_json_mode_uses_a_forced_tool() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    fmt = ResponseFormat("json_schema", schema=schema, name="out")
    body = encode_messages_request(
        _chat([Message("user", [TextPart("hi")])], response_format=fmt), "m"
    )
    assert [(t["name"], t["input_schema"]) for t in body["tools"]] == [("json_response", schema)]
    assert body["tool_choice"] == {"type": "tool", "name": "json_response"}
    assert "json_response" in body["system"][-1]["text"]
    with_tools = _chat(
        [Message("user", [TextPart("hi")])],
        response_format=ResponseFormat("json_object"),
        tools=[ToolSpec("json_response", parameters={"type": "object"})],
    )
    body = encode_messages_request(with_tools, "m")
    assert [t["name"] for t in body["tools"]] == ["json_response", "json_response_"]
    assert body["tools"][1]["input_schema"] == {"type": "object"}
    assert body["tool_choice"] == {"type": "any"}


def test_encode_maps_foreign_tool_ids_deterministically() -> None:
    odd = "call:1/ä"
    messages = [
        Message("user", [TextPart("go")]),
        Message("assistant", tool_calls=[ToolCall(odd, "f", "")]),
        Message("tool", [TextPart("ok")], tool_call_id=odd),
    ]
    body = encode_messages_request(_chat(messages), "m")
    mapped = body["messages"][1]["content"][0]["id"]
    assert ID.match(mapped) and mapped == tool_use_id(odd)
    assert body["messages"][1]["content"][0]["input"] == {}
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": mapped, "content": "ok"}
    ]


def test_encode_merges_and_pairs() -> None:
    messages = [
        Message("user", [TextPart("a")]),
        Message("user", [TextPart("b")]),
        Message("assistant", tool_calls=[ToolCall("t1", "f", "{}"), ToolCall("t2", "f", "{}")]),
        Message("user", [TextPart("c")]),
        Message("tool", [TextPart("r1")], tool_call_id="t1"),
        Message("tool", [TextPart("stale")], tool_call_id="t0"),
    ]
    turns = encode_messages_request(_chat(messages), "m")["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[0]["content"] == [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    kinds = [(b["type"], b.get("tool_use_id")) for b in turns[2]["content"]]
    assert kinds == [("tool_result", "t2"), ("tool_result", "t1"), ("text", None), ("text", None)]
    assert turns[2]["content"][0]["is_error"] is True
    assert "stale" in turns[2]["content"][3]["text"]


def _check_rules(body: dict[str, Any]) -> None:
    assert isinstance(body["max_tokens"], int) and body["max_tokens"] >= 1
    turns = body["messages"]
    assert turns
    previous_calls: set[str] = set()
    for i, turn in enumerate(turns):
        assert turn["role"] in ("user", "assistant")
        if i:
            assert turn["role"] != turns[i - 1]["role"]
        content = turn["content"]
        assert content
        if isinstance(content, str):
            assert content.strip()
            previous_calls = set()
            continue
        for block in content:
            if block["type"] == "text":
                assert block["text"].strip()
            if block["type"] == "tool_use":
                assert ID.match(block["id"])
        if turn["role"] == "assistant":
            previous_calls = {b["id"] for b in content if b["type"] == "tool_use"}
            if previous_calls:
                nxt = turns[i + 1]["content"]
                answered = {b.get("tool_use_id") for b in nxt if b["type"] == "tool_result"}
                assert previous_calls <= answered
            continue
        types = [b["type"] for b in content]
        assert types == sorted(types, key=lambda t: t != "tool_result")
        for block in content:
            if block["type"] == "tool_result":
                assert ID.match(block["tool_use_id"])
                assert block["tool_use_id"] in previous_calls
        previous_calls = set()


@settings(max_examples=150, deadline=None)
@given(loose_conversation())
def test_encoded_bodies_follow_anthropics_rules(messages: list[Message]) -> None:
    _check_rules(encode_messages_request(_chat(messages), "m"))


@settings(max_examples=150, deadline=None)
@given(anthropic_request())
def test_request_round_trip(req: ChatRequest) -> None:
    body = encode_messages_request(req, req.model)
    _check_rules(body)
    assert decode_messages_request(body) == req


@settings(max_examples=60, deadline=None)
@given(anthropic_request(), st.sampled_from(["m", "x"]))
def test_body_round_trip(req: ChatRequest, model: str) -> None:
    body = encode_messages_request(req, model)
    again = encode_messages_request(decode_messages_request(body), model)
    assert body_dump(again) == body_dump(body)
