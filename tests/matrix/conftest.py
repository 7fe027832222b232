"""One gateway in front of four provider emulators, for the whole translation matrix.

OpenAI-compatible (groq), Mistral, Anthropic and Gemini each run in a thread of their own;
the gateway runs once per session on a loopback port; the emulators' fault queues and
request logs are cleared before every test.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest
from matrix_support import MASTER_KEY

from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.emulators import EmulatorServer
from polyroute.routing import HealthBook
from polyroute.server import BackgroundServer

PROVIDERS = ("groq", "mistral", "anthropic", "gemini")
PROVIDER_KEYS = {name: f"sk-{name}-matrix-secret-0123456789" for name in PROVIDERS}


@pytest.fixture(scope="session")
def emulators() -> Iterator[dict[str, EmulatorServer]]:
    servers: dict[str, EmulatorServer] = {}
    try:
        for name in PROVIDERS:
            servers[name] = EmulatorServer(name, api_key=PROVIDER_KEYS[name]).start_in_thread()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="session")
def gateway(emulators: dict[str, EmulatorServer]) -> Iterator[BackgroundServer]:
    config = {
        "master_key": MASTER_KEY,
        "database_url": "sqlite://",
        "providers": {
            name: {"api_key": PROVIDER_KEYS[name], "base_url": server.base_url}
            for name, server in emulators.items()
        },
        "timeouts": {"connect": 1, "first_byte": 5, "answer": 5, "stream_idle": 2},
        # One try per call: an injected upstream failure reaches the client as it is.
        "retries": {"per_target": 0},
    }
    settings = settings_from_mapping(config, env={}, source="<matrix>")
    app = create_app(settings)
    with BackgroundServer(app) as server:
        server.matrix_app = app  # type: ignore[attr-defined]
        yield server


@pytest.fixture(autouse=True)
def _fresh_state(emulators: dict[str, EmulatorServer], gateway: BackgroundServer) -> None:
    """Clear the emulators' faults and logs, and the gateway's circuit breakers.

    The error cells fail each target on purpose; with one gateway for the session, open
    circuits would otherwise leak into the cells that follow.
    """
    for server in emulators.values():
        server.reset()
    router = gateway.matrix_app.state.gateway.dispatcher.router  # type: ignore[attr-defined]
    router.health = HealthBook()


@pytest.fixture(scope="session")
def openai_client(gateway: BackgroundServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0, timeout=10
    ) as client:
        yield client


@pytest.fixture(scope="session")
def anthropic_client(gateway: BackgroundServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0, timeout=10
    ) as client:
        yield client
