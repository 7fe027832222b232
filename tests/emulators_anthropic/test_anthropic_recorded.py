"""Shapes of the Anthropic emulator vs the recorded examples in ../shared/specs/examples."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import yaml

from polyroute.emulators import EmulatorServer

EXAMPLES = (
    Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "examples" / "anthropic"
)
pytestmark = [
    pytest.mark.spec,
    pytest.mark.skipif(not EXAMPLES.is_dir(), reason=f"recorded examples not found at {EXAMPLES}"),
]
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def sse(raw: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for frame in raw.replace("\r\n", "\n").split("\n\n"):
        lines = [ln for ln in frame.split("\n") if ln]
        if lines:
            out.append((lines[0][7:], orjson.loads(lines[1][6:])))
    return out


def shape(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Event names with runs of deltas collapsed, and block types at starts."""
    out: list[str] = []
    for name, data in events:
        label = name
        if name == "content_block_start":
            label += ":" + data["content_block"]["type"]
        elif name == "content_block_delta":
            label += ":" + data["delta"]["type"]
        if not out or out[-1] != label:
            out.append(label)
    return out


@pytest.fixture
async def client() -> AsyncIterator[tuple[EmulatorServer, aiohttp.ClientSession]]:
    async with EmulatorServer("anthropic") as emu, aiohttp.ClientSession() as http:
        yield emu, http


async def stream(client: tuple[EmulatorServer, aiohttp.ClientSession], **body: Any) -> list[Any]:
    emu, http = client
    payload = {"model": "claude-haiku-4-5", "max_tokens": 4096, "stream": True, **body}
    async with http.post(emu.base_url + "/v1/messages", json=payload, headers=HEADERS) as r:
        return sse((await r.read()).decode())


async def test_tool_use_stream_matches_recording(client: Any) -> None:
    recorded = sse((EXAMPLES / "messages-stream-tool-use.sse").read_text())
    tool = {
        "name": "get_weather",
        "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}},
    }
    ours = await stream(
        client, tools=[tool], messages=[{"role": "user", "content": "Paris weather? get_weather"}]
    )
    assert shape(ours) == shape(recorded)
    for (name, mine), (_, theirs) in zip(ours[:3], recorded[:3], strict=True):
        assert set(mine) == set(theirs), name
    start = ours[0][1]["message"]
    assert set(recorded[0][1]["message"]) <= set(start)
    assert set(recorded[0][1]["message"]["usage"]) <= set(start["usage"])
    mine, theirs = (
        next(d for n, d in evs if n == "content_block_start" and d["index"] == 1)
        for evs in (ours, recorded)
    )
    assert set(mine["content_block"]) == set(theirs["content_block"])


async def test_thinking_stream_matches_recording(client: Any) -> None:
    cassette = yaml.safe_load((EXAMPLES / "messages-stream-thinking.cassette.yaml").read_text())
    interaction = cassette["interactions"][0]
    recorded = sse(interaction["response"]["body"]["string"])
    request = interaction["request"]["parsed_body"]
    ours = await stream(client, messages=request["messages"], thinking=request["thinking"])
    assert shape(ours) == shape(recorded)
    assert set(ours[0][1]["message"]["usage"]) == set(recorded[0][1]["message"]["usage"])
    assert set(ours[-2][1]["usage"]) == set(recorded[-2][1]["usage"])


async def test_cache_usage_keys_match_recording(client: Any) -> None:
    emu, http = client
    cassette = yaml.safe_load((EXAMPLES / "messages-prompt-cache-usage.cassette.yaml").read_text())
    interaction = cassette["interactions"][1]
    request = {**interaction["request"]["parsed_body"], "model": "claude-haiku-4-5"}
    async with http.post(emu.base_url + "/v1/messages", json=request, headers=HEADERS) as r:
        ours = await r.json()
    recorded = interaction["response"]["parsed_body"]
    assert set(ours) == set(recorded)
    assert set(ours["usage"]) == set(recorded["usage"])
    assert ours["usage"]["cache_read_input_tokens"] > 0
    assert ours["usage"]["cache_creation"]["ephemeral_5m_input_tokens"] > 0


async def test_404_body_matches_recording(client: Any) -> None:
    emu, http = client
    cassette = yaml.safe_load((EXAMPLES / "count-tokens-404-error.cassette.yaml").read_text())
    interaction = cassette["interactions"][0]
    async with http.post(
        emu.base_url + "/v1/messages/count_tokens",
        json=interaction["request"]["parsed_body"],
        headers=HEADERS,
    ) as r:
        ours, status = await r.json(), r.status
    recorded = interaction["response"]
    assert status == recorded["status"]["code"]
    assert ours["error"] == recorded["parsed_body"]["error"]
    assert set(ours) == set(recorded["parsed_body"])
