"""The Gemini adapter over real HTTP: against the Gemini emulator, and against a tiny
hand-written server for stream shapes the emulator does not produce."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from polyroute.adapters.gemini import GeminiAdapter
from polyroute.adapters.http import create_session
from polyroute.adapters.registry import ADAPTERS
from polyroute.canonical import (
    ChatRequest,
    EmbeddingRequest,
    FimRequest,
    Finish,
    Message,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolSpec,
    UsageReport,
)
from polyroute.config import ResolvedProvider, TimeoutConfig
from polyroute.emulators import EmulatorServer
from polyroute.errors import InvalidRequest, UpstreamError, UpstreamKind
from polyroute.providers.registry import PROVIDERS

MODEL = "gemini-2.5-flash"
KEY = "test-key-123"


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer("gemini") as emu:
        yield emu


def _adapter(base_url: str, idle: float = 5.0, key: str = KEY) -> GeminiAdapter:
    provider = ResolvedProvider("gemini", PROVIDERS["gemini"], base_url, api_key=key)
    return GeminiAdapter(
        provider, create_session(5.0), TimeoutConfig(first_byte=5, answer=5, stream_idle=idle)
    )


def _chat(text: str = "Hello there", **fields: Any) -> ChatRequest:
    return ChatRequest(model="gemini/x", messages=[Message("user", [TextPart(text)])], **fields)


async def _collect(
    adapter: GeminiAdapter, req: ChatRequest, model: str = MODEL
) -> list[StreamEvent]:
    return [e async for e in adapter.chat_stream(req, model)]


def test_registered() -> None:
    assert ADAPTERS["gemini"] is GeminiAdapter


# -- against the emulator -----------------------------------------------------------------


async def test_chat(emulator: EmulatorServer) -> None:
    adapter = _adapter(emulator.base_url)
    resp = await adapter.chat(_chat(temperature=0.3, stop=["zzz"], max_tokens=200), MODEL)
    (choice,) = resp.choices
    assert choice.message.text() and choice.finish_reason == "stop"
    assert resp.usage is not None and resp.usage.input_tokens > 0
    (logged,) = emulator.received(":generateContent")
    assert logged["path"] == f"/v1beta/models/{MODEL}:generateContent"
    assert logged["query"] == {}  # the key never travels in the URL
    assert logged["headers"]["x-goog-api-key"] == "<redacted>"
    assert logged["body"]["generationConfig"] == {
        "temperature": 0.3,
        "stopSequences": ["zzz"],
        "maxOutputTokens": 200,
    }


async def test_stream(emulator: EmulatorServer) -> None:
    events = await _collect(_adapter(emulator.base_url), _chat(reasoning_effort="low"))
    assert isinstance(events[0], StreamStart)
    assert any(isinstance(e, TextDelta) for e in events)
    assert [e for e in events if isinstance(e, Finish)] == [Finish("stop")]
    assert isinstance(events[-1], UsageReport)
    assert events[-1].usage.output_tokens >= events[-1].usage.reasoning_tokens
    (logged,) = emulator.received(":streamGenerateContent")
    assert logged["query"] == {"alt": "sse"}


async def test_tool_round_trip(emulator: EmulatorServer) -> None:
    tool = ToolSpec("get_weather", "Weather", {"type": "object", "properties": {}})
    req = _chat("weather?", tools=[tool], tool_choice=ToolChoice("tool", name="get_weather"))
    adapter = _adapter(emulator.base_url)
    first = await adapter.chat(req, "gemini-3-flash-preview")
    (choice,) = first.choices
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.name == "get_weather"
    req.messages += [choice.message, Message("tool", [TextPart("sunny")], tool_call_id=call.id)]
    req.tool_choice = None
    second = await adapter.chat(req, "gemini-3-flash-preview")
    assert second.choices[0].message.text()
    model_turn = emulator.received(":generateContent")[-1]["body"]["contents"][1]
    assert model_turn["parts"][0]["functionCall"]["name"] == "get_weather"
    assert "thoughtSignature" in model_turn["parts"][0]


async def test_stream_tool_call(emulator: EmulatorServer) -> None:
    tool = ToolSpec(
        "lookup", "Look up", {"type": "object", "properties": {"q": {"type": "string"}}}
    )
    req = _chat("find it", tools=[tool], tool_choice=ToolChoice("required"))
    events = await _collect(_adapter(emulator.base_url), req)
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert starts and starts[0].name == "lookup" and starts[0].id
    assert isinstance(orjson.loads(deltas[0].arguments), dict)
    assert [e for e in events if isinstance(e, Finish)] == [Finish("tool_calls")]


async def test_streamed_signature_reaches_the_next_turn(emulator: EmulatorServer) -> None:
    tool = ToolSpec("lookup", "Look up", {"type": "object", "properties": {}})
    req = _chat("find it", tools=[tool], tool_choice=ToolChoice("required"))
    events = await _collect(_adapter(emulator.base_url), req, "gemini-3-flash-preview")
    # Fold the stream the way an assembler would.
    signatures = [e.signature for e in events if isinstance(e, ReasoningDelta) and e.signature]
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    args = [e.arguments for e in events if isinstance(e, ToolCallDelta)]
    assert signatures and starts
    calls = [ToolCall(s.id, s.name, a) for s, a in zip(starts, args, strict=True)]
    assistant = Message("assistant", [ReasoningPart("", signature=signatures[0])], tool_calls=calls)
    req.messages += [
        assistant,
        *(Message("tool", [TextPart("ok")], tool_call_id=c.id) for c in calls),
    ]
    req.tool_choice = None
    adapter = _adapter(emulator.base_url)
    await adapter.chat(req, "gemini-3-flash-preview")
    sent = emulator.received(":generateContent")[-1]["body"]["contents"]
    assert sent[1]["parts"][0]["thoughtSignature"] == signatures[0]
    assert [p["functionResponse"]["id"] for p in sent[2]["parts"]] == [c.id for c in calls]


async def test_embed(emulator: EmulatorServer) -> None:
    adapter = _adapter(emulator.base_url)
    resp = await adapter.embed(
        EmbeddingRequest("e", ["one", "two"], dimensions=16), "gemini-embedding-001"
    )
    assert [len(e.vector) for e in resp.data] == [16, 16]
    assert resp.usage.input_tokens > 0


@pytest.mark.parametrize(
    ("fault", "kind", "retry_after"),
    [
        ({"status": 429, "retry_after": 3}, UpstreamKind.RATE_LIMITED, 3.0),
        ({"status": 503}, UpstreamKind.OVERLOADED, None),
        ({"status": 500}, UpstreamKind.SERVER, None),
        ({"context_length": True}, UpstreamKind.INVALID_REQUEST, None),
        ({"prompt_blocked": True}, UpstreamKind.CONTENT_FILTER, None),
    ],
)
async def test_errors(
    emulator: EmulatorServer, fault: dict[str, Any], kind: UpstreamKind, retry_after: float | None
) -> None:
    emulator.inject(**fault)
    adapter = _adapter(emulator.base_url)
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(_chat(), MODEL)
    assert info.value.kind is kind
    if retry_after is not None:
        assert info.value.retry_after == retry_after


async def test_bad_key_and_unknown_model(emulator: EmulatorServer) -> None:
    adapter = _adapter(emulator.base_url, key="invalid-key")
    with pytest.raises(UpstreamError) as bad_key:
        await adapter.chat(_chat(), MODEL)
    assert (bad_key.value.kind, bad_key.value.status) == (UpstreamKind.AUTHENTICATION, 502)
    adapter = _adapter(emulator.base_url)
    with pytest.raises(UpstreamError) as missing:
        await adapter.chat(_chat(), "no-such-model")
    assert missing.value.kind is UpstreamKind.NOT_FOUND


async def test_stream_error_before_first_event_raises(emulator: EmulatorServer) -> None:
    emulator.inject(status=429)
    with pytest.raises(UpstreamError) as info:
        await _collect(_adapter(emulator.base_url), _chat())
    assert info.value.kind is UpstreamKind.RATE_LIMITED
    emulator.inject(prompt_blocked=True)
    with pytest.raises(UpstreamError) as blocked:
        await _collect(_adapter(emulator.base_url), _chat())
    assert blocked.value.kind is UpstreamKind.CONTENT_FILTER


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ({"cut_after_chunks": 1}, UpstreamKind.STREAM_BROKEN),
        ({"stall_after_chunks": 1, "stall_ms": 5_000}, UpstreamKind.STREAM_BROKEN),
        ({"malformed_after_chunks": 1}, UpstreamKind.STREAM_BROKEN),
        ({"stream_error_after_chunks": 1}, UpstreamKind.OVERLOADED),
    ],
)
async def test_stream_faults_end_in_failure(
    emulator: EmulatorServer, fault: dict[str, Any], kind: UpstreamKind
) -> None:
    emulator.inject(**fault)
    events = await _collect(_adapter(emulator.base_url, idle=0.3), _chat("a longer answer please"))
    assert isinstance(events[0], StreamStart)
    assert isinstance(events[-1], StreamFailure)
    assert events[-1].error.kind is kind
    assert not any(isinstance(e, UsageReport) for e in events)


async def test_fim_and_unsupported_params() -> None:
    adapter = _adapter("http://127.0.0.1:9")
    with pytest.raises(InvalidRequest, match="gemini"):
        await adapter.fim(FimRequest("x", "def f("), MODEL)
    with pytest.raises(InvalidRequest, match="gemini"):
        adapter.fim_stream(FimRequest("x", "def f("), MODEL)
    req = _chat(
        user="u1", parallel_tool_calls=False, extra={"logit_bias": {}, "cachedContent": "c"}
    )
    assert adapter.unsupported_params(req) == ["logit_bias", "parallel_tool_calls", "user"]
    assert adapter.unsupported_params(_chat(parallel_tool_calls=True)) == []
    embed = EmbeddingRequest("x", ["a"], user="u1", extra={"taskType": "CLUSTERING", "store": 1})
    assert adapter.unsupported_params(embed) == ["store", "user"]  # taskType is Gemini's own
    assert adapter.unsupported_params(FimRequest("x", "def f(")) == []  # refused, not trimmed


# -- against a hand-written server ----------------------------------------------------------


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[list[bytes]], Awaitable[str]]]:
    """``await serve([event, ...])`` → a base URL whose stream sends exactly those bytes."""
    runners: list[web.AppRunner] = []

    async def start(body: list[bytes]) -> str:
        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            for piece in body:
                await response.write(piece)
            await response.write_eof()
            return response

        app = web.Application()
        app.router.add_post("/v1beta/models/{name}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/v1beta"

    yield start
    for runner in runners:
        await runner.cleanup()


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\r\n\r\n"


def _candidate(text: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text, **extra}]}}
    if reason:
        candidate["finishReason"] = reason
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2, "totalTokenCount": 7},
        "responseId": "r1",
        "modelVersion": "gemini-x",
    }


async def test_body_ending_without_finish_is_truncated(serve: Any) -> None:
    base = await serve([_event(_candidate("Hel")), _event(_candidate("lo"))])
    events = await _collect(_adapter(base), _chat())
    assert [type(e) for e in events] == [StreamStart, TextDelta, TextDelta, StreamFailure]
    assert events[-1].error.kind is UpstreamKind.STREAM_BROKEN


async def test_whole_body_split_across_writes(serve: Any) -> None:
    whole = _event(_candidate("thinking", thought=True)) + _event(_candidate("Hi", "STOP"))
    base = await serve([whole[i : i + 7] for i in range(0, len(whole), 7)])
    events = await _collect(_adapter(base), _chat())
    assert events[1:] == [
        ReasoningDelta("thinking"),
        TextDelta("Hi"),
        Finish("stop"),
        UsageReport(events[-1].usage),
    ]
    assert events[-1].usage.input_tokens == 5


async def test_error_chunk_first_raises_and_garbage_first_raises(serve: Any) -> None:
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    base = await serve([_event(error)])
    with pytest.raises(UpstreamError) as info:
        await _collect(_adapter(base), _chat())
    assert info.value.kind is UpstreamKind.OVERLOADED
    base = await serve([b"data: {not json\r\n\r\n"])
    with pytest.raises(UpstreamError) as garbage:
        await _collect(_adapter(base), _chat())
    assert garbage.value.kind is UpstreamKind.STREAM_BROKEN
