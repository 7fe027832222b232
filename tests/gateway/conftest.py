"""A running gateway in front of an emulator of every OpenAI-compatible provider.

The gateway and the emulators listen on loopback ports in threads of their own, so the
tests drive them exactly as a user would: with the official ``openai`` and ``mistralai``
SDKs over real HTTP.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openai
import pytest
from starlette.applications import Starlette

from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.emulators import EmulatorServer
from polyroute.routing.health import HealthBook
from polyroute.server import BackgroundServer

MASTER_KEY = "sk-test-master-key"
PROVIDER_KEYS = {name: f"sk-{name}-provider-secret-0123456789" for name in ("openai", "mistral")}


@dataclass(frozen=True)
class Family:
    """One provider of the OpenAI-compatible family, as the tests address it."""

    provider: str
    chat_model: str
    embed_model: str | None = None

    @property
    def chat(self) -> str:
        return f"{self.provider}/{self.chat_model}"

    @property
    def embed(self) -> str | None:
        return f"{self.provider}/{self.embed_model}" if self.embed_model else None


FAMILY = (
    Family("openai", "gpt-4o-mini", "text-embedding-3-small"),
    Family("mistral", "mistral-small-latest", "mistral-embed"),
    Family("groq", "llama-3.1-8b-instant"),
    Family("cerebras", "llama3.1-8b"),
    Family("deepinfra", "meta-llama/Meta-Llama-3.1-8B-Instruct", "BAAI/bge-base-en-v1.5"),
    Family("xai", "grok-3"),
    Family("openrouter", "openai/gpt-4o-mini", "openai/text-embedding-3-small"),
    Family("local", "meta-llama/Llama-3.1-8B-Instruct", "nomic-embed-text"),
)
BY_NAME = {f.provider: f for f in FAMILY}
PROFILE = {"local": "openai-compatible"}

MAX_REQUEST_BYTES = 256 * 1024
STREAM_IDLE_S = 1.0
FIRST_BYTE_S = 2.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def emulators() -> Iterator[dict[str, EmulatorServer]]:
    servers = {}
    try:
        for family in FAMILY:
            profile = PROFILE.get(family.provider, family.provider)
            key = PROVIDER_KEYS.get(family.provider)
            servers[family.provider] = EmulatorServer(profile, api_key=key).start_in_thread()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def gateway_config(emulators: dict[str, EmulatorServer]) -> dict[str, object]:
    providers: dict[str, dict[str, object]] = {
        name: {
            "api_key": PROVIDER_KEYS.get(name, f"sk-{name}-key"),
            "base_url": server.base_url,
            **({"type": "openai-compatible"} if name in PROFILE else {}),
        }
        for name, server in emulators.items()
    }
    # A provider whose address accepts no connection, and one whose key is refused.
    providers["down"] = {
        "type": "openai-compatible",
        "base_url": f"http://127.0.0.1:{_closed_port()}/v1",
    }
    providers["badkey"] = {
        "type": "openai",
        "api_key": "sk-wrong",
        "base_url": emulators["openai"].base_url,
    }
    return {
        "master_key": MASTER_KEY,
        "database_url": "sqlite://",
        "providers": providers,
        "routes": {
            "fallback": {"targets": ["down/any-model", "mistral/mistral-small-latest"]},
        },
        "timeouts": {
            "connect": 1,
            "first_byte": FIRST_BYTE_S,
            "answer": FIRST_BYTE_S,
            "stream_idle": STREAM_IDLE_S,
        },
        "retries": {"per_target": 1, "backoff_base": 0.05, "backoff_max": 0.2},
        "server": {"max_request_bytes": MAX_REQUEST_BYTES},
    }


@pytest.fixture(scope="session")
def gateway_app(emulators: dict[str, EmulatorServer]) -> Starlette:
    settings = settings_from_mapping(gateway_config(emulators), env={}, source="<tests>")
    return create_app(settings)


@pytest.fixture(scope="session")
def gateway(gateway_app: Starlette) -> Iterator[BackgroundServer]:
    with BackgroundServer(gateway_app) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_state(emulators: dict[str, EmulatorServer], gateway_app: Starlette) -> Iterator[None]:
    """Each test starts with clean emulators and closed circuits: faults one test injects
    must not open a breaker that the next test trips over."""
    for server in emulators.values():
        server.reset()
    state = getattr(gateway_app.state, "gateway", None)
    if state is not None:
        state.dispatcher.router.health = HealthBook()
    yield


@pytest.fixture
def client(gateway: BackgroundServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0) as c:
        yield c


def last_body(server: EmulatorServer, path: str = "/chat/completions") -> dict[str, object]:
    """The JSON body of the last request the emulator received on ``path``."""
    received = server.received(path)
    assert received, f"the emulator received no request on {path}"
    body = received[-1]["body"]
    assert isinstance(body, dict)
    return body


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}
"""A tool for the tool-calling tests."""


def error_of(response: httpx.Response) -> dict[str, object]:
    """The ``error`` of OpenAI's envelope, after checking the envelope and the request id."""
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert response.headers["x-request-id"].startswith("req_")
    return body["error"]
