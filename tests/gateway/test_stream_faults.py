"""A stream that breaks never passes for a whole answer; one that fails before its first
byte fails like a non-streaming call."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from polyroute.server import BackgroundServer
from tests.gateway.conftest import BY_NAME, MASTER_KEY, STREAM_IDLE_S

HELLO = [{"role": "user", "content": "Tell me a long story about gateways and streams."}]
OPENAI = BY_NAME["openai"].chat


def _drain(stream: openai.Stream) -> str:
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


@pytest.mark.parametrize("provider", ["openai", "groq", "openrouter"])
def test_cut_mid_stream_ends_with_an_error(client: openai.OpenAI, emulators, provider: str) -> None:
    emulators[provider].inject(cut_after_chunks=3)
    stream = client.chat.completions.create(
        model=BY_NAME[provider].chat, messages=HELLO, stream=True
    )
    with pytest.raises(openai.APIError) as caught:
        _drain(stream)
    assert (
        "before the answer was complete" in caught.value.message or "ended" in caught.value.message
    )


def test_cut_mid_stream_is_continued_where_prefill_is_supported(
    client: openai.OpenAI, emulators
) -> None:
    """Mistral continues an assistant message (``prefix``): the client gets one answer."""
    mistral = emulators["mistral"]
    mistral.inject(cut_after_chunks=3)
    stream = client.chat.completions.create(
        model=BY_NAME["mistral"].chat,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None

    first, second = mistral.received("/chat/completions")
    prefix = second["body"]["messages"][-1]
    assert prefix["role"] == "assistant" and prefix["prefix"] is True
    assert text.startswith(prefix["content"]) and len(text) > len(prefix["content"])
    assert second["body"]["messages"][:-1] == first["body"]["messages"]


def test_stall_is_abandoned_within_the_idle_window(client: openai.OpenAI, emulators) -> None:
    emulators["openai"].inject(stall_after_chunks=2, stall_ms=30_000)
    stream = client.chat.completions.create(model=OPENAI, messages=HELLO, stream=True)
    started = time.monotonic()
    with pytest.raises(openai.APIError) as caught:
        _drain(stream)
    elapsed = time.monotonic() - started
    assert "stalled" in caught.value.message
    assert elapsed < STREAM_IDLE_S + 2


def test_malformed_chunk_ends_with_an_error_not_garbage(client: openai.OpenAI, emulators) -> None:
    emulators["openai"].inject(malformed_after_chunks=2)
    stream = client.chat.completions.create(model=OPENAI, messages=HELLO, stream=True)
    with pytest.raises(openai.APIError) as caught:
        _drain(stream)
    assert "malformed" in caught.value.message


def test_missing_done_after_a_complete_answer_is_a_success(
    client: openai.OpenAI, emulators
) -> None:
    whole = client.chat.completions.create(model=OPENAI, messages=HELLO)
    emulators["openai"].inject(no_done=True)
    stream = client.chat.completions.create(
        model=OPENAI, messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].usage is not None


def test_openrouter_in_stream_error_reaches_the_client(client: openai.OpenAI, emulators) -> None:
    emulators["openrouter"].inject(stream_error_after_chunks=2)
    stream = client.chat.completions.create(
        model=BY_NAME["openrouter"].chat, messages=HELLO, stream=True
    )
    with pytest.raises(openai.APIError) as caught:
        _drain(stream)
    assert caught.value.message.startswith("openrouter:")


def test_openrouter_keepalive_comments_are_invisible(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model=BY_NAME["openrouter"].chat, messages=HELLO)
    stream = client.chat.completions.create(
        model=BY_NAME["openrouter"].chat, messages=HELLO, stream=True
    )
    assert _drain(stream) == whole.choices[0].message.content


def test_failure_before_the_first_byte_is_a_plain_http_error(
    client: openai.OpenAI, emulators
) -> None:
    emulators["openai"].inject(status=429, retry_after=30)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model=OPENAI, messages=HELLO, stream=True)


def test_stream_fails_over_before_the_first_byte(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="fallback", messages=HELLO, stream=True
    )
    assert raw.headers["x-polyroute-attempts"] == "3"
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert _drain(raw.parse())


def test_chunks_are_forwarded_as_they_arrive(gateway: BackgroundServer, emulators) -> None:
    """300 ms between upstream chunks: the first reaches the client long before the last."""
    emulators["openai"].inject(chunk_delay_ms=300)
    arrivals = []
    with httpx.stream(
        "POST",
        f"{gateway.base_url}/v1/chat/completions",
        json={"model": OPENAI, "messages": HELLO, "stream": True},
        headers={"Authorization": f"Bearer {MASTER_KEY}"},
        timeout=20,
    ) as response:
        started = time.monotonic()
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) >= 4
    assert arrivals[-1] - arrivals[0] > 0.3 * (len(arrivals) - 3)


def test_client_disconnect_cancels_the_upstream_stream(
    gateway: BackgroundServer, emulators
) -> None:
    emulators["openai"].inject(chunk_delay_ms=200)
    with httpx.stream(
        "POST",
        f"{gateway.base_url}/v1/chat/completions",
        json={"model": OPENAI, "messages": HELLO, "stream": True},
        headers={"Authorization": f"Bearer {MASTER_KEY}"},
        timeout=20,
    ) as response:
        next(response.iter_lines())
    # The gateway dropped its upstream connection: the emulator saw its stream abandoned.
    deadline = time.monotonic() + 5
    outcome = None
    while time.monotonic() < deadline:
        entries = emulators["openai"].received("/chat/completions")
        outcome = entries[-1].get("outcome") if entries else None
        if outcome:
            break
        time.sleep(0.05)
    assert outcome == "client_disconnected"
