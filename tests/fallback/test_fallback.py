"""Each failure mode, driven through the emulators' faults with the openai SDK as the client:
what the caller received, how many attempts each target saw and when, and the wall time."""

from __future__ import annotations

import time
from itertools import pairwise

import httpx
import openai
import pytest

from polyroute.server import BackgroundServer
from tests.fallback.conftest import (
    BACKOFF_S,
    FIRST_BYTE_S,
    MASTER_KEY,
    PRIMARY,
    SECONDARY,
    STREAM_IDLE_S,
    hits,
    recorded_call,
    upstream_outcome,
)

ASK = [{"role": "user", "content": "Tell me about fallbacks in three sentences."}]


def _call(client: openai.OpenAI, model: str = "main", **kwargs):
    started = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(model=model, messages=ASK, **kwargs)
    return raw, time.monotonic() - started


def _stream_text(client: openai.OpenAI, model: str = "main") -> tuple[str, list]:
    chunks = list(
        client.chat.completions.create(
            model=model, messages=ASK, stream=True, stream_options={"include_usage": True}
        )
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices), chunks


def test_429_with_short_retry_after_waits_and_retries_the_same_target(client, emulators) -> None:
    emulators["openai"].inject(status=429, retry_after=1)
    raw, wall = _call(client)
    assert raw.headers["x-polyroute-provider"] == "openai"
    assert raw.headers["x-polyroute-attempts"] == "2"
    first, second = hits(emulators["openai"])
    assert second - first >= 1.0  # Retry-After honoured
    assert hits(emulators["mistral"]) == []
    assert 1.0 <= wall < 2.5


def test_429_without_retry_after_fails_over_at_once(client, emulators) -> None:
    emulators["openai"].inject(status=429)
    raw, wall = _call(client)
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert len(hits(emulators["openai"])) == 1 and len(hits(emulators["mistral"])) == 1
    assert wall < 0.5


def test_429_with_a_long_retry_after_fails_over_instead_of_waiting(client, emulators) -> None:
    emulators["openai"].inject(status=429, retry_after=60)
    raw, wall = _call(client)
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert len(hits(emulators["openai"])) == 1
    assert wall < 0.5


def test_500_once_is_retried_on_the_same_target_after_a_backoff(client, emulators) -> None:
    emulators["openai"].inject(status=500)
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "openai"
    first, second = hits(emulators["openai"])
    assert second - first >= BACKOFF_S / 2  # jittered backoff: between half and all of it
    assert hits(emulators["mistral"]) == []


def test_persistent_503_costs_one_retry_then_fails_over(client, emulators) -> None:
    emulators["openai"].inject(status=503, count=50)
    raw, wall = _call(client)
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.headers["x-polyroute-attempts"] == "3"
    assert len(hits(emulators["openai"])) == 2
    assert wall < 1.0


def test_reset_before_headers_is_retried(client, emulators) -> None:
    emulators["openai"].inject(reset=True)
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "openai"
    assert len(hits(emulators["openai"])) == 2


def test_no_response_at_all_times_out_and_fails_over(client, emulators) -> None:
    emulators["openai"].inject(latency_ms=10_000)
    raw, wall = _call(client)
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert len(hits(emulators["openai"])) == 1  # a timeout is not retried on the same target
    assert FIRST_BYTE_S <= wall < FIRST_BYTE_S + 1


def test_slow_first_token_fails_over_before_any_byte_is_sent(client, emulators) -> None:
    emulators["openai"].inject(first_token_delay_ms=10_000)
    started = time.monotonic()
    text, chunks = _stream_text(client)
    wall = time.monotonic() - started
    assert text and chunks[-1].usage is not None
    assert len(hits(emulators["mistral"])) == 1
    assert wall < FIRST_BYTE_S + 1.5


