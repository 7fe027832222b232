"""Every fault kind, observed from the client side over real loopback HTTP."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from polyroute.emulators import EmulatorServer

USER = [{"role": "user", "content": "Tell me something"}]


def _stream(server: EmulatorServer, http: httpx.Client, **extra) -> httpx.Response:
    body = {"model": "gpt-4o-mini", "messages": USER, "stream": True, **extra}
    return http.post(server.base_url + "/chat/completions", json=body)


def test_status_fault_with_retry_after_and_real_bodies(emulators, chat):
    for name in ("openai", "mistral", "openrouter", "groq"):
        emulators[name].inject(status=429, retry_after=2)
    r = chat("openai", {"messages": USER})
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    assert r.json()["error"]["code"] == "rate_limit_exceeded"
    assert chat("mistral", {"messages": USER}).json() == {"message": "Requests rate limit exceeded"}
    body = chat("openrouter", {"messages": USER}).json()
    assert body["error"]["code"] == 429 and body["error"]["metadata"]["provider_name"]
    assert chat("groq", {"messages": USER}).json()["error"]["type"] == "tokens"
    assert chat("openai", {"messages": USER}).status_code == 200  # count=1 consumed


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_faults(emulators, chat, status):
    emulators["openai"].inject(status=status)
    r = chat("openai", {"messages": USER})
    assert r.status_code == status
    assert set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_body_override_count_and_match(emulators, chat):
    emu = emulators["openai"]
    emu.inject(status=418, body={"custom": True}, count=2, match={"model": "gpt-4o"})
    assert chat("openai", {"messages": USER}).status_code == 200  # other model: no match
    for _ in range(2):
        r = chat("openai", {"model": "gpt-4o", "messages": USER})
        assert r.status_code == 418 and r.json() == {"custom": True}
    assert chat("openai", {"model": "gpt-4o", "messages": USER}).status_code == 200
    emu.inject(status=500, match={"path": "/embeddings"})
    assert chat("openai", {"messages": USER}).status_code == 200


def test_reset_raises_connection_error(emulators, http):
    emulators["openai"].inject(reset=True)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
        _stream(emulators["openai"], http)
    assert _stream(emulators["openai"], http).status_code == 200


def test_cut_ends_mid_stream(emulators, http):
    emu = emulators["openai"]
    emu.inject(cut_after_chunks=3)
    lines: list[str] = []
    body = {"model": "gpt-4o-mini", "messages": USER, "stream": True}
    url = emu.base_url + "/chat/completions"
    with (
        pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
        http.stream("POST", url, json=body) as r,
    ):
        assert r.status_code == 200
        lines.extend(line for line in r.iter_lines() if line.startswith("data:"))
    assert len(lines) == 3


def test_stall_is_detectable_with_a_client_timeout(emulators):
    emu = emulators["openai"]
    emu.inject(stall_after_chunks=2, stall_ms=3000)
    body = {"model": "gpt-4o-mini", "messages": USER, "stream": True}
    started = time.monotonic()
    timeout = httpx.Timeout(5, read=0.3)
    url = emu.base_url + "/chat/completions"
    with (
        httpx.Client(headers={"Authorization": "Bearer k"}, timeout=timeout) as c,
        pytest.raises(httpx.ReadTimeout),
        c.stream("POST", url, json=body) as r,
    ):
        for _ in r.iter_lines():
            pass
    assert time.monotonic() - started < 2


def test_malformed_chunk(emulators, http, sse):
    emulators["openai"].inject(malformed_after_chunks=1)
    text = _stream(emulators["openai"], http).text
    bad = [b for b in text.split("\n\n") if b.startswith("data: ") and b != "data: [DONE]"]
    with pytest.raises(orjson.JSONDecodeError):
        for block in bad:
            orjson.loads(block[6:])
    assert text.rstrip().endswith("data: [DONE]")


def test_no_done(emulators, http):
    emulators["mistral"].inject(no_done=True)
    body = {"model": "mistral-small-latest", "messages": USER, "stream": True}
    r = http.post(emulators["mistral"].base_url + "/chat/completions", json=body)
    assert r.status_code == 200
    assert "[DONE]" not in r.text and r.text.endswith("\n\n")


def test_openrouter_in_stream_error(emulators, http, sse):
    emulators["openrouter"].inject(stream_error_after_chunks=2)
    body = {"model": "openai/gpt-4o-mini", "messages": USER, "stream": True}
    r = http.post(emulators["openrouter"].base_url + "/chat/completions", json=body)
    events = sse(r.text)
    assert r.status_code == 200
    assert events[-1] == "[DONE]"
    assert events[-2]["error"] == {"code": 502, "message": "Provider returned error"}
    assert len(events) == 4


def test_latency_first_token_and_chunk_delay(emulators, http):
    emu = emulators["openai"]
    emu.inject(latency_ms=150)
    started = time.monotonic()
    _stream(emu, http)
    assert time.monotonic() - started >= 0.15
    emu.inject(chunk_delay_ms=10, first_token_delay_ms=100)
    started = time.monotonic()
    r = _stream(emu, http)
    assert time.monotonic() - started >= 0.3
    assert r.text.endswith("data: [DONE]\n\n")


def test_context_length_and_content_filter(emulators, chat):
    emulators["openai"].inject(context_length=True)
    r = chat("openai", {"messages": USER})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "context_length_exceeded"
    emulators["openai"].inject(content_filter=True)
    r = chat("openai", {"messages": USER})
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"


def test_control_endpoints_over_http(emulators, chat):
    emu = emulators["groq"]
    r = httpx.post(emu.origin + "/_emulator/faults", json=[{"status": 503}, {"status": 500}])
    assert r.json() == {"queued": 2}
    bad = httpx.post(emu.origin + "/_emulator/faults", json={"explode": True})
    assert bad.status_code == 400
    assert chat("groq", {"messages": USER}).status_code == 503
    log = httpx.get(emu.origin + "/_emulator/requests").json()
    assert log[-1]["path"] == "/openai/v1/chat/completions"
    assert log[-1]["headers"]["authorization"] == "<redacted>"
    assert log[-1]["body"]["messages"] == USER
    assert isinstance(log[-1]["time"], float)
    httpx.post(emu.origin + "/_emulator/reset")
    assert httpx.get(emu.origin + "/_emulator/requests").json() == []
    assert chat("groq", {"messages": USER}).status_code == 200


def test_python_helpers(emulators, chat):
    emu = emulators["cerebras"]
    emu.inject_many([{"status": 429}, {"status": 500}])
    assert chat("cerebras", {"messages": USER}).json()["code"] == "request_quota_exceeded"
    assert chat("cerebras", {"messages": USER}).status_code == 500
    assert len(emu.received("/chat/completions")) == 2
    assert emu.received("/embeddings") == []
    with pytest.raises(ValueError, match="unknown fault keys"):
        emu.inject(explode=True)


async def test_async_mode_and_faults():
    async with EmulatorServer("deepinfra") as emu:
        assert emu.base_url.endswith("/v1/openai")
        emu.inject(reset=True)
        async with httpx.AsyncClient(headers={"Authorization": "Bearer k"}) as client:
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
                await client.get(emu.base_url + "/models")
            assert (await client.get(emu.base_url + "/models")).status_code == 200
        assert len(emu.requests()) == 2


async def test_async_stall_ends_when_server_stops():
    emu = await EmulatorServer("openai").start()
    emu.inject(stall_after_chunks=1)
    body = {"model": "gpt-4o-mini", "messages": USER, "stream": True}
    async with httpx.AsyncClient(headers={"Authorization": "Bearer k"}) as client:
        timeout = httpx.Timeout(5, read=0.2)
        with pytest.raises(httpx.ReadTimeout):
            await client.post(emu.base_url + "/chat/completions", json=body, timeout=timeout)
    started = time.monotonic()
    await emu.stop()
    assert time.monotonic() - started < 2
