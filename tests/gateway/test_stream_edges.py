"""Streaming edges through every OpenAI-compatible provider, checked on the raw SSE bytes.

Grepped tests/ first (stream_options, include_usage, [DONE], event-stream, keepalive,
stream_error_after_chunks, chunk_delay_ms, finish_reason, "length", content_filter, n=2,
cached_tokens, reasoning_tokens, tool_calls). Already covered, not repeated here: usage
hidden / shown vs. the non-streaming counts (test_chat), Mistral gets no stream_options
and the others always ask for usage (test_dialects), one streamed tool call (test_tools),
OpenRouter's in-stream error via the SDK and keep-alives via the text (test_stream_faults),
no buffering for openai (test_stream_faults), cuts / stalls / no [DONE] (test_stream_faults,
fallback). The truth is recomputed from the body the emulator received.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from polyroute.emulators.openai_compat import PROFILES, errors
from polyroute.emulators.openai_compat.generation import Reply, generate_chat
from polyroute.emulators.openai_compat.shapes import Context, usage_body
from polyroute.server import BackgroundServer
from tests.gateway.conftest import FAMILY, MASTER_KEY, PROFILE, last_body

PROVIDERS = [f.provider for f in FAMILY]
MODEL = {f.provider: f.chat for f in FAMILY}
HELLO = [{"role": "user", "content": "Stream something for the edge tests."}]
LONG = [{"role": "user", "content": "Summarise: " + "the quick brown fox jumps " * 200}]
by_provider = pytest.mark.parametrize("provider", PROVIDERS)


def profile_of(provider: str) -> Any:
    return PROFILES[PROFILE.get(provider, provider)]


def truth(provider: str, body: dict[str, Any], **kw: Any) -> Reply:
    profile = profile_of(provider)
    return generate_chat(profile, profile.model(body["model"]), body, **kw)


def sse(gateway: BackgroundServer, **body: Any) -> tuple[httpx.Response, bytes, list[float]]:
    """POST a streamed chat; the response, its raw bytes and when each event arrived."""
    arrivals: list[float] = []
    raw = b""
    with httpx.stream(
        "POST",
        f"{gateway.base_url}/v1/chat/completions",
        json={"messages": HELLO, **body, "stream": True},
        headers={"Authorization": f"Bearer {MASTER_KEY}"},
        timeout=20,
    ) as response:
        started = time.monotonic()
        for piece in response.iter_raw():
            raw += piece
            arrivals += [time.monotonic() - started] * piece.count(b"\n\n")
    return response, raw, arrivals


def events(raw: bytes) -> list[Any]:
    """Each event's JSON (``"[DONE]"`` as is); every event must be one ``data:`` line."""
    assert raw.endswith(b"\n\n")
    out = []
    for event in raw[:-2].split(b"\n\n"):
        assert event.startswith(b"data: ") and b"\n" not in event, event
        data = event[6:]
        out.append("[DONE]" if data == b"[DONE]" else json.loads(data))
    return out


def choices(chunks: list[Any]) -> list[dict[str, Any]]:
    return [ch for c in chunks for ch in c.get("choices") or ()]


def texts(chunks: list[Any]) -> dict[int, str]:
    out: dict[int, str] = {}
    for ch in choices(chunks):
        out[ch["index"]] = out.get(ch["index"], "") + (ch["delta"].get("content") or "")
    return out


def finishes(chunks: list[Any]) -> list[tuple[int, str]]:
    return [(ch["index"], ch["finish_reason"]) for ch in choices(chunks) if ch["finish_reason"]]


@by_provider
@pytest.mark.parametrize("include_usage", [False, True], ids=["plain", "usage"])
def test_sse_framing(gateway, emulators, provider: str, include_usage: bool) -> None:
    """``data: <json>\\n\\n`` events only (no provider comment such as OpenRouter's
    ``: OPENROUTER PROCESSING``), one identity, ``usage: null`` exactly when asked, one
    final ``[DONE]``."""
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    response, raw, _ = sse(gateway, model=MODEL[provider], **options)
    headers = response.headers
    assert response.status_code == 200 and headers["content-type"].startswith("text/event-stream")
    assert (headers["cache-control"], headers["x-accel-buffering"]) == ("no-cache", "no")
    *chunks, done = events(raw)
    assert done == "[DONE]" and raw.count(b"data: [DONE]") == 1
    assert {(c["id"], c["object"], c["created"], c["model"]) for c in chunks} == {
        (chunks[0]["id"], "chat.completion.chunk", chunks[0]["created"], chunks[0]["model"])
    }
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    reply = truth(provider, last_body(emulators[provider]))
    assert texts(chunks) == {0: reply.choices[0].text}
    assert finishes(chunks) == [(0, "stop")]
    if include_usage:
        assert all(c["usage"] is None for c in chunks[:-1])
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    else:
        assert all("usage" not in c for c in chunks)


