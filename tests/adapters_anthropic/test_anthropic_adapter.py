"""The Anthropic adapter over real HTTP against the Anthropic emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from polyroute.adapters.anthropic import AnthropicAdapter
from polyroute.adapters.http import create_session
from polyroute.canonical import (
    ChatRequest,
    EmbeddingRequest,
    Finish,
    Message,
    ResponseFormat,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextPart,
    ToolChoice,
    ToolSpec,
    UsageReport,
)
from polyroute.config import ResolvedProvider, TimeoutConfig
from polyroute.emulators import EmulatorServer
from polyroute.errors import InvalidRequest, UpstreamError, UpstreamKind
from polyroute.providers.registry import PROVIDERS

MODEL = "claude-haiku-4-5"


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer("anthropic") as emu:
        yield emu


def _adapter(emu: EmulatorServer, key: str = "test-key", idle: float = 5.0) -> AnthropicAdapter:
    provider = ResolvedProvider("anthropic", PROVIDERS["anthropic"], emu.base_url, api_key=key)
    timeouts = TimeoutConfig(first_byte=5, answer=5, stream_idle=idle)
    return AnthropicAdapter(provider, create_session(5.0), timeouts)


def _chat(text: str = "Hello there", **fields: Any) -> ChatRequest:
    return ChatRequest(model="x", messages=[Message("user", [TextPart(text)])], **fields)


async def _collect(adapter: AnthropicAdapter, req: ChatRequest) -> list[StreamEvent]:
    return [e async for e in adapter.chat_stream(req, MODEL)]


async def test_chat(emulator: EmulatorServer) -> None:
    adapter = _adapter(emulator)
    resp = await adapter.chat(_chat(stop=["zzz"], temperature=0.5), MODEL)
    assert resp.id.startswith("msg_") and resp.choices[0].message.text()
    assert resp.usage is not None and resp.usage.input_tokens > 0
    (logged,) = emulator.received("/v1/messages")
    assert logged["body"]["max_tokens"] == 4096 and logged["body"]["stop_sequences"] == ["zzz"]


async def test_tool_call_and_json_mode(emulator: EmulatorServer) -> None:
    tool = ToolSpec("get_weather", "Weather", {"type": "object", "properties": {}})
    adapter = _adapter(emulator)
    resp = await adapter.chat(
        _chat(tools=[tool], tool_choice=ToolChoice("tool", name="get_weather")), MODEL
    )
    json_resp = await adapter.chat(_chat(response_format=ResponseFormat("json_object")), MODEL)
    assert resp.choices[0].finish_reason == "tool_calls"
    assert resp.choices[0].message.tool_calls[0].name == "get_weather"
    assert json_resp.choices[0].finish_reason == "stop"
    assert not json_resp.choices[0].message.tool_calls
    assert json_resp.choices[0].message.text().startswith("{")


async def test_stream(emulator: EmulatorServer) -> None:
    events = await _collect(_adapter(emulator), _chat())
    assert isinstance(events[0], StreamStart)
    assert not any(isinstance(e, StreamFailure) for e in events)
    assert any(isinstance(e, Finish) for e in events)
    assert isinstance(events[-1], UsageReport) and events[-1].usage.output_tokens > 0


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ({"cut_after_chunks": 3}, UpstreamKind.STREAM_BROKEN),
        ({"malformed_after_chunks": 2}, UpstreamKind.STREAM_BROKEN),
        ({"stream_error_after_chunks": 2}, UpstreamKind.OVERLOADED),
        ({"stall_after_chunks": 2, "stall_ms": 3000}, UpstreamKind.STREAM_BROKEN),
    ],
)
async def test_stream_faults_end_in_failure(
    emulator: EmulatorServer, fault: dict[str, Any], kind: UpstreamKind
) -> None:
    emulator.inject(**fault)
    events = await _collect(_adapter(emulator, idle=0.3), _chat("a longer question " * 5))
    assert isinstance(events[-1], StreamFailure)
    assert events[-1].error.kind is kind


async def test_missing_message_stop_is_still_complete(emulator: EmulatorServer) -> None:
    emulator.inject(no_done=True)
    events = await _collect(_adapter(emulator), _chat())
    assert not any(isinstance(e, StreamFailure) for e in events)


@pytest.mark.parametrize(
    ("fault", "kind", "status"),
    [
        ({"status": 529}, UpstreamKind.OVERLOADED, 529),
        ({"status": 429, "retry_after": 2}, UpstreamKind.RATE_LIMITED, 429),
        ({"status": 500}, UpstreamKind.SERVER, 500),
    ],
)
async def test_http_errors(
    emulator: EmulatorServer, fault: dict[str, Any], kind: UpstreamKind, status: int
) -> None:
    emulator.inject(**fault)
    adapter = _adapter(emulator)
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(_chat(), MODEL)
    assert (info.value.kind, info.value.status) == (kind, status)
    if "retry_after" in fault:
        assert info.value.retry_after == 2


async def test_stream_http_error_raises_before_first_event(emulator: EmulatorServer) -> None:
    emulator.inject(status=529)
    with pytest.raises(UpstreamError) as info:
        await _collect(_adapter(emulator), _chat())
    assert info.value.kind is UpstreamKind.OVERLOADED


async def test_bad_key_and_unknown_model(emulator: EmulatorServer) -> None:
    adapter = _adapter(emulator, key="invalid-key")
    with pytest.raises(UpstreamError) as bad_key:
        await adapter.chat(_chat(), MODEL)
    assert bad_key.value.kind is UpstreamKind.AUTHENTICATION and bad_key.value.status == 502
    adapter = _adapter(emulator)
    with pytest.raises(UpstreamError) as unknown:
        await adapter.chat(_chat(), "claude-nope")
    assert unknown.value.kind is UpstreamKind.NOT_FOUND


async def test_unreachable() -> None:
    provider = ResolvedProvider("anthropic", PROVIDERS["anthropic"], "http://127.0.0.1:9", "k")
    adapter = AnthropicAdapter(provider, create_session(5.0), TimeoutConfig(first_byte=2, answer=2))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(_chat(), MODEL)
    assert info.value.kind is UpstreamKind.UNREACHABLE


async def test_count_tokens_and_what_anthropic_lacks(emulator: EmulatorServer) -> None:
    adapter = _adapter(emulator)
    assert await adapter.count_tokens(_chat(), MODEL) > 0
    with pytest.raises(InvalidRequest, match="anthropic"):
        await adapter.embed(EmbeddingRequest(model="x", inputs=["a"]), MODEL)
    dropped = adapter.unsupported_params(
        _chat(
            seed=1, frequency_penalty=0.1, logprobs=True, extra={"logit_bias": {}, "thinking": {}}
        )
    )
    assert dropped == ["frequency_penalty", "logit_bias", "logprobs", "seed"]
