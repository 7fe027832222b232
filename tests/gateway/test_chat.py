"""Plain chat, streamed and not, through every provider of the OpenAI-compatible family."""

from __future__ import annotations

import json
from decimal import Decimal

import openai
import pytest

from tests.gateway.conftest import FAMILY, Family, last_body

pytestmark = pytest.mark.parametrize("family", FAMILY, ids=[f.provider for f in FAMILY])

HELLO = [{"role": "user", "content": "Say hello to the gateway tests."}]


def test_non_streaming_answer_usage_and_headers(client: openai.OpenAI, family: Family) -> None:
    raw = client.chat.completions.with_raw_response.create(model=family.chat, messages=HELLO)
    reply = raw.parse()

    assert reply.choices[0].message.role == "assistant"
    assert "hello to the gateway tests" in (reply.choices[0].message.content or "").lower()
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert raw.headers["x-polyroute-provider"] == family.provider
    assert raw.headers["x-polyroute-model"] == family.chat_model
    assert raw.headers["x-polyroute-attempts"] == "1"
    assert raw.headers["x-request-id"].startswith("req_")


def test_stream_matches_non_stream_and_hides_usage(client: openai.OpenAI, family: Family) -> None:
    whole = client.chat.completions.create(model=family.chat, messages=HELLO)
    chunks = list(client.chat.completions.create(model=family.chat, messages=HELLO, stream=True))

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    # The client did not ask for usage: it never sees a usage chunk, whatever the provider sends.
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)


def test_stream_usage_when_asked(client: openai.OpenAI, family: Family) -> None:
    whole = client.chat.completions.create(model=family.chat, messages=HELLO)
    chunks = list(
        client.chat.completions.create(
            model=family.chat, messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )

    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1]
    assert chunks[-1].choices == []
    assert whole.usage is not None
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_sampling_parameters_reach_the_provider(
    client: openai.OpenAI, family: Family, emulators
) -> None:
    reply = client.chat.completions.create(
        model=family.chat,
        messages=[{"role": "system", "content": "Be brief."}, *HELLO],
        temperature=0.3,
        top_p=0.9,
        max_tokens=50,
        stop=["\n\n"],
        seed=7,
    )
    assert reply.choices[0].message.content

    body = last_body(emulators[family.provider])
    assert body["temperature"] == 0.3 and body["top_p"] == 0.9
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["stop"] == ["\n\n"]
    assert 50 in (body.get("max_tokens"), body.get("max_completion_tokens"))
    assert 7 in (body.get("seed"), body.get("random_seed"))


def test_json_object_mode(client: openai.OpenAI, family: Family) -> None:
    reply = client.chat.completions.create(
        model=family.chat,
        messages=[{"role": "user", "content": "Give me a JSON object describing a cat."}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)


def test_json_schema_mode(client: openai.OpenAI, family: Family) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    reply = client.chat.completions.create(
        model=family.chat,
        messages=[{"role": "user", "content": "Describe a person."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": schema, "strict": True},
        },
    )
    data = json.loads(reply.choices[0].message.content or "")
    assert isinstance(data["name"], str) and isinstance(data["age"], int)


def test_cost_header_and_stream_usage_cost(client: openai.OpenAI, family: Family) -> None:
    raw = client.chat.completions.with_raw_response.create(model=family.chat, messages=HELLO)
    header = Decimal(raw.headers["x-polyroute-cost-usd"])
    assert header >= 0
    chunks = list(
        client.chat.completions.create(
            model=family.chat, messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )
    usage = chunks[-1].usage
    assert usage is not None
    # The one extra field polyroute adds: the stream's cost, exact, as a decimal string.
    assert Decimal(usage.model_extra["cost_usd"]) == header