USAGE_CASES = [(f.provider, f.chat) for f in FAMILY] + [
    ("openai", "openai/o4-mini"),
    ("mistral", "mistral/magistral-medium-latest"),
    ("groq", "groq/openai/gpt-oss-20b"),
    ("cerebras", "cerebras/gpt-oss-120b"),
    ("xai", "xai/grok-3-mini"),
    ("openrouter", "openrouter/anthropic/claude-sonnet-4.5"),
]


@pytest.mark.parametrize(("provider", "model"), USAGE_CASES, ids=[m for _, m in USAGE_CASES])
def test_stream_usage_is_exactly_what_the_provider_reported(
    gateway, emulators, provider: str, model: str
) -> None:
    """Prompt, completion, cached and reasoning tokens, wherever the provider put them
    (Groq: ``x_groq`` then a top-level chunk; Mistral / Cerebras: the finish chunk), and the
    provider's other usage fields as it sent them; the cached and reasoning counts always."""
    _, raw, _ = sse(gateway, model=model, messages=LONG, stream_options={"include_usage": True})
    *chunks, _ = events(raw)
    body = last_body(emulators[provider])
    profile = profile_of(provider)
    card = profile.model(body["model"])
    reply = generate_chat(profile, card, body)
    assert reply.usage.cached > 0 and (reply.usage.reasoning > 0) is card.reasoning
    wire = usage_body(Context.new(profile, card, body), reply.usage, in_stream=True)
    cached = (wire.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    reasoning = (wire.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
    usage = dict(chunks[-1]["usage"])
    assert usage.pop("cost_usd")
    assert usage == {
        **wire,
        "prompt_tokens_details": {
            "cached_tokens": cached,
            **(wire.get("prompt_tokens_details") or {}),
        },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            **(wire.get("completion_tokens_details") or {}),
        },
    }


@by_provider
@pytest.mark.parametrize("reason", ["length", "content_filter"])
def test_final_finish_reason(gateway, emulators, provider: str, reason: str) -> None:
    filtered = reason == "content_filter"
    if filtered:
        emulators[provider].inject(content_filter=True)
    _, raw, _ = sse(gateway, model=MODEL[provider], **({} if filtered else {"max_tokens": 4}))
    *chunks, done = events(raw)
    assert done == "[DONE]"
    reply = truth(provider, last_body(emulators[provider]), content_filter=filtered)
    assert reply.choices[0].finish_reason == reason
    assert texts(chunks) == {0: reply.choices[0].text}
    assert finishes(chunks) == [(0, reason)]
    assert chunks[-1]["choices"][0]["finish_reason"] == reason


def server_error(provider: str) -> str:
    """The message of the in-stream error event the emulator sends."""
    if provider == "openrouter":
        return "Provider returned error"
    return errors.for_status(profile_of(provider), 500, MODEL[provider]).message


# Their in-stream error is a bare error body, not an ``{"error": {...}}`` chunk.
BARE_ERRORS = ("cerebras", "local")
NO_PREFILL = [p for p in PROVIDERS if p != "mistral"]


@pytest.mark.parametrize("provider", NO_PREFILL)
def test_in_stream_error_ends_with_an_error_event_not_done(
    gateway, emulators, provider: str
) -> None:
    emulators[provider].inject(stream_error_after_chunks=3)
    response, raw, _ = sse(gateway, model=MODEL[provider])
    assert response.status_code == 200
    *chunks, last = events(raw)
    assert b"[DONE]" not in raw
    assert set(last) == {"error"} and set(last["error"]) == {"message", "type", "param", "code"}
    assert last["error"]["message"] == f"{provider}: {server_error(provider)}"
    reply = truth(provider, last_body(emulators[provider]))
    assert texts(chunks) == {0: "".join(reply.choices[0].pieces[:2])}
    assert finishes(chunks) == []
    assert len(emulators[provider].received("/chat/completions")) == 1


def test_mistral_in_stream_error_is_continued(gateway, emulators) -> None:
    mistral = emulators["mistral"]
    mistral.inject(stream_error_after_chunks=3)
    _, raw, _ = sse(gateway, model=MODEL["mistral"])
    *chunks, done = events(raw)
    first, second = mistral.received("/chat/completions")
    reply = truth("mistral", first["body"])
    assert done == "[DONE]" and finishes(chunks) == [(0, "stop")]
    assert texts(chunks) == {0: reply.choices[0].text}
    sent = "".join(reply.choices[0].pieces[:2])
    assert second["body"]["messages"][-1] == {"role": "assistant", "content": sent, "prefix": True}


@pytest.mark.parametrize("provider", ["openai", "groq", "deepinfra", "xai"])
def test_error_event_before_any_chunk_is_a_plain_http_error(
    gateway, emulators, provider: str
) -> None:
    emulators[provider].inject(stream_error_after_chunks=0)
    response, raw, _ = sse(gateway, model=MODEL[provider])
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(raw)["error"]["message"] == f"{provider}: {server_error(provider)}"
    assert len(emulators[provider].received("/chat/completions")) == 1


def test_openrouter_502_before_any_chunk_is_retried_invisibly(gateway, emulators) -> None:
    emulators["openrouter"].inject(stream_error_after_chunks=0)
    response, raw, _ = sse(gateway, model=MODEL["openrouter"])
    assert response.headers["x-polyroute-attempts"] == "2"
    *chunks, done = events(raw)
    first, second = emulators["openrouter"].received("/chat/completions")
    assert done == "[DONE]" and first["body"] == second["body"]
    assert texts(chunks) == {0: truth("openrouter", second["body"]).choices[0].text}


@pytest.mark.parametrize("provider", ["mistral", *BARE_ERRORS])
def test_error_body_before_any_chunk_does_not_start_the_stream(
    gateway, emulators, provider: str
) -> None:
    """Before any content the call may still fail or be retried, never commit on an error."""
    emulators[provider].inject(stream_error_after_chunks=0)
    response, raw, _ = sse(gateway, model=MODEL[provider])
    if response.status_code != 200:
        assert json.loads(raw)["error"]["message"] == f"{provider}: {server_error(provider)}"
        return
    *chunks, done = events(raw)  # retried invisibly: a whole answer
    assert done == "[DONE]" and all(c["id"] and c["model"] for c in chunks)


CITY = {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["c"]}}}
TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": CITY}}
    for name in ("get_weather", "get_time")
]


