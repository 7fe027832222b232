"""A gateway with fallback routes over three emulated providers, tuned for fast failure tests:
short timeouts, one retry, breakers that open after two failures and cool down in a second."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from starlette.applications import Starlette

from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.emulators import EmulatorServer
from polyroute.routing.health import BreakerPolicy, HealthBook
from polyroute.server import BackgroundServer

MASTER_KEY = "sk-fallback-tests"
PRIMARY = "openai/gpt-4o-mini"
SECONDARY = "mistral/mistral-small-latest"
NO_PREFILL = "groq/llama-3.3-70b-versatile"
BREAKER = {"consecutive_failures": 2, "min_calls": 100, "cooldown": 1.0, "backoff": 1.0}
FIRST_BYTE_S = 1.0
STREAM_IDLE_S = 0.5
BACKOFF_S = 0.1


@pytest.fixture(scope="session")
def emulators() -> Iterator[dict[str, EmulatorServer]]:
    servers = {
        name: EmulatorServer(name).start_in_thread() for name in ("openai", "mistral", "groq")
    }
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def app(emulators: dict[str, EmulatorServer]) -> Starlette:
    raw = {
        "master_key": MASTER_KEY,
        "database_url": "sqlite://",
        "providers": {
            name: {"api_key": "k", "base_url": e.base_url} for name, e in emulators.items()
        },
        "routes": {
            "main": {"targets": [PRIMARY, SECONDARY]},
            "noprefill": {"targets": [PRIMARY, NO_PREFILL]},
            "bigctx": {"targets": [PRIMARY, "openai/gpt-4o", SECONDARY]},
        },
        "timeouts": {
            "connect": 1,
            "first_byte": FIRST_BYTE_S,
            "answer": FIRST_BYTE_S,
            "stream_idle": STREAM_IDLE_S,
            "total": 8,
        },
        "retries": {
            "per_target": 1,
            "backoff_base": BACKOFF_S,
            "backoff_max": 2 * BACKOFF_S,
            "max_retry_after": 2,
        },
        "health": BREAKER,
        "ledger": {"flush_interval_ms": 20},
    }
    return create_app(settings_from_mapping(raw, env={}, source="<fallback tests>"))


@pytest.fixture(scope="session")
def gateway(app: Starlette) -> Iterator[BackgroundServer]:
    with BackgroundServer(app) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(
    emulators: dict[str, EmulatorServer], app: Starlette, gateway: BackgroundServer
) -> Iterator[None]:
    for server in emulators.values():
        server.reset()
    app.state.gateway.dispatcher.router.health = HealthBook(BreakerPolicy(**BREAKER))
    yield
    # Every call the test made has closed its books, however it ended (cut, stalled, failed
    # over, left by its client): the recorder decides by this count whether to wait for more.
    dispatcher = app.state.gateway.dispatcher
    deadline = time.monotonic() + 5
    while dispatcher._in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dispatcher._in_flight == 0, f"{dispatcher._in_flight} call(s) never finished"


@pytest.fixture
def client(gateway: BackgroundServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0) as c:
        yield c


OwnGateway = Callable[..., openai.OpenAI]


@pytest.fixture
def own_gateway(emulators: dict[str, EmulatorServer]) -> Iterator[OwnGateway]:
    """``own_gateway(timeouts={...}, retries={...})``: a client of a gateway of the test's own,
    route ``main`` = primary then secondary, no retries unless ``retries`` says so."""
    servers: list[BackgroundServer] = []
    clients: list[openai.OpenAI] = []

    def start(**config: Any) -> openai.OpenAI:
        raw = {
            "master_key": MASTER_KEY,
            "database_url": "sqlite://",
            "providers": {
                name: {"api_key": "k", "base_url": e.base_url} for name, e in emulators.items()
            },
            "routes": {"main": {"targets": [PRIMARY, SECONDARY]}},
            "retries": {"per_target": 0},
            **config,
        }
        app = create_app(settings_from_mapping(raw, env={}, source="<a test's own gateway>"))
        servers.append(BackgroundServer(app).start())
        base_url = f"{servers[-1].base_url}/v1"
        clients.append(openai.OpenAI(base_url=base_url, api_key=MASTER_KEY, max_retries=0))
        return clients[-1]

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def hits(server: EmulatorServer) -> list[float]:
    """When the emulator received each chat request (monotonic seconds)."""
    return [r["time"] for r in server.received("/chat/completions")]


def upstream_outcome(server: EmulatorServer, path: str = "/chat/completions") -> str | None:
    """How the emulator's last request on ``path`` ended (``client_disconnected`` when the
    gateway dropped it), once it has; None if it has not within 5 s."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        entries = server.received(path)
        if entries and (outcome := entries[-1].get("outcome")) is not None:
            return str(outcome)
        time.sleep(0.02)
    return None


def recorded_call(gateway: BackgroundServer, request_id: str, attempts: int) -> dict[str, Any]:
    """The call's ledger record as the usage API shows it, once its ``attempts`` are in."""
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    with httpx.Client(base_url=gateway.base_url, headers=headers) as http:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            response = http.get(f"/v1/usage/calls/{request_id}")
            if response.status_code == 200 and len(response.json()["attempt_records"]) == attempts:
                return dict(response.json())
            time.sleep(0.05)
    raise AssertionError(f"call {request_id} was not recorded with {attempts} attempt(s)")
