"""The call's total budget (``timeouts.total``): every attempt and wait included, a call
ends with a 504 when it runs out, and no target is tried after that."""

from __future__ import annotations

import time

import openai
import pytest

from tests.fallback.conftest import hits

ASK = [{"role": "user", "content": "Tell me about budgets."}]


def _timeouts(first_byte: float, total: float) -> dict:
    answer = first_byte  # each attempt's own clock, whole answer or stream
    return {"timeouts": {"connect": 1, "first_byte": first_byte, "answer": answer, "total": total}}


def _out_of_budget(client: openai.OpenAI, **create: object) -> float:
    """Make the call, check it ended with the budget's 504; the wall time it took."""
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        # A stream that never started is refused with the status too, before any byte.
        client.chat.completions.create(model="main", messages=ASK, **create)  # type: ignore[call-overload]
    assert caught.value.status_code == 504
    assert "budget ran out" in caught.value.message
    return time.monotonic() - started


def test_a_budget_shorter_than_the_first_byte_timeout_ends_the_call(own_gateway, emulators) -> None:
    client = own_gateway(**_timeouts(first_byte=5, total=1.5))
    emulators["openai"].inject(latency_ms=10_000)
    assert 1.5 <= _out_of_budget(client) < 2.5
    assert hits(emulators["mistral"]) == []  # a spent budget is not failed over


def test_a_stream_whose_first_token_outlasts_the_budget_ends_before_any_byte(
    own_gateway, emulators
) -> None:
    client = own_gateway(**_timeouts(first_byte=5, total=1.5))
    emulators["openai"].inject(first_token_delay_ms=10_000)
    assert 1.5 <= _out_of_budget(client, stream=True) < 2.5


def test_a_budget_spent_by_earlier_attempts_cuts_the_last_one_short(own_gateway, emulators) -> None:
    # The first attempt times out on its own first-byte clock (1 s); the second has only
    # ~0.6 s of the call's 1.6 s left.
    client = own_gateway(**_timeouts(first_byte=1, total=1.6))
    emulators["openai"].inject(latency_ms=10_000)
    emulators["mistral"].inject(latency_ms=10_000)
    assert 1.6 <= _out_of_budget(client) < 2.4
    assert len(hits(emulators["openai"])) == len(hits(emulators["mistral"])) == 1