@by_provider
def test_parallel_tool_call_deltas_reassemble_exactly(gateway, emulators, provider: str) -> None:
    ask = [{"role": "user", "content": "In parallel: get_weather and get_time for Oslo."}]
    _, raw, _ = sse(gateway, model=MODEL[provider], messages=ask, tools=TOOLS)
    *chunks, done = events(raw)
    calls: dict[int, list[str]] = {}
    for delta in (d for ch in choices(chunks) for d in ch["delta"].get("tool_calls") or ()):
        entry = calls.setdefault(delta["index"], ["", "", ""])
        entry[0] += delta.get("id") or ""
        entry[1] += delta["function"].get("name") or ""
        entry[2] += delta["function"].get("arguments") or ""
    expected = truth(provider, last_body(emulators[provider])).choices[0].tool_calls
    assert len(expected) == 2
    assert sorted(calls) == [0, 1] and len({calls[0][0], calls[1][0]} - {""}) == 2
    assert [tuple(calls[i][1:]) for i in (0, 1)] == [(c.name, c.arguments) for c in expected]
    assert finishes(chunks) == [(0, "tool_calls")] and done == "[DONE]"
    assert texts(chunks) == {0: ""}


N_PROVIDERS = [p for p in PROVIDERS if "n" in profile_of(p).chat_fields]


@pytest.mark.parametrize("provider", N_PROVIDERS)
def test_two_choices_stream_side_by_side(gateway, emulators, provider: str) -> None:
    _, raw, _ = sse(gateway, model=MODEL[provider], n=2, stream_options={"include_usage": True})
    *chunks, done = events(raw)
    body = last_body(emulators[provider])
    assert body["n"] == 2
    reply = truth(provider, body)
    assert texts(chunks) == {0: reply.choices[0].text, 1: reply.choices[1].text}
    roles = [ch["index"] for ch in choices(chunks) if ch["delta"].get("role")]
    assert roles == [0, 1]
    assert sorted(finishes(chunks)) == [(0, "stop"), (1, "stop")]
    assert chunks[-1]["usage"]["completion_tokens"] == reply.usage.completion
    assert done == "[DONE]"


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "openai"])
def test_chunks_are_not_buffered(gateway, emulators, provider: str) -> None:
    """150 ms between upstream chunks: five content chunks arrive spread over >= 4 gaps."""
    emulators[provider].inject(chunk_delay_ms=150)
    _, raw, arrivals = sse(gateway, model=MODEL[provider], max_tokens=5)
    *chunks, _ = events(raw)
    content = [t for t, c in zip(arrivals, chunks, strict=False) if texts([c]).get(0)]
    assert len(content) == 5
    assert content[-1] - content[0] > 0.45