def test_a_first_token_slower_than_the_idle_timeout_is_waited_for(own_gateway, emulators) -> None:
    """Before its first event a stream runs on the first-byte clock (a model may think for
    minutes), not on the idle one, which is for silence between events."""
    client = own_gateway(timeouts={"first_byte": 5, "stream_idle": 0.3})
    emulators["openai"].inject(first_token_delay_ms=1000)
    raw = client.chat.completions.with_raw_response.create(
        model="main", messages=ASK, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(raw.parse())
    assert raw.headers["x-polyroute-provider"] == "openai"
    assert chunks[-1].usage is not None
    assert hits(emulators["mistral"]) == []


@pytest.mark.parametrize(
    "fault",
    [
        {"cut_after_chunks": 3},
        {"stall_after_chunks": 3, "stall_ms": 30_000},
        {"malformed_after_chunks": 3},
    ],
    ids=["cut", "stall", "malformed"],
)
def test_broken_stream_is_continued_on_a_prefill_target(client, emulators, fault) -> None:
    """The client receives one answer: the primary's start, the secondary's continuation."""
    emulators["openai"].inject(**fault)
    started = time.monotonic()
    text, chunks = _stream_text(client)
    wall = time.monotonic() - started
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    continued = emulators["mistral"].received("/chat/completions")
    assert len(continued) == 1
    prefix = continued[0]["body"]["messages"][-1]
    assert prefix["role"] == "assistant" and prefix["prefix"] is True
    assert text.startswith(prefix["content"]) and len(text) > len(prefix["content"])
    assert text.count(prefix["content"]) == 1  # nothing sent twice
    assert wall < STREAM_IDLE_S + 2


def test_broken_stream_without_a_prefill_target_ends_with_an_error(client, emulators) -> None:
    emulators["openai"].inject(cut_after_chunks=3)
    stream = client.chat.completions.create(model="noprefill", messages=ASK, stream=True)
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert received  # content had been sent before the error
    assert hits(emulators["groq"]) == []  # a target that cannot continue is not asked


def test_missing_done_is_finalised_promptly_with_usage(client, emulators) -> None:
    emulators["openai"].inject(no_done=True)
    started = time.monotonic()
    text, chunks = _stream_text(client)
    assert text and chunks[-1].usage is not None
    assert time.monotonic() - started < 1.5
    assert hits(emulators["mistral"]) == []


def test_context_length_fails_over_to_a_larger_context_target(client, emulators) -> None:
    emulators["openai"].inject(context_length=True)
    raw, _ = _call(client, model="bigctx")
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.headers["x-polyroute-model"] == "mistral-small-latest"
    # gpt-4o has the same 128k window as gpt-4o-mini: skipped, not tried.
    assert [r["body"]["model"] for r in emulators["openai"].received("/chat/completions")] == [
        "gpt-4o-mini"
    ]


def test_content_filter_refusal_is_passed_on_not_failed_over(client, emulators) -> None:
    emulators["openai"].inject(content_filter=True)
    raw, _ = _call(client)
    assert raw.parse().choices[0].finish_reason == "content_filter"
    assert raw.headers["x-polyroute-attempts"] == "1"
    assert hits(emulators["mistral"]) == []


# OpenAI's answer to a prompt its policy flags (a 400, unlike a reply cut by the filter).
_POLICY_REFUSAL = {
    "error": {
        "message": "Invalid prompt: your prompt was flagged as potentially violating our usage "
        "policy.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_prompt",
    }
}


def test_a_policy_refusal_is_passed_on_not_failed_over(client, emulators) -> None:
    emulators["openai"].inject(status=400, body=_POLICY_REFUSAL)
    with pytest.raises(openai.BadRequestError) as caught:
        _call(client)
    assert (caught.value.code, caught.value.type) == ("invalid_prompt", "invalid_request_error")
    assert "flagged" in caught.value.message
    assert hits(emulators["mistral"]) == []


def test_a_policy_refusal_fails_over_when_the_config_says_so(own_gateway, emulators) -> None:
    client = own_gateway(retries={"per_target": 0, "failover_on_content_filter": True})
    emulators["openai"].inject(status=400, body=_POLICY_REFUSAL)
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.headers["x-polyroute-attempts"] == "2"
    assert raw.parse().choices[0].message.content


def test_caller_errors_are_not_retried_or_failed_over(client, emulators) -> None:
    emulators["openai"].inject(status=400)
    with pytest.raises(openai.BadRequestError):
        _call(client)
    assert len(hits(emulators["openai"])) == 1 and hits(emulators["mistral"]) == []


def test_a_primary_that_goes_down_and_comes_back(client, emulators) -> None:
    """Two failed attempts open its circuit: traffic leaves without touching it, then one
    probe after the cool-down finds it healthy and traffic returns."""
    emulators["openai"].inject(status=503, count=2)
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert len(hits(emulators["openai"])) == 2

    for _ in range(3):  # circuit open: the primary is not even tried
        raw, wall = _call(client)
        assert raw.headers["x-polyroute-provider"] == "mistral"
        assert raw.headers["x-polyroute-attempts"] == "1"
        assert wall < 0.5
    assert len(hits(emulators["openai"])) == 2

    time.sleep(1.1)  # the cool-down passes: the next call is the probe, and it succeeds
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "openai"
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "openai"
    assert len(hits(emulators["openai"])) == 4


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_providers_account_errors_fail_over(client, emulators, status: int) -> None:
    """A rejected key, a model the account may not use, a model gone: another provider may
    serve the call (the caller's request was not the problem)."""
    emulators["openai"].inject(status=status)
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.headers["x-polyroute-attempts"] == "2"
    assert len(hits(emulators["openai"])) == 1  # not retried on the same target


def test_when_every_circuit_is_open_no_provider_is_called(client, emulators) -> None:
    for name in ("openai", "mistral"):
        emulators[name].inject(status=503, count=2)
    with pytest.raises(openai.InternalServerError):
        _call(client)  # two failed attempts on each target open both circuits
    assert len(hits(emulators["openai"])) == len(hits(emulators["mistral"])) == 2
    with pytest.raises(openai.InternalServerError) as caught:
        _call(client)
    assert caught.value.status_code == 503
    assert "circuits are open" in caught.value.message
    assert caught.value.response.headers["x-polyroute-attempts"] == "0"
    assert len(hits(emulators["openai"])) == len(hits(emulators["mistral"])) == 2


def test_a_continuation_that_was_a_probe_closes_the_targets_circuit(client, emulators) -> None:
    emulators["mistral"].inject(status=503, count=2)
    with pytest.raises(openai.InternalServerError):
        _call(client, model=SECONDARY)  # mistral's circuit opens
    time.sleep(1.1)  # its cool-down passes: the next call to it is the probe
    emulators["openai"].inject(cut_after_chunks=3)
    text, chunks = _stream_text(client)  # continued on mistral: the probe, and it succeeds
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert text and len(hits(emulators["mistral"])) == 3
    raw, _ = _call(client, model=SECONDARY)  # so mistral is healthy again at once
    assert raw.headers["x-polyroute-provider"] == "mistral"


def test_the_response_names_the_model_that_answered(client, emulators) -> None:
    emulators["openai"].inject(status=429)
    raw, _ = _call(client)
    assert raw.parse().model.startswith("mistral-small")
    assert raw.headers["x-polyroute-decision"].startswith("route=main;strategy=ordered")


def test_accounting_after_failover(client, emulators, gateway: BackgroundServer) -> None:
    emulators["openai"].inject(status=429)
    raw, _ = _call(client)
    request_id = raw.headers["x-request-id"]
    cost = raw.headers["x-polyroute-cost-usd"]
    record = recorded_call(gateway, request_id, 2)
    attempts = record["attempt_records"]
    assert [a["provider"] for a in attempts] == ["openai", "mistral"]
    assert attempts[0]["error_kind"] == "rate_limited" and float(attempts[0]["cost_usd"]) == 0
    assert attempts[1]["status"] == "ok" and float(attempts[1]["cost_usd"]) > 0
    assert record["provider"] == "mistral" and record["attempts"] == 2
    usage = raw.parse().usage
    assert record["input_tokens"] == usage.prompt_tokens
    assert record["output_tokens"] == usage.completion_tokens
    assert float(record["cost_usd"]) == pytest.approx(float(cost)) and float(cost) > 0


@pytest.mark.parametrize(
    ("path", "body", "upstream_path"),
    [
        ("/v1/chat/completions", {"model": PRIMARY, "messages": ASK}, "/chat/completions"),
        (
            "/v1/messages",
            {"model": PRIMARY, "max_tokens": 64, "messages": ASK},
            "/chat/completions",
        ),
        ("/v1/embeddings", {"model": "openai/text-embedding-3-small", "input": "a"}, "/embeddings"),
    ],
    ids=["chat", "anthropic-messages", "embeddings"],
)
def test_client_disconnect_cancels_a_non_streaming_upstream_call(
    own_gateway, emulators, path: str, body: dict, upstream_path: str
) -> None:
    """The client gives up while the provider is still working: the gateway drops the
    upstream request instead of letting the provider generate an answer nobody reads.
    (The first-byte timeout is longer than the provider's delay, so only the client's
    leaving can end the request early.)"""
    gateway = str(own_gateway(timeouts={"first_byte": 10}).base_url).removesuffix("/v1/")
    emulators["openai"].inject(latency_ms=2000)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{gateway}{path}",
            json=body,
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
            timeout=0.3,
        )
    assert upstream_outcome(emulators["openai"], upstream_path) == "client_disconnected"


