"""The Anthropic Messages emulator over real loopback HTTP: validation, answers, SSE, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import httpx2
import orjson
import pytest

from polyroute.emulators import EmulatorServer

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
MODEL = "claude-haiku-4-5"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer("anthropic") as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sdk(emu: EmulatorServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    # The installed SDK sends api_key as "Authorization: Bearer"; Anthropic wants x-api-key.
    client = anthropic.AsyncAnthropic(
        base_url=emu.base_url, api_key=None, default_headers={"x-api-key": "k"}, max_retries=0
    )
    yield client
    await client.close()


def body(**extra: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hello there"}],
        **extra,
    }


async def post(
    http: aiohttp.ClientSession,
    emu: EmulatorServer,
    payload: Any,
    headers: dict[str, str] | None = None,
    path: str = "/v1/messages",
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.post(
        emu.base_url + path,
        data=orjson.dumps(payload),
        headers=HEADERS if headers is None else headers,
    ) as r:
        raw = await r.read()
        return r.status, orjson.loads(raw) if raw[:1] == b"{" else raw, r


def parse_sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for frame in raw.decode().split("\n\n"):
        if not frame.strip():
            continue
        lines = frame.split("\n")
        assert lines[0].startswith("event: ") and lines[1].startswith("data: "), frame
        events.append((lines[0][7:], orjson.loads(lines[1][6:])))
    return events


TOOL_PAIR = [
    {"role": "user", "content": "weather?"},
    {
        "role": "assistant",
        "content": [
            {
                "type": "tool_use",
                "id": "toolu_01A",
                "name": "get_weather",
                "input": {"city": "Paris"},
            }
        ],
    },
]

INVALID = [
    (
        {"model": MODEL, "messages": [{"role": "user", "content": "x"}]},
        "max_tokens: Field required",
    ),
    (
        body(messages=[{"role": "system", "content": "be nice"}, {"role": "user", "content": "x"}]),
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
        'parameter, not "system" as an input message role.',
    ),
    (body(stop=["x"]), "stop: Extra inputs are not permitted"),
    (
        body(messages=[{"role": "user", "content": [{"type": "text", "text": "x", "foo": 1}]}]),
        "messages.0.content.0.text.foo: Extra inputs are not permitted",
    ),
    (
        body(
            messages=[
                *TOOL_PAIR[:1],
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_01A",
                            "name": "get_weather",
                            "input": {},
                            "text": "x",
                        }
                    ],
                },
            ]
        ),
        "messages.1.content.0.tool_use.text: Extra inputs are not permitted",
    ),
    (
        body(
            messages=[
                *TOOL_PAIR,
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "sunny"}
                    ],
                },
            ]
        ),
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01B. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous "
        "message.",
    ),
    (
        body(messages=[*TOOL_PAIR, {"role": "user", "content": "and?"}]),
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: "
        "toolu_01A. Each `tool_use` block must have a corresponding `tool_result` block in the "
        "next message.",
    ),
    (
        body(
            messages=[
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "call.1", "name": "f", "input": {}}],
                },
            ]
        ),
        "messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
    ),
    (
        body(messages=[{"role": "assistant", "content": "hi"}]),
        'messages: first message must use the "user" role',
    ),
    (body(tools=[{"name": "f"}]), "tools.0.custom.input_schema: Field required"),
    (
        body(tools=[WEATHER], tool_choice={"type": "required"}),
        "tool_choice: Input tag 'required' found using 'type' does not match any of the expected "
        "tags: 'auto', 'any', 'tool', 'none'",
    ),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/bmp", "data": "AA=="},
                        }
                    ],
                }
            ]
        ),
        "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', "
        "'image/png', 'image/gif' or 'image/webp'",
    ),
    (
        body(max_tokens=100_000),
        "max_tokens: 100000 > 64000, which is the maximum allowed number "
        "of output tokens for claude-haiku-4-5-20251001",
    ),
]


@pytest.mark.parametrize(("payload", "message"), INVALID)
async def test_validation_errors_exact(
    emu: EmulatorServer, http: aiohttp.ClientSession, payload: Any, message: str
) -> None:
    status, got, response = await post(http, emu, payload)
    assert status == 400
    assert got == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": message},
        "request_id": response.headers["request-id"],
    }
    assert got["request_id"].startswith("req_")


@pytest.mark.parametrize(
    ("headers", "status", "kind", "message"),
    [
        (
            {"anthropic-version": "2023-06-01"},
            401,
            "authentication_error",
            "x-api-key header is required",
        ),
        (
            {"Authorization": "Bearer k", "anthropic-version": "2023-06-01"},
            401,
            "authentication_error",
            "OAuth authentication is currently not supported.",
        ),
        (
            {"x-api-key": "invalid-key", "anthropic-version": "2023-06-01"},
            401,
            "authentication_error",
            "invalid x-api-key",
        ),
        ({"x-api-key": "k"}, 400, "invalid_request_error", "anthropic-version: header is required"),
    ],
)
async def test_auth_and_version(
    emu: EmulatorServer,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    status: int,
    kind: str,
    message: str,
) -> None:
    got_status, got, _ = await post(http, emu, body(), headers)
    assert (got_status, got["error"]) == (status, {"type": kind, "message": message})


async def test_unknown_model_404(emu: EmulatorServer, http: aiohttp.ClientSession) -> None:
    status, got, _ = await post(http, emu, body(model="claude-does-not-exist"))
    assert status == 404
    assert got["error"] == {"type": "not_found_error", "message": "model: claude-does-not-exist"}


async def test_headers_and_nonstream_shape(
    emu: EmulatorServer, http: aiohttp.ClientSession
) -> None:
    status, got, response = await post(http, emu, body(system="Be brief."))
    assert status == 200
    assert response.headers["request-id"].startswith("req_")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert f"anthropic-ratelimit-{kind}-remaining" in response.headers
    assert response.headers["anthropic-ratelimit-tokens-reset"].endswith("Z")
    assert got["content"] == [
        {
            "type": "text",
            "text": "This is the polyroute Anthropic emulator replying to: Hello there",
        }
    ]
    assert got["stop_reason"] == "end_turn" and got["model"] == "claude-haiku-4-5-20251001"
    assert got["id"].startswith("msg_01")


async def test_sdk_create_and_stream(sdk: anthropic.AsyncAnthropic) -> None:
    message = await sdk.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    )
    assert message.content[0].type == "text" and message.usage.output_tokens > 0
    async with sdk.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        final = await stream.get_final_message()
    assert final.content[0].text == message.content[0].text
    assert final.usage.output_tokens == message.usage.output_tokens


async def test_sdk_tool_use_two_turns(sdk: anthropic.AsyncAnthropic) -> None:
    first = await sdk.messages.create(
        model=MODEL,
        max_tokens=256,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Use get_weather for Paris"}],
    )
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.id.startswith("toolu_01") and len(call.id) == 30 and set(call.input) == {"city"}
    async with sdk.messages.stream(
        model=MODEL,
        max_tokens=256,
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "Use get_weather for Paris"},
            {
                "role": "assistant",
                "content": [b.model_dump(exclude_none=True) for b in first.content],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}],
            },
        ],
    ) as stream:
        second = await stream.get_final_message()
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "The tool returned: sunny. Done."


async def test_forced_tool_streams_input_json(
    emu: EmulatorServer, http: aiohttp.ClientSession
) -> None:
    payload = body(tools=[WEATHER], tool_choice={"type": "any"}, stream=True)
    status, raw, response = await post(http, emu, payload)
    assert status == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(raw)
    assert all(name == data["type"] for name, data in events)
    assert [n for n, _ in events][:3] == ["message_start", "content_block_start", "ping"]
    assert events[-1][0] == "message_stop" and b"[DONE]" not in raw
    deltas = [d["delta"] for n, d in events if n == "content_block_delta"]
    assert deltas[0] == {"type": "input_json_delta", "partial_json": ""}
    assert orjson.loads("".join(d["partial_json"] for d in deltas))["city"].startswith("city-")
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


async def test_thinking_stream_signature(sdk: anthropic.AsyncAnthropic) -> None:
    async with sdk.messages.stream(
        model=MODEL,
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "How do I cross the street?"}],
    ) as stream:
        kinds = [e.type for e in [event async for event in stream]]
        final = await stream.get_final_message()
    assert final.content[0].type == "thinking" and final.content[0].signature
    assert "thinking" in kinds and "signature" in kinds


async def test_cache_usage_rule(emu: EmulatorServer, http: aiohttp.ClientSession) -> None:
    system = [{"type": "text", "text": "x" * 400, "cache_control": {"type": "ephemeral"}}]
    _, got, _ = await post(http, emu, body(system=system))
    usage = got["usage"]
    assert usage["cache_read_input_tokens"] == 50 and usage["cache_creation_input_tokens"] == 50
    assert usage["cache_creation"] == {
        "ephemeral_5m_input_tokens": 50,
        "ephemeral_1h_input_tokens": 0,
    }
    assert usage["input_tokens"] == 3 + 3  # "Hello there" (3 tokens) + 3 framing, uncached


async def test_stop_sequence_and_max_tokens(
    emu: EmulatorServer, http: aiohttp.ClientSession
) -> None:
    _, got, _ = await post(http, emu, body(stop_sequences=["emulator"]))
    assert (got["stop_reason"], got["stop_sequence"]) == ("stop_sequence", "emulator")
    assert got["content"][0]["text"] == "This is the polyroute Anthropic "
    _, got, _ = await post(http, emu, body(max_tokens=2))
    assert got["stop_reason"] == "max_tokens" and got["content"][0]["text"] == "This is "


async def test_count_tokens_and_models(emu: EmulatorServer, http: aiohttp.ClientSession) -> None:
    payload = {"model": MODEL, "messages": [{"role": "user", "content": "Hello there"}]}
    status, got, _ = await post(http, emu, payload, path="/v1/messages/count_tokens")
    assert (status, got) == (200, {"input_tokens": 6})
    async with http.get(emu.base_url + "/v1/models?limit=2", headers=HEADERS) as r:
        listing = await r.json()
    assert len(listing["data"]) == 2 and listing["has_more"] is True
    assert listing["first_id"] == listing["data"][0]["id"]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (529, "overloaded_error"),
        (500, "api_error"),
        (413, "request_too_large"),
        (403, "permission_error"),
    ],
)
async def test_status_faults(
    emu: EmulatorServer, http: aiohttp.ClientSession, status: int, kind: str
) -> None:
    emu.inject(status=status)
    got_status, got, _ = await post(http, emu, body())
    assert got_status == status and got["error"]["type"] == kind
    if status == 529:
        assert got["error"]["message"] == "Overloaded"


async def test_rate_limit_retry_after(emu: EmulatorServer, http: aiohttp.ClientSession) -> None:
    emu.inject(status=429, retry_after=7)
    status, got, response = await post(http, emu, body())
    assert status == 429 and got["error"]["type"] == "rate_limit_error"
    assert response.headers["retry-after"] == "7"


async def test_stream_error_event_after_n(emu: EmulatorServer, http: aiohttp.ClientSession) -> None:
    emu.inject(stream_error_after_chunks=3)
    _, raw, _ = await post(http, emu, body(stream=True))
    events = parse_sse(raw)
    assert len(events) == 4 and events[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )


async def test_stream_no_done_and_malformed(
    emu: EmulatorServer, http: aiohttp.ClientSession
) -> None:
    emu.inject(no_done=True)
    _, raw, _ = await post(http, emu, body(stream=True))
    assert parse_sse(raw)[-1][0] == "message_delta"
    emu.inject(malformed_after_chunks=1)
    _, raw, _ = await post(http, emu, body(stream=True))
    with pytest.raises(orjson.JSONDecodeError):
        parse_sse(raw)


async def test_cut_stream_seen_by_sdk(emu: EmulatorServer, sdk: anthropic.AsyncAnthropic) -> None:
    emu.inject(cut_after_chunks=2)
    with pytest.raises((anthropic.APIConnectionError, httpx2.RemoteProtocolError)):
        async with sdk.messages.stream(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
        ) as stream:
            await stream.get_final_message()
