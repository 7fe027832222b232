"""A whole answer is waited for ``timeouts.answer``, a stream's first event ``first_byte``.

A provider sends a whole answer's headers only once the answer is complete, so a long
answer is not timed against the first-byte limit meant for streams (with the old single
limit, a 3-minute reasoning answer was cut at 120 s and paid for twice when it failed over).
"""

from __future__ import annotations

import time

import openai
import pytest

from tests.fallback.conftest import hits

ASK = [{"role": "user", "content": "Take your time."}]


def test_a_whole_answer_slower_than_first_byte_still_arrives(own_gateway, emulators) -> None:
    client = own_gateway(timeouts={"connect": 1, "first_byte": 0.3, "answer": 5})
    emulators["openai"].inject(latency_ms=1_000)
    response = client.chat.completions.with_raw_response.create(model="main", messages=ASK)
    assert response.headers["x-polyroute-provider"] == "openai"
    assert response.parse().choices[0].message.content
    assert hits(emulators["mistral"]) == []


def test_a_whole_answer_over_its_limit_fails_over(own_gateway, emulators) -> None:
    client = own_gateway(timeouts={"connect": 1, "first_byte": 5, "answer": 0.5})
    emulators["openai"].inject(latency_ms=10_000)
    started = time.monotonic()
    response = client.chat.completions.with_raw_response.create(model="main", messages=ASK)
    # At most one tick (answer / 20) after the limit, and well before the first-byte one.
    assert 0.5 <= time.monotonic() - started < 2.0
    assert response.headers["x-polyroute-provider"] == "mistral"
    assert response.headers["x-polyroute-attempts"] == "2"


def test_a_lone_target_over_its_answer_limit_is_a_504(own_gateway, emulators) -> None:
    client = own_gateway(timeouts={"connect": 1, "answer": 0.5})
    emulators["openai"].inject(latency_ms=10_000)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=ASK)
    assert caught.value.status_code == 504
    assert "timed out waiting for a response" in caught.value.message


def test_a_stream_is_still_held_to_first_byte(own_gateway, emulators) -> None:
    client = own_gateway(timeouts={"connect": 1, "first_byte": 0.5, "answer": 30})
    emulators["openai"].inject(first_token_delay_ms=10_000)
    started = time.monotonic()
    stream = client.chat.completions.create(model="main", messages=ASK, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text
    assert 0.5 <= time.monotonic() - started < 3.0
    assert len(hits(emulators["mistral"])) == 1