def test_retry_backoff_grows_and_is_capped(own_gateway, emulators) -> None:
    client = own_gateway(retries={"per_target": 3, "backoff_base": 0.2, "backoff_max": 0.3})
    emulators["openai"].inject(status=500, count=3)
    raw, _ = _call(client)
    assert raw.headers["x-polyroute-provider"] == "openai"
    times = hits(emulators["openai"])
    gaps = [later - earlier for earlier, later in pairwise(times)]
    # Each wait is drawn from [half, all] of min(backoff_max, base * 2**try): 0.2, then 0.3
    # twice (uncapped: 0.4 and 0.8). The upper bounds leave room for a slow machine.
    assert len(gaps) == 3
    assert 0.1 <= gaps[0] < 0.2 + 0.15
    assert all(0.15 <= gap < 0.3 + 0.15 for gap in gaps[1:])


def test_embeddings_through_a_route_fail_over_in_its_order(own_gateway, emulators) -> None:
    client = own_gateway(
        routes={"embed": {"targets": ["openai/text-embedding-3-small", "mistral/mistral-embed"]}}
    )
    emulators["openai"].inject(status=503)
    raw = client.embeddings.with_raw_response.create(model="embed", input=["a", "b"])
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.headers["x-polyroute-decision"] == "route=embed;strategy=ordered"
    assert len(raw.parse().data) == 2
    assert len(emulators["openai"].received("/embeddings")) == 1
