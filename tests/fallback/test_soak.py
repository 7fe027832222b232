"""A soak: mixed traffic for several seconds while providers misbehave and clients hang up.

Streams and whole answers, through the OpenAI and the Anthropic API, routes and direct
targets, faults of every kind injected every 10 ms across three emulated providers, one
call in ten abandoned by its client. Afterwards every call the gateway took is in the
ledger exactly once, none is still counted in flight or watched, and nothing was logged as
an error (by the gateway, the event loop or the emulators).
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

import polyroute.inbound.anthropic_api as anthropic_api
import polyroute.inbound.openai_api as openai_api
from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.emulators import EmulatorServer
from polyroute.gateway.calls import CallInfo
from polyroute.inbound.http import Handler
from polyroute.inbound.state import GatewayState
from polyroute.server import BackgroundServer

SECONDS = 8.0
CLIENTS = 32
FAULTS = [
    {"status": 500},
    {"status": 503},
    {"status": 429, "retry_after": 0.05},
    {"reset": True},
    {"latency_ms": 300},
    {"first_token_delay_ms": 300},
    {"cut_after_chunks": 2},
    {"stall_after_chunks": 2, "stall_ms": 1500},
    {"malformed_after_chunks": 1},
    {"stream_error_after_chunks": 2},
    {"no_done": True},
]
MODELS = ["main", "openai/gpt-4o-mini", "anthropic/claude-haiku-4-5"]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[_Errors]:
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def test_faults_and_hang_ups_lose_no_record_and_leak_nothing(
    tmp_path: Path, errors: _Errors, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: set[str] = set()

    def counted(handler: Handler) -> Handler:
        async def counting(request: Request, state: GatewayState, info: CallInfo) -> Response:
            taken.add(info.request_id)
            return await handler(request, state, info)

        return counting

    monkeypatch.setattr(openai_api, "chat_completions", counted(openai_api.chat_completions))
    monkeypatch.setattr(anthropic_api, "messages", counted(anthropic_api.messages))
    emulators = {n: EmulatorServer(n).start_in_thread() for n in ("openai", "mistral", "anthropic")}
    database = tmp_path / "ledger.db"
    raw = {
        "master_key": "k",
        "database_url": f"sqlite:///{database}",
        "providers": {n: {"api_key": "x", "base_url": e.base_url} for n, e in emulators.items()},
        "routes": {"main": {"targets": [*MODELS[1:], "mistral/mistral-small-latest"]}},
        "timeouts": {"connect": 1, "first_byte": 2, "answer": 2, "stream_idle": 1, "total": 8},
        "retries": {"per_target": 1, "backoff_base": 0.02, "backoff_max": 0.05},
        "health": {"consecutive_failures": 50, "cooldown": 0.5},
    }
    app = create_app(settings_from_mapping(raw, env={}, source="<soak>"))
    try:
        with BackgroundServer(app) as server:
            outcomes = asyncio.run(_traffic(server.base_url, emulators))
            dispatcher = app.state.gateway.dispatcher
            watch = app.state.gateway.disconnects
            _wait_for(lambda: dispatcher._in_flight == 0)
            assert (dispatcher._in_flight, len(watch._calls), len(watch._watchers)) == (0, 0, 0)
        # The server has stopped: its lifespan flushed the ledger.
        with sqlite3.connect(database) as db:
            recorded = [r[0] for r in db.execute("SELECT request_id FROM ledger_calls")]
    finally:
        for emulator in emulators.values():
            emulator.stop()
    assert outcomes["answered"] > 100 and outcomes["abandoned"] > 10
    assert len(recorded) == len(set(recorded)) == len(taken)
    assert set(recorded) == taken
    assert [(r.name, r.getMessage()) for r in errors.records] == []


async def _traffic(base_url: str, emulators: dict[str, EmulatorServer]) -> dict[str, int]:
    outcomes = {"answered": 0, "abandoned": 0, "failed": 0}
    stop = asyncio.Event()

    async def inject() -> None:
        rng = random.Random(1)
        while not stop.is_set():
            rng.choice(list(emulators.values())).inject(**rng.choice(FAULTS))
            await asyncio.sleep(0.01)

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": "Bearer k"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=15) as http:
            while not stop.is_set():
                body = {
                    "model": rng.choice(MODELS),
                    "messages": [{"role": "user", "content": "hello " * rng.randint(1, 50)}],
                    "stream": rng.random() < 0.5,
                }
                path = "/v1/chat/completions"
                if rng.random() < 0.5:  # the same call through the Anthropic API
                    path, body["max_tokens"] = "/v1/messages", 200
                try:
                    if rng.random() < 0.1:
                        outcomes["abandoned"] += 1
                        sending = http.post(path, json=body)
                        await asyncio.wait_for(sending, rng.uniform(0.05, 0.3))
                    elif body["stream"]:
                        async with http.stream("POST", path, json=body) as r:
                            async for _ in r.aiter_lines():
                                pass
                    else:
                        await http.post(path, json=body)
                    outcomes["answered"] += 1
                except (TimeoutError, httpx.HTTPError):
                    outcomes["failed"] += 1

    tasks = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
    tasks.append(asyncio.create_task(inject()))
    await asyncio.sleep(SECONDS)
    stop.set()
    await asyncio.gather(*tasks)
    return outcomes


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
