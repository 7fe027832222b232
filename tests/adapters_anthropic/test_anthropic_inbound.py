"""``/v1/messages`` and ``/count_tokens`` end to end: the anthropic SDK → gateway → emulators."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import pytest
from starlette.testclient import TestClient

from polyroute.app import create_app
from polyroute.config import ResolvedProvider, Settings, TimeoutConfig
from polyroute.emulators import EmulatorServer
from polyroute.providers.registry import PROVIDERS

KEY = "pr-master"
CLAUDE = "anthropic/claude-haiku-4-5"
MISTRAL = "mistral/mistral-small-latest"


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, EmulatorServer]]:
    running = {n: EmulatorServer(n).start_in_thread() for n in ("anthropic", "mistral")}
    yield running
    for server in running.values():
        server.stop()


@pytest.fixture
def client(upstreams: dict[str, EmulatorServer]) -> Iterator[TestClient]:
    for server in upstreams.values():
        server.reset()
    providers = {
        name: ResolvedProvider(name, PROVIDERS[name], emu.base_url, api_key="test-key")
        for name, emu in upstreams.items()
    }
    settings = Settings(
        master_key=KEY,
        database_url="sqlite://",
        providers=providers,
        timeouts=TimeoutConfig(first_byte=5, answer=5, stream_idle=2),
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _sdk(client: TestClient, key: str = KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=key, base_url=str(client.base_url), http_client=client, max_retries=0
    )


@pytest.mark.parametrize("model", [CLAUDE, MISTRAL])
def test_messages_any_provider(client: TestClient, model: str) -> None:
    message = _sdk(client).messages.create(
        model=model,
        max_tokens=100,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hi"}],
    )
    assert message.id.startswith("msg_") and message.content[0].type == "text"
    assert message.usage.input_tokens > 0 and message.stop_reason == "end_turn"


@pytest.mark.parametrize("model", [CLAUDE, MISTRAL])
def test_stream_any_provider(client: TestClient, model: str) -> None:
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}}}]  # fmt: skip
    with _sdk(client).messages.stream(
        model=model,
        max_tokens=200,
        tools=tools,  # type: ignore[arg-type]
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert any(b.type == "tool_use" and b.name == "get_weather" for b in final.content)
    assert final.usage.output_tokens > 0


def test_headers_and_request_id(client: TestClient) -> None:
    response = client.post(
        "/v1/messages",
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        json={"model": CLAUDE, "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert response.status_code == 200
    assert response.headers["x-polyroute-provider"] == "anthropic"
    assert response.headers["request-id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("kwargs", "status", "kind"),
    [
        ({"headers": {"x-api-key": "wrong"}}, 401, "authentication_error"),
        ({"json": {"model": "nope/x", "max_tokens": 1, "messages": []}}, 400,
         "invalid_request_error"),
        ({"json": {"model": "nope/x", "max_tokens": 1,
                   "messages": [{"role": "user", "content": "a"}]}}, 404, "not_found_error"),
        ({"content": b"{not json"}, 400, "invalid_request_error"),
    ],
)  # fmt: skip
def test_failures_use_anthropics_envelope(
    client: TestClient, kwargs: dict[str, object], status: int, kind: str
) -> None:
    headers = {"x-api-key": KEY, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    response = client.post("/v1/messages", headers=headers, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == kind
    assert body["request_id"] == response.headers["x-request-id"]


def test_upstream_overloaded_is_529(
    client: TestClient, upstreams: dict[str, EmulatorServer]
) -> None:
    upstreams["anthropic"].inject(status=529, count=2)  # the try and its one retry
    with pytest.raises(anthropic.InternalServerError) as info:
        _sdk(client).messages.create(
            model=CLAUDE, max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
        )
    assert info.value.status_code == 529
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


def test_error_event_after_stream_began(
    client: TestClient, upstreams: dict[str, EmulatorServer]
) -> None:
    # Cut twice: the stream is continued once on Mistral (prefix), and that breaks too.
    upstreams["mistral"].inject(cut_after_chunks=3, count=2)
    sdk = _sdk(client)
    question = [{"role": "user", "content": "Tell me a long story " * 5}]
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        sdk.messages.stream(model=MISTRAL, max_tokens=100, messages=question) as stream,  # type: ignore[arg-type]
    ):
        stream.get_final_message()
    assert "error" in str(info.value.body)


def test_count_tokens(client: TestClient) -> None:
    sdk = _sdk(client)
    body = {"messages": [{"role": "user", "content": "Hello, how are you today?"}]}
    forwarded = sdk.messages.count_tokens(model=CLAUDE, **body)  # type: ignore[arg-type]
    local = sdk.messages.count_tokens(model=MISTRAL, **body)  # type: ignore[arg-type]
    assert forwarded.input_tokens > 0 and local.input_tokens == 4 + 7


BETAS = ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"]
CONTEXT_MANAGEMENT = {"edits": [{"type": "clear_tool_uses_20250919"}]}


@pytest.mark.parametrize("stream", [False, True])
def test_beta_features_reach_anthropic(
    client: TestClient, upstreams: dict[str, EmulatorServer], stream: bool
) -> None:
    """The SDK's beta namespace: the ``anthropic-beta`` header and the beta API's own fields
    go on to an Anthropic target, on the beta API, as the SDK itself would send them."""
    beta = _sdk(client).beta.messages
    ask: dict = {
        "model": CLAUDE,
        "max_tokens": 100,
        "betas": BETAS,
        "context_management": CONTEXT_MANAGEMENT,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    if stream:
        with beta.stream(**ask) as events:
            assert events.get_final_message().stop_reason == "end_turn"
    else:
        assert beta.create(**ask).stop_reason == "end_turn"
    (sent,) = upstreams["anthropic"].received("/v1/messages")
    assert sent["query"] == {"beta": "true"}
    assert sent["headers"]["anthropic-beta"] == ",".join(BETAS)
    assert sent["body"]["context_management"] == CONTEXT_MANAGEMENT


def test_beta_count_tokens_keeps_the_beta_fields(
    client: TestClient, upstreams: dict[str, EmulatorServer]
) -> None:
    """The beta ``count_tokens`` takes the beta fields it counts (the emulator, like the spec,
    refuses them on the plain endpoint)."""
    upstreams["anthropic"].reset()
    counted = _sdk(client).beta.messages.count_tokens(
        model=CLAUDE,
        betas=BETAS,
        context_management=CONTEXT_MANAGEMENT,
        messages=[{"role": "user", "content": "Hi"}],
    )
    assert counted.input_tokens > 0
    (sent,) = upstreams["anthropic"].received("/v1/messages/count_tokens")
    assert sent["query"] == {"beta": "true"}
    assert sent["body"]["context_management"] == CONTEXT_MANAGEMENT
    refused = httpx.post(
        upstreams["anthropic"].base_url + "/v1/messages/count_tokens",
        headers={"x-api-key": "test-key", "anthropic-version": "2023-06-01"},
        json={**sent["body"]},
    )
    assert refused.status_code == 400
    assert "context_management" in refused.json()["error"]["message"]


def test_betas_join_those_the_operator_configured(upstreams: dict[str, EmulatorServer]) -> None:
    emulator = upstreams["anthropic"]
    emulator.reset()
    provider = ResolvedProvider(
        "anthropic",
        PROVIDERS["anthropic"],
        emulator.base_url,
        api_key="test-key",
        headers={"Anthropic-Beta": "files-api-2025-04-14, " + BETAS[0]},
    )
    settings = Settings(master_key=KEY, database_url="sqlite://", providers={"anthropic": provider})
    with TestClient(create_app(settings)) as test_client:
        _sdk(test_client).beta.messages.create(
            model=CLAUDE, max_tokens=50, betas=BETAS, messages=[{"role": "user", "content": "Hi"}]
        )
        _sdk(test_client).messages.create(
            model=CLAUDE, max_tokens=50, messages=[{"role": "user", "content": "Hi"}]
        )
    with_betas, without = emulator.received("/v1/messages")
    assert with_betas["headers"]["anthropic-beta"] == ",".join(["files-api-2025-04-14", *BETAS])
    assert without["headers"]["anthropic-beta"] == "files-api-2025-04-14, " + BETAS[0]
    assert without["query"] == {}


def test_beta_fields_are_dropped_for_other_providers(client: TestClient) -> None:
    raw = _sdk(client).beta.messages.with_raw_response.create(
        model=MISTRAL,
        max_tokens=100,
        betas=BETAS,
        context_management=CONTEXT_MANAGEMENT,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "Hi"}],
    )
    assert raw.parse().stop_reason == "end_turn"
    assert "context_management" in raw.headers["x-polyroute-dropped-params"]
