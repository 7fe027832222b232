"""Fixtures: one threaded emulator per profile for the session, reset around every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from polyroute.emulators import EmulatorServer

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
PROFILES = [
    "openai",
    "mistral",
    "groq",
    "cerebras",
    "deepinfra",
    "xai",
    "openrouter",
    "openai-compatible",
]
AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, EmulatorServer]]:
    running = {name: EmulatorServer(name).start_in_thread() for name in PROFILES}
    yield running
    for server in running.values():
        server.stop()


@pytest.fixture
def emulators(servers: dict[str, EmulatorServer]) -> Iterator[dict[str, EmulatorServer]]:
    for server in servers.values():
        server.reset()
    yield servers
    for server in servers.values():
        server.reset()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(headers=AUTH, timeout=5.0) as client:
        yield client


def default_chat_model(server: EmulatorServer) -> str:
    from polyroute.emulators.openai_compat import PROFILES as TABLE

    return next(m.id for m in TABLE[server.profile].models if m.kind == "chat")


def sse_events(text: str) -> list[Any]:
    """``data:`` payloads of an SSE body (JSON-decoded, ``[DONE]`` kept as a string)."""
    out: list[Any] = []
    for block in text.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                data = line[6:]
                out.append(data if data == "[DONE]" else orjson.loads(data))
    return out


@pytest.fixture
def chat(emulators: dict[str, EmulatorServer], http: httpx.Client) -> Callable[..., httpx.Response]:
    def post(profile: str, body: dict[str, Any], path: str = "/chat/completions") -> httpx.Response:
        server = emulators[profile]
        body = {"model": default_chat_model(server), **body}
        return http.post(server.base_url + path, json=body)

    return post


@pytest.fixture
def specs() -> Path:
    if not SPECS.is_dir():
        pytest.skip(f"specs folder {SPECS} is absent (the cross-checks need ../shared/specs)")
    return SPECS


@pytest.fixture
def sse() -> Callable[[str], list[Any]]:
    return sse_events
