"""A provider's own answer fields reach an OpenAI-dialect client as the provider sent them.

polyroute reads what it needs of an answer (content, tool calls, reasoning, usage) and keeps
the rest: OpenAI's ``service_tier`` and a message's ``annotations`` (a search model's
citations), Groq's ``x_groq`` and ``usage_breakdown``, Cerebras's ``time_info``,
OpenRouter's ``provider`` and ``native_finish_reason``, and the usage fields no count is
made of (OpenAI's audio and prediction tokens, OpenRouter's ``cost``, Groq's timings). A
stream carries the fields that are the same on every chunk (``service_tier``, OpenRouter's
``provider``) on every chunk.
Each emulator answers with its provider's fields (``emulators/openai_compat/shapes.py``);
the openai SDK reads them.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.gateway.conftest import BY_NAME

HELLO = [{"role": "user", "content": "hello"}]


def _answer(client: openai.OpenAI, provider: str) -> dict[str, Any]:
    raw = client.chat.completions.with_raw_response.create(
        model=BY_NAME[provider].chat, messages=HELLO
    )
    assert raw.headers["x-polyroute-provider"] == provider
    body: dict[str, Any] = raw.http_response.json()
    return body


def test_openai_service_tier_and_annotations(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=BY_NAME["openai"].chat, messages=HELLO)
    assert reply.service_tier == "default"
    assert reply.choices[0].message.annotations == []


@pytest.mark.parametrize(
    ("provider", "top", "choice"),
    [
        ("groq", {"x_groq", "usage_breakdown"}, set()),
        ("cerebras", {"time_info"}, set()),
        ("openrouter", {"provider"}, {"native_finish_reason"}),
    ],
)
def test_provider_extensions_pass_on(
    client: openai.OpenAI, provider: str, top: set[str], choice: set[str]
) -> None:
    body = _answer(client, provider)
    assert top <= body.keys()
    assert choice <= body["choices"][0].keys()
    if provider == "openrouter":
        assert body["provider"] == "Emulator"
        assert body["choices"][0]["native_finish_reason"] == "stop"
    if provider == "cerebras":
        assert set(body["time_info"]) >= {"queue_time", "prompt_time", "completion_time"}


def test_a_provider_without_extensions_adds_nothing(client: openai.OpenAI) -> None:
    body = _answer(client, "mistral")
    assert set(body) == {"id", "object", "created", "model", "choices", "usage",
                         "system_fingerprint"}  # fmt: skip
    assert set(body["choices"][0]["message"]) == {"role", "content", "refusal"}


@pytest.mark.parametrize(("provider", "field", "value"), [
    ("openai", "service_tier", "default"),
    ("openrouter", "provider", "Emulator"),
])  # fmt: skip
def test_a_stream_s_identity_fields_are_on_every_chunk(
    client: openai.OpenAI, provider: str, field: str, value: str
) -> None:
    chunks = list(
        client.chat.completions.create(
            model=BY_NAME[provider].chat,
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert len(chunks) > 2
    assert all(getattr(chunk, field) == value for chunk in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_openai_usage_details_reach_the_sdk(client: openai.OpenAI) -> None:
    """Whole and streamed: the usage details polyroute does not count pass on as sent."""
    reply = client.chat.completions.create(model=BY_NAME["openai"].chat, messages=HELLO)
    chunks = list(
        client.chat.completions.create(
            model=BY_NAME["openai"].chat,
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    for usage in (reply.usage, chunks[-1].usage):
        assert usage is not None
        assert usage.prompt_tokens_details is not None
        assert usage.prompt_tokens_details.audio_tokens == 0
        details = usage.completion_tokens_details
        assert details is not None
        assert (details.accepted_prediction_tokens, details.rejected_prediction_tokens) == (0, 0)
        assert details.audio_tokens == 0


@pytest.mark.parametrize(("provider", "fields"), [
    ("openrouter", {"cost", "is_byok", "cost_details"}),
    ("groq", {"queue_time", "prompt_time", "completion_time", "total_time"}),
    ("deepinfra", {"estimated_cost"}),
])  # fmt: skip
def test_a_provider_s_own_usage_fields_pass_on(
    client: openai.OpenAI, provider: str, fields: set[str]
) -> None:
    usage = _answer(client, provider)["usage"]
    assert fields <= usage.keys()
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
