"""The translation matrix: {openai SDK, anthropic SDK} x {groq, mistral, anthropic, gemini}
x {non-streaming, streaming} x {plain text, a tool call and its result, an image}.

Every cell checks, through the SDK's own parsing, that the client sees what the provider
answered (the truth is recomputed from the body the provider received), in the client's
own vocabulary; streaming cells also check that the stream adds up to the same answer as a
non-streaming call.
"""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from matrix_support import (
    ANTHROPIC_TOOLS,
    CLIENTS,
    IMAGE_PROMPT,
    MODES,
    OPENAI_TOOLS,
    PNG_B64,
    PNG_URL,
    TARGETS,
    TEXT_PROMPT,
    TOOL_RESULT,
    TOOL_TARGETS,
    VALID_ID,
    Target,
    Truth,
    Turn,
    anthropic_turn,
    expected_usage,
    finish_for,
    last_body,
    openai_turn,
    tool_result_messages,
    truth,
    user_message,
)

from polyroute.emulators import EmulatorServer
from polyroute.emulators.openai_compat import PROFILES
from polyroute.wire.gemini import SKIP_SIGNATURE


@pytest.fixture
def clients(openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic) -> dict[str, Any]:
    return {"openai": openai_client, "anthropic": anthropic_client}


def run(
    clients: dict[str, Any],
    client: str,
    target: Target,
    messages: list[Any],
    *,
    stream: bool,
    tools: bool = False,
) -> Turn:
    if client == "openai":
        return openai_turn(
            clients["openai"],
            target.address,
            messages,
            stream=stream,
            tools=OPENAI_TOOLS if tools else None,
        )
    return anthropic_turn(
        clients["anthropic"],
        target.address,
        messages,
        stream=stream,
        tools=ANTHROPIC_TOOLS if tools else None,
    )


def check_streamed_upstream(server: EmulatorServer, target: Target, stream: bool) -> None:
    """The provider was asked in its own streaming form exactly when the client streamed."""
    request = server.received(target.path)[-1]
    if target.kind == "gemini":
        assert request["path"].endswith(
            ":streamGenerateContent" if stream else ":generateContent"
        ), request["path"]
    else:
        assert bool(request["body"].get("stream")) is stream


def check_turn(client: str, turn: Turn, t: Truth, *, tool: bool) -> None:
    assert turn.text == t.text
    assert turn.finish == finish_for(client, tool=tool)
    assert (turn.input_tokens, turn.output_tokens) == expected_usage(client, t)
    assert turn.input_tokens > 0
    assert turn.output_tokens > 0


def check_same(streamed: Turn, reference: Turn) -> None:
    """A stream adds up to the same answer as the non-streaming call."""
    assert streamed.text == reference.text
    assert streamed.finish == reference.finish
    assert [(c.name, c.arguments) for c in streamed.calls] == [
        (c.name, c.arguments) for c in reference.calls
    ]
    assert (streamed.input_tokens, streamed.output_tokens) == (
        reference.input_tokens,
        reference.output_tokens,
    )


# -- plain text ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
@pytest.mark.parametrize("client", CLIENTS)
def test_text(
    clients: dict[str, Any],
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
    mode: str,
) -> None:
    stream = mode == "stream"
    server = emulators[target.provider]
    messages = [user_message(client, "text")]
    turn = run(clients, client, target, messages, stream=stream)
    check_streamed_upstream(server, target, stream)
    t = truth(target, last_body(server, target))
    check_turn(client, turn, t, tool=False)
    assert TEXT_PROMPT in turn.text
    assert turn.calls == []
    if stream:
        check_same(turn, run(clients, client, target, messages, stream=False))


# -- a tool call and its result, over two turns ---------------------------------------------


def _pairs_openai(target: Target, body: dict[str, Any]) -> list[tuple[str, str]]:
    messages = body["messages"]
    calls = [c for m in messages if m.get("role") == "assistant" for c in m.get("tool_calls") or []]
    results = [m for m in messages if m.get("role") == "tool"]
    assert [c["function"]["name"] for c in calls] == ["get_weather"]
    assert [r["tool_call_id"] for r in results] == [c["id"] for c in calls]
    rule = PROFILES[target.provider].tool_call_id_rule
    for call in calls:
        assert VALID_ID.match(call["id"]), call["id"]
        if rule is not None:
            length, alphabet = rule
            assert len(call["id"]) == length, call["id"]
            assert set(call["id"]) <= set(alphabet), call["id"]
    return [(c["id"], c["function"]["name"]) for c in calls]


def _pairs_anthropic(body: dict[str, Any]) -> list[tuple[str, str]]:
    blocks = [
        b
        for m in body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if isinstance(b, dict)
    ]
    uses = [b for b in blocks if b["type"] == "tool_use"]
    results = [b for b in blocks if b["type"] == "tool_result"]
    assert [u["name"] for u in uses] == ["get_weather"]
    assert [r["tool_use_id"] for r in results] == [u["id"] for u in uses]
    for use in uses:
        assert VALID_ID.match(use["id"]), use["id"]
    return [(u["id"], u["name"]) for u in uses]


