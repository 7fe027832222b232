"""A call that ends before its provider reports usage was still billed.

A stream cut, stalled or left by its client: the provider read the prompt and generated at
least what reached the client. An answer whose client hung up before it came: the provider
had the prompt. The ledger records an estimate of that, flagged ``usage_estimated``, instead
of 0 tokens and $0.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import openai
import pytest

from polyroute.server import BackgroundServer
from tests.fallback.conftest import MASTER_KEY, hits, recorded_call, upstream_outcome

ASK = [{"role": "user", "content": "Tell me about fallbacks in three sentences."}]


def _stream(client: openai.OpenAI, model: str = "main"):
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=ASK, stream=True, stream_options={"include_usage": True}
    )
    return raw.headers["x-request-id"], raw.parse()


def test_a_continued_stream_records_the_broken_attempts_estimate(
    client, emulators, gateway
) -> None:
    emulators["openai"].inject(cut_after_chunks=4)
    request_id, stream = _stream(client)
    chunks = list(stream)
    usage = chunks[-1].usage
    record = recorded_call(gateway, request_id, 2)
    broken, continued = record["attempt_records"]
    prefix = emulators["mistral"].received("/chat/completions")[0]["body"]["messages"][-1]
    assert broken["status"] == "stream_broken" and broken["usage_estimated"] is True
    assert 1 <= broken["output_tokens"] <= len(prefix["content"])
    assert broken["input_tokens"] > 0 and float(broken["cost_usd"]) > 0
    assert continued["status"] == "ok" and continued["usage_estimated"] is False
    assert record["usage_estimated"] is True
    # What the client was told it used is what the ledger charges for the output.
    assert record["output_tokens"] == usage.completion_tokens
    assert float(record["cost_usd"]) == pytest.approx(
        float(broken["cost_usd"]) + float(continued["cost_usd"])
    )


def test_a_stream_broken_for_good_is_not_recorded_as_free(client, emulators, gateway) -> None:
    emulators["openai"].inject(cut_after_chunks=5)
    request_id, stream = _stream(client, model="noprefill")
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    sent = "".join(c.choices[0].delta.content or "" for c in received if c.choices)
    record = recorded_call(gateway, request_id, 1)
    (attempt,) = record["attempt_records"]
    assert record["status"] == attempt["status"] == "stream_broken"
    assert attempt["usage_estimated"] is record["usage_estimated"] is True
    assert len(sent.split()) <= attempt["output_tokens"] <= len(sent)
    assert attempt["input_tokens"] > 0 and float(record["cost_usd"]) > 0


def test_a_client_gone_mid_stream_records_what_it_was_sent(emulators, gateway) -> None:
    emulators["openai"].inject(chunk_delay_ms=100)
    body = {"model": "main", "messages": ASK, "stream": True}
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    with (
        httpx.Client(base_url=gateway.base_url, headers=headers, timeout=10) as http,
        http.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        request_id = response.headers["x-request-id"]
        data = []
        for line in response.iter_lines():
            if line.startswith("data: "):
                data.append(line)
            if len(data) == 4:
                break  # and hang up
    record = recorded_call(gateway, request_id, 1)
    (attempt,) = record["attempt_records"]
    assert record["status"] == attempt["status"] == "client_disconnected"
    assert attempt["usage_estimated"] is True
    assert 1 <= attempt["output_tokens"] <= 10  # a handful of one-word deltas, at most
    assert float(attempt["cost_usd"]) > 0
    assert hits(emulators["mistral"]) == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", {"model": "main", "messages": ASK, "stream": True}),
        ("/v1/messages", {"model": "main", "max_tokens": 64, "messages": ASK, "stream": True}),
    ],
    ids=["chat", "anthropic-messages"],
)
def test_a_client_gone_before_the_first_token_takes_the_stream_with_it(
    own_gateway, emulators, path: str, body: dict
) -> None:
    """A stream whose first token is slow to come (a model thinking): the client that gives
    up meanwhile takes the upstream request with it, as for a whole answer, and the call is
    recorded at its estimated prompt."""
    client = own_gateway(timeouts={"first_byte": 10, "stream_idle": 10})
    gateway = str(client.base_url).removesuffix("/v1/")
    emulators["openai"].inject(first_token_delay_ms=3000)
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{gateway}{path}", json=body, headers=headers, timeout=0.2)
    left = time.monotonic()
    # Well before the first token would have come: the gateway dropped the request.
    assert upstream_outcome(emulators["openai"]) == "client_disconnected"
    assert time.monotonic() - left < 2
    with httpx.Client(base_url=gateway, headers=headers) as http:
        deadline = time.monotonic() + 5
        while not (calls := http.get("/v1/usage/calls").json()["data"]):
            assert time.monotonic() < deadline, "the call was never recorded"
            time.sleep(0.05)
        (call,) = calls
        (attempt,) = http.get(f"/v1/usage/calls/{call['request_id']}").json()["attempt_records"]
    assert call["status"] == attempt["status"] == "client_disconnected"
    assert attempt["usage_estimated"] is True
    assert attempt["input_tokens"] > 0 and attempt["output_tokens"] == 0
    assert float(attempt["cost_usd"]) > 0
    assert hits(emulators["mistral"]) == []


def test_a_client_gone_while_a_continuation_thinks_takes_it_with_it(own_gateway, emulators) -> None:
    """The primary's stream breaks after a few chunks and the secondary, asked to continue
    it, is slow to start; the client gives up meanwhile. The continuation's request is
    dropped, and the call is recorded as its client's leaving, both attempts estimated."""
    client = own_gateway(timeouts={"first_byte": 10, "stream_idle": 10})
    gateway = str(client.base_url).removesuffix("/v1/")
    emulators["openai"].inject(cut_after_chunks=3)
    emulators["mistral"].inject(first_token_delay_ms=3000)
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    body = {"model": "main", "messages": ASK, "stream": True}
    with (
        httpx.Client(base_url=gateway, headers=headers, timeout=0.5) as http,
        http.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        request_id = response.headers["x-request-id"]
        with pytest.raises(httpx.ReadTimeout):
            for _ in response.iter_lines():
                pass
    left = time.monotonic()
    assert upstream_outcome(emulators["mistral"]) == "client_disconnected"
    assert time.monotonic() - left < 2
    record = recorded_call(SimpleNamespace(base_url=gateway), request_id, 2)
    broken, continuation = record["attempt_records"]
    assert broken["status"] == "stream_broken" and broken["usage_estimated"] is True
    assert continuation["status"] == record["status"] == "client_disconnected"
    assert continuation["usage_estimated"] is True and continuation["input_tokens"] > 0
    assert continuation["output_tokens"] == 0


def test_usage_the_provider_reported_is_never_replaced(client, emulators, gateway) -> None:
    request_id, stream = _stream(client)
    usage = list(stream)[-1].usage
    record = recorded_call(gateway, request_id, 1)
    assert record["usage_estimated"] is False
    assert record["attempt_records"][0]["usage_estimated"] is False
    assert (record["input_tokens"], record["output_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )


def test_an_attempt_that_failed_before_answering_costs_nothing(client, emulators, gateway) -> None:
    emulators["openai"].inject(status=500)
    request_id, stream = _stream(client)
    list(stream)
    record = recorded_call(gateway, request_id, 2)
    failed, answered = record["attempt_records"]
    assert failed["status"] == "error" and failed["usage_estimated"] is False
    assert (failed["input_tokens"], failed["output_tokens"], float(failed["cost_usd"])) == (0, 0, 0)
    assert answered["status"] == "ok" and record["usage_estimated"] is False


def test_the_summary_counts_estimated_calls(client, emulators, gateway) -> None:
    def estimated_calls() -> int:
        with httpx.Client(
            base_url=gateway.base_url, headers={"Authorization": f"Bearer {MASTER_KEY}"}
        ) as http:
            return http.get("/v1/usage/summary").json()["data"][0]["estimated_calls"]

    before = estimated_calls()
    emulators["openai"].inject(cut_after_chunks=4)
    request_id, stream = _stream(client)
    list(stream)
    recorded_call(gateway, request_id, 2)
    assert estimated_calls() == before + 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", {"model": "openai/gpt-4o-mini", "messages": ASK}),
        ("/v1/embeddings", {"model": "openai/text-embedding-3-small", "input": ASK[0]["content"]}),
    ],
)
def test_an_answer_its_client_hung_up_on_records_the_prompt(
    emulators, gateway, path: str, body: dict
) -> None:
    """Not waiting for an answer must not make its prompt free: that would let a caller spend
    the team's input tokens outside its budget."""
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    emulators["openai"].inject(latency_ms=2000)
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{gateway.base_url}{path}", json=body, headers=headers, timeout=0.4)
    record = recorded_call(
        gateway, _disconnected_call(gateway, since, body["model"].partition("/")[2]), 1
    )
    (attempt,) = record["attempt_records"]
    assert record["status"] == attempt["status"] == "client_disconnected"
    assert record["stream"] is False
    assert attempt["usage_estimated"] is record["usage_estimated"] is True
    # The prompt is a dozen tokens at most; what was generated is unknown and not guessed.
    assert 5 <= attempt["input_tokens"] <= 30 and attempt["output_tokens"] == 0
    assert float(attempt["cost_usd"]) > 0
    assert float(record["cost_usd"]) == pytest.approx(float(attempt["cost_usd"]))


def _disconnected_call(gateway: BackgroundServer, since: str, model: str) -> str:
    """The id of the one answer (not a stream) of ``model`` recorded as
    ``client_disconnected`` since ``since``."""
    params = {"status": "client_disconnected", "start": since, "model": model}
    with httpx.Client(
        base_url=gateway.base_url, headers={"Authorization": f"Bearer {MASTER_KEY}"}
    ) as http:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            calls = http.get("/v1/usage/calls", params=params).json()["data"]
            calls = [c for c in calls if not c["stream"]]  # an earlier test's stream may be there
            if calls:
                (call,) = calls
                return str(call["request_id"])
            time.sleep(0.05)
    raise AssertionError("no call was recorded as client_disconnected")
