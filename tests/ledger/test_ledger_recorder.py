"""The dispatcher's recorder: a finished ``CallInfo`` becomes one call and its attempts,
each attempt priced by the catalog at its own provider's list price."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal

from polyroute.canonical import Usage
from polyroute.catalog import Cost, load_catalog
from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.gateway.calls import CallInfo
from polyroute.gateway.targets import Target
from polyroute.ledger import Ledger, LedgerConfig, LedgerRecorder, call_records
from polyroute.ledger import query as q
from polyroute.routing.decision import RouteDecision

CATALOG = load_catalog()
SMALL = Target("mistral", "mistral-small-latest")
MINI = Target("openai", "gpt-4.1-mini")


def _cost(target: Target, usage: Usage) -> Cost:
    return CATALOG.cost(target.provider, target.model, usage)


def _fallback_call() -> CallInfo:
    """A 429 from Mistral, then OpenAI answers: 100 ms in the gateway in all."""
    info = CallInfo("req_fallback", started=100.0, received_at=1_740_000_000.0, key_id="key_a")
    info.decision = RouteDecision("auto", "ordered", (SMALL, MINI))
    first = info.begin(SMALL, [])
    first.started, first.ended = 100.0, 100.020
    first.error = UpstreamError(UpstreamKind.RATE_LIMITED, "slow down", "mistral", status=429)
    second = info.begin(MINI, [])
    second.started, second.first_event, second.ended = 100.025, 100.055, 100.090
    second.usage = Usage(input_tokens=1000, output_tokens=200, cached_input_tokens=400)
    info.usage = second.usage
    info.ended = 100.100
    return info


def test_a_fallback_call_becomes_one_call_and_two_priced_attempts() -> None:
    call, attempts = call_records(_fallback_call(), _cost)
    expected = CATALOG.cost("openai", "gpt-4.1-mini", Usage(1000, 200, 400)).usd
    assert expected > 0
    assert call.cost_usd == expected == attempts[1].cost_usd
    assert attempts[0].cost_usd == Decimal(0)
    assert (call.status, call.provider, call.model, call.attempts) == (
        "ok",
        "openai",
        MINI.model,
        2,
    )
    assert (call.route, call.decision) == ("auto", "route=auto;strategy=ordered")
    assert (call.input_tokens, call.output_tokens, call.cached_read_tokens) == (1000, 200, 400)
    assert (call.latency_ms, call.ttft_ms, call.overhead_ms) == (100, 55, 15)
    assert call.ts == datetime.fromtimestamp(1_740_000_000.0, UTC)
    assert call.catalog_version == CATALOG.version and call.priced
    assert [(a.attempt, a.status, a.error_kind, a.http_status) for a in attempts] == [
        (1, "error", "rate_limited", 429),
        (2, "ok", None, 200),
    ]
    assert (attempts[1].latency_ms, attempts[1].ttft_ms) == (65, 30)


def test_broken_streams_and_disconnects_are_labelled() -> None:
    info = CallInfo("req_broken", started=0.0, stream=True)
    attempt = info.begin(SMALL, [])
    attempt.error = UpstreamError(UpstreamKind.STREAM_BROKEN, "cut", "mistral")
    info.error = attempt.error
    call, _ = call_records(info, _cost)
    assert (call.status, call.error_kind, call.stream) == ("stream_broken", "stream_broken", True)

    info = CallInfo("req_gone", started=0.0, stream=True)
    info.begin(SMALL, [])  # still in flight when the client left
    info.client_disconnected = True
    call, attempts = call_records(info, _cost)
    assert call.status == attempts[0].status == "client_disconnected"
    assert call.client_disconnected


def test_the_recorder_submits_and_never_raises(ledger: Ledger) -> None:
    recorder = LedgerRecorder(ledger, _cost)
    recorder(_fallback_call())
    recorder(object())  # type: ignore[arg-type]  # logged and dropped, not raised
    assert ledger.writer.flush(5)
    found = q.get_call(ledger.engine, "req_fallback", principal="key_a")
    assert found is not None
    assert [a.provider for a in found[1]] == ["mistral", "openai"]


def test_an_attempt_is_priced_once_per_usage_it_reports() -> None:
    prices: list[Usage] = []

    def counting(target: Target, usage: Usage) -> Cost:
        prices.append(usage)
        return _cost(target, usage)

    info = _fallback_call()
    second = info.attempts[1]
    header_cost = second.cost(counting)  # the x-polyroute-cost-usd header's pricing
    call, attempts = call_records(info, counting)
    assert attempts[1].cost_usd == header_cost.usd == call.cost_usd
    assert prices == [second.usage, Usage()]  # then the failed attempt, at no usage
    second.usage = Usage(input_tokens=2000, output_tokens=10)  # a stream reported more
    assert second.cost(counting).usd == _cost(MINI, second.usage).usd > header_cost.usd
    assert len(prices) == 3


def _call(n: int) -> CallInfo:
    info = CallInfo(f"req_batch_{n}", received_at=1_740_000_000.0)
    attempt = info.begin(SMALL, [])
    attempt.usage = Usage(input_tokens=10, output_tokens=2)
    attempt.ended = info.ended = attempt.started
    return info


async def test_calls_are_recorded_a_batch_at_a_time_off_the_request_path(
    database_url: str,
) -> None:
    # A writer interval far longer than the test: only the recorder can have it write.
    ledger = Ledger.open(database_url, LedgerConfig(flush_interval_ms=10_000))
    try:
        recorder = LedgerRecorder(ledger, _cost, delay=0.05, batch=1000)
        for n in range(3):
            recorder(_call(n), True)
        # Nothing is made on the calls' own path...
        assert ledger.writer.stats.submitted == 0
        await asyncio.sleep(0.04)
        assert ledger.writer.stats.submitted == 0
        # ...then the batch is made and written, without waiting for the writer's interval.
        deadline = time.monotonic() + 5
        while q.get_call(ledger.engine, "req_batch_2") is None:
            assert time.monotonic() < deadline, "the batch was not written"
            await asyncio.sleep(0.02)
        assert ledger.writer.stats.submitted == 6  # a call and an attempt each
    finally:
        assert ledger.close()


async def test_a_full_batch_is_recorded_at_once(ledger: Ledger) -> None:
    recorder = LedgerRecorder(ledger, _cost, delay=60, batch=3)
    before = ledger.writer.stats.submitted
    recorder(_call(10), True)
    recorder(_call(11), True)
    recorder(_call(12), True)  # a full batch: made on the loop's next pass
    assert ledger.writer.stats.submitted == before
    await asyncio.sleep(0)
    assert ledger.writer.stats.submitted == before + 6
    recorder(_call(13), True)  # the next batch waits again
    await asyncio.sleep(0.01)
    assert ledger.writer.stats.submitted == before + 6
    recorder.flush()  # as the app's shutdown does
    assert ledger.writer.stats.submitted == before + 8


async def test_the_last_call_in_flight_is_recorded_once_its_response_is_out(
    ledger: Ledger,
) -> None:
    """At concurrency 1 nothing waits: the records are made on the loop's next pass."""
    recorder = LedgerRecorder(ledger, _cost, delay=60)
    before = ledger.writer.stats.submitted
    recorder(_call(20), True)  # waits for others...
    recorder(_call(21), False)  # ...until the last call in flight ends
    assert ledger.writer.stats.submitted == before  # not on this call's own path
    await asyncio.sleep(0)
    assert ledger.writer.stats.submitted == before + 4