def _pairs_gemini(body: dict[str, Any], first: Truth) -> list[tuple[str, str]]:
    parts = [p for c in body["contents"] for p in c["parts"]]
    calls = [p for p in parts if "functionCall" in p]
    results = [p["functionResponse"] for p in parts if "functionResponse" in p]
    assert [c["functionCall"]["name"] for c in calls] == ["get_weather"]
    assert [r["name"] for r in results] == ["get_weather"]
    for call, result in zip(calls, results, strict=True):
        if call["functionCall"].get("id") is not None or result.get("id") is not None:
            assert result.get("id") == call["functionCall"].get("id")
    own_id = first.calls[0][2]
    if own_id is not None:  # the model sends ids: its own id must come back to it
        assert calls[0]["functionCall"]["id"] == own_id
    if first.signature is not None:  # a thinking model signed its call
        assert calls[0].get("thoughtSignature") in (first.signature, SKIP_SIGNATURE)
    return [(c["functionCall"].get("id", ""), c["functionCall"]["name"]) for c in calls]


def check_provider_ids(target: Target, body: dict[str, Any], first: Truth) -> None:
    """The second request carries the call and its result with ids of the provider's form."""
    if target.kind == "openai_compat":
        _pairs_openai(target, body)
    elif target.kind == "anthropic":
        pairs = _pairs_anthropic(body)
        own_id = first.calls[0][2]
        assert pairs[0][0] == own_id, "Anthropic gets its own tool_use id back"
    else:
        _pairs_gemini(body, first)


def two_turns(
    clients: dict[str, Any],
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
    *,
    stream: bool,
) -> tuple[Turn, Truth, Turn, Truth, dict[str, Any]]:
    server = emulators[target.provider]
    question = user_message(client, "tool")
    first = run(clients, client, target, [question], stream=stream, tools=True)
    check_streamed_upstream(server, target, stream)
    first_truth = truth(target, last_body(server, target))
    history = [question, first.assistant, *tool_result_messages(client, first)]
    second = run(clients, client, target, history, stream=stream, tools=True)
    check_streamed_upstream(server, target, stream)
    second_body = last_body(server, target)
    return first, first_truth, second, truth(target, second_body), second_body


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TOOL_TARGETS, ids=lambda t: t.key)
@pytest.mark.parametrize("client", CLIENTS)
def test_tool_call_two_turns(
    clients: dict[str, Any],
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
    mode: str,
) -> None:
    stream = mode == "stream"
    first, t1, second, t2, second_body = two_turns(
        clients, emulators, client, target, stream=stream
    )
    # Turn 1: one call, its arguments as the provider generated them, a valid id.
    check_turn(client, first, t1, tool=True)
    assert [(c.name, c.arguments) for c in first.calls] == [(n, a) for n, a, _ in t1.calls]
    assert isinstance(first.calls[0].arguments.get("city"), str)
    assert VALID_ID.match(first.calls[0].id), first.calls[0].id
    # Turn 2: the provider got the call and its result with ids of its own form, and the
    # answer quotes the result.
    check_provider_ids(target, second_body, t1)
    check_turn(client, second, t2, tool=False)
    assert TOOL_RESULT in second.text
    assert second.calls == []
    if stream:
        ref_first, _, ref_second, _, _ = two_turns(clients, emulators, client, target, stream=False)
        check_same(first, ref_first)
        check_same(second, ref_second)


# -- an image -------------------------------------------------------------------------------


def check_image_upstream(target: Target, body: dict[str, Any]) -> None:
    """The image reached the provider in its own form, bytes intact."""
    if target.kind == "openai_compat":
        parts = [
            p for m in body["messages"] if isinstance(m["content"], list) for p in m["content"]
        ]
        images = [p["image_url"] for p in parts if p.get("type") == "image_url"]
        urls = [i if isinstance(i, str) else i["url"] for i in images]
        assert urls == [PNG_URL]
    elif target.kind == "anthropic":
        blocks = [
            b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]
        ]
        sources = [b["source"] for b in blocks if b["type"] == "image"]
        assert sources == [{"type": "base64", "media_type": "image/png", "data": PNG_B64}]
    else:
        parts = [p for c in body["contents"] for p in c["parts"]]
        inline = [p["inlineData"] for p in parts if "inlineData" in p]
        assert inline == [{"mimeType": "image/png", "data": PNG_B64}]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
@pytest.mark.parametrize("client", CLIENTS)
def test_image(
    clients: dict[str, Any],
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
    mode: str,
) -> None:
    stream = mode == "stream"
    server = emulators[target.provider]
    messages = [user_message(client, "image")]
    turn = run(clients, client, target, messages, stream=stream)
    body = last_body(server, target)
    check_image_upstream(target, body)
    t = truth(target, body)
    check_turn(client, turn, t, tool=False)
    assert IMAGE_PROMPT in turn.text
    if stream:
        check_same(turn, run(clients, client, target, messages, stream=False))
