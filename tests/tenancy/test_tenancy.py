"""Virtual keys, budgets, limits and per-tenant provider keys, through a running gateway."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import openai
import pytest
from cryptography.fernet import Fernet
from starlette.applications import Starlette

from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.emulators import EmulatorServer
from polyroute.server import BackgroundServer

MASTER = "sk-tenancy-master"
TENANT_MISTRAL_KEY = "sk-tenant-a-mistral-0123456789abcdef"
OPENAI = "openai/gpt-4o-mini"
ASK = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, EmulatorServer]]:
    servers = {
        "openai": EmulatorServer("openai").start_in_thread(),
        # Only tenant A's own key opens this provider: the configured default key is refused.
        "mistral": EmulatorServer("mistral", api_key=TENANT_MISTRAL_KEY).start_in_thread(),
    }
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def app(emulators: dict[str, EmulatorServer]) -> Starlette:
    raw = {
        "master_key": MASTER,
        "database_url": "sqlite://",
        "providers": {
            "openai": {"api_key": "sk-default-openai", "base_url": emulators["openai"].base_url},
            "mistral": {"api_key": "sk-default-mistral", "base_url": emulators["mistral"].base_url},
        },
        "keys": {"encryption_keys": Fernet.generate_key().decode(), "cache_seconds": 0},
        "limits": {"backend": "memory"},
        "ledger": {"flush_interval_ms": 20},
    }
    return create_app(settings_from_mapping(raw, env={}, source="<tenancy tests>"))


@pytest.fixture(scope="module")
def gateway(app: Starlette) -> Iterator[BackgroundServer]:
    with BackgroundServer(app) as server:
        yield server


@pytest.fixture
def admin(gateway: BackgroundServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {MASTER}"}
    with httpx.Client(base_url=gateway.base_url, headers=headers, timeout=10) as client:
        yield client


def _new_key(admin: httpx.Client, **fields: object) -> str:
    response = admin.post("/v1/admin/keys", json={"name": "test", **fields})
    assert response.status_code == 201, response.text
    return str(response.json()["secret"])


def _client(gateway: BackgroundServer, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0)


def test_a_virtual_key_calls_and_sees_only_its_own_usage(gateway, admin, emulators) -> None:
    mine, theirs = _new_key(admin), _new_key(admin)
    raw = _client(gateway, mine).chat.completions.with_raw_response.create(
        model=OPENAI, messages=ASK
    )
    request_id = raw.headers["x-request-id"]
    _client(gateway, theirs).chat.completions.create(model=OPENAI, messages=ASK)

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if admin.get(f"/v1/usage/calls/{request_id}").status_code == 200:
            break
        time.sleep(0.05)
    with httpx.Client(base_url=gateway.base_url) as http:
        own = http.get(f"/v1/usage/calls/{request_id}", headers={"Authorization": f"Bearer {mine}"})
        other = http.get(
            f"/v1/usage/calls/{request_id}", headers={"Authorization": f"Bearer {theirs}"}
        )
        listed = http.get("/v1/usage/calls", headers={"Authorization": f"Bearer {theirs}"})
    assert own.status_code == 200 and own.json()["key_id"]
    assert other.status_code == 404  # another key's call does not exist for it
    assert request_id not in listed.text


def test_virtual_keys_cannot_use_the_admin_api(gateway) -> None:
    with httpx.Client(base_url=gateway.base_url) as http:
        response = http.get(
            "/v1/admin/keys", headers={"Authorization": f"Bearer {_new_key_via(gateway)}"}
        )
    assert response.status_code == 403


def _new_key_via(gateway: BackgroundServer) -> str:
    with httpx.Client(
        base_url=gateway.base_url, headers={"Authorization": f"Bearer {MASTER}"}
    ) as c:
        return _new_key(c)


def test_model_allow_list(gateway, admin) -> None:
    key = _new_key(admin, allowed_models=["openai/*"])
    client = _client(gateway, key)
    assert client.chat.completions.create(model=OPENAI, messages=ASK).choices
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(model="mistral/mistral-small-latest", messages=ASK)
    assert caught.value.code == "model_not_allowed"
    # The key is offered what it may use, and nothing else is found for it.
    listed = [m.id for m in client.models.list()]
    assert listed and all(m.startswith("openai/") for m in listed)
    assert client.models.retrieve(OPENAI).id == OPENAI
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("mistral/mistral-small-latest")


def test_revoked_key_is_refused(gateway, admin) -> None:
    key = _new_key(admin)
    key_id = next(
        k["id"]
        for k in admin.get("/v1/admin/keys").json()["data"]
        if k["prefix"] and key.startswith(k["prefix"])
    )
    assert admin.delete(f"/v1/admin/keys/{key_id}").status_code == 200
    with pytest.raises(openai.AuthenticationError):
        _client(gateway, key).chat.completions.create(model=OPENAI, messages=ASK)


def test_budget_holds_under_concurrency_and_refuses_before_any_provider_call(
    gateway, admin, emulators
) -> None:
    """A budget that fits a few worst-case calls: 20 concurrent calls spend at most it, and
    the refused ones never reach the provider."""
    worst = (
        64 * 0.6 / 1e6 + 10 * 0.15 / 1e6
    )  # max_tokens 64 at gpt-4o-mini output price, plus input
    key = _new_key(admin, budget_total_usd=f"{worst * 3.5:.10f}")
    client = _client(gateway, key)
    before = len(emulators["openai"].received("/chat/completions"))

    def call(_: int) -> str:
        try:
            client.chat.completions.create(model=OPENAI, messages=ASK, max_tokens=64)
            return "ok"
        except openai.APIStatusError as exc:
            return f"{exc.status_code}:{exc.code}"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(call, range(20)))
    admitted = outcomes.count("ok")
    assert 1 <= admitted <= 20
    assert set(outcomes) <= {"ok", "402:insufficient_quota"}
    assert len(emulators["openai"].received("/chat/completions")) - before == admitted
    spent_row = admin.get("/v1/usage/summary", params={"group_by": "key"}).json()
    assert spent_row  # and the ledger knows what was spent
    # Every admitted call cost far less than its worst case, so settling freed headroom:
    # at least the three worst cases fit, and nothing past the budget was spent.
    assert admitted >= 3


@pytest.fixture
def settled(app, monkeypatch) -> list[tuple[Decimal, int]]:  # type: ignore[no-untyped-def]
    """What each call's budgets are settled at: ``(usd, tokens)``, in order."""
    gatekeeper = app.state.gateway.dispatcher._gatekeeper
    seen: list[tuple[Decimal, int]] = []
    original = gatekeeper.settle

    async def settle(admission, actual_usd, actual_tokens):  # type: ignore[no-untyped-def]
        seen.append((actual_usd, actual_tokens))
        await original(admission, actual_usd, actual_tokens)

    monkeypatch.setattr(gatekeeper, "settle", settle)
    return seen


def test_a_stream_the_client_left_is_charged_to_its_budget(
    gateway, admin, emulators, settled
) -> None:
    """The provider billed what it streamed before the client hung up: the key's budget is
    charged the same estimate the ledger records, not nothing."""
    key = _new_key(admin, budget_total_usd="1")
    emulators["openai"].inject(chunk_delay_ms=100)
    body = {"model": OPENAI, "messages": ASK, "stream": True}
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        headers = {"Authorization": f"Bearer {key}"}
        with http.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response:
            request_id = response.headers["x-request-id"]
            data = 0
            for line in response.iter_lines():
                data += line.startswith("data: ")
                if data == 4:
                    break  # and hang up
    deadline = time.monotonic() + 5
    while not settled and time.monotonic() < deadline:
        time.sleep(0.02)
    ((usd, tokens),) = settled
    assert usd > 0 and tokens > 0
    while time.monotonic() < deadline:
        found = admin.get(f"/v1/usage/calls/{request_id}")
        if found.status_code == 200:
            break
        time.sleep(0.05)
    record = found.json()
    assert record["usage_estimated"] is True and record["status"] == "client_disconnected"
    assert float(record["cost_usd"]) == pytest.approx(float(usd))
    assert record["input_tokens"] + record["output_tokens"] == tokens


def test_an_answer_the_client_did_not_wait_for_is_charged_to_its_budget(
    gateway, admin, emulators, settled
) -> None:
    """Hanging up before the answer comes does not make the prompt free of the budget."""
    key = _new_key(admin, budget_total_usd="1")
    emulators["openai"].inject(latency_ms=2000)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{gateway.base_url}/v1/chat/completions",
            json={"model": OPENAI, "messages": ASK},
            headers={"Authorization": f"Bearer {key}"},
            timeout=0.4,
        )
    deadline = time.monotonic() + 5
    while not settled and time.monotonic() < deadline:
        time.sleep(0.02)
    ((usd, tokens),) = settled
    assert usd > 0 and tokens > 0


def test_rpm_limit(gateway, admin) -> None:
    key = _new_key(admin, rpm=2)
    client = _client(gateway, key)
    client.chat.completions.create(model=OPENAI, messages=ASK)
    client.chat.completions.create(model=OPENAI, messages=ASK)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=OPENAI, messages=ASK)
    assert caught.value.code == "rate_limit_exceeded"
    assert int(caught.value.response.headers["retry-after"]) >= 1


def test_tenant_provider_key_is_used_for_that_tenant_only(
    gateway, admin, emulators, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    stored = admin.post(
        "/v1/admin/provider-keys",
        json={"tenant": "team-a", "provider": "mistral", "api_key": TENANT_MISTRAL_KEY},
    )
    assert stored.status_code == 201
    team_a = _client(gateway, _new_key(admin, tenant="team-a"))
    team_b = _client(gateway, _new_key(admin, tenant="team-b"))
    master = _client(gateway, MASTER)

    assert team_a.chat.completions.create(
        model="mistral/mistral-small-latest", messages=ASK
    ).choices
    for other in (team_b, master):  # the default key is refused by this provider
        with pytest.raises(openai.APIStatusError) as caught:
            other.chat.completions.create(model="mistral/mistral-small-latest", messages=ASK)
        assert caught.value.status_code == 502
        assert TENANT_MISTRAL_KEY not in str(caught.value.body)

    listed = admin.get("/v1/admin/provider-keys", params={"tenant": "team-a"})
    assert TENANT_MISTRAL_KEY not in stored.text + listed.text
    assert TENANT_MISTRAL_KEY not in caplog.text

    # Deleted: the tenant's next call goes out with the default key at once, not after the
    # pool's cache time.
    deleted = admin.delete("/v1/admin/provider-keys/mistral", params={"tenant": "team-a"})
    assert deleted.json() == {"tenant": "team-a", "provider": "mistral", "deleted": True}
    with pytest.raises(openai.APIStatusError) as caught:
        team_a.chat.completions.create(model="mistral/mistral-small-latest", messages=ASK)
    assert caught.value.status_code == 502


def test_a_stored_key_that_cannot_be_decrypted_is_refused_not_replaced(emulators) -> None:
    """Restarted with other encryption keys, the gateway refuses the tenant's calls (503)
    instead of silently paying for them with the operator's key."""
    database = "sqlite:///" + __import__("tempfile").mkdtemp() + "/keys.db"

    def app_with(encryption_key: str):
        raw = {
            "master_key": MASTER,
            "database_url": database,
            "providers": {
                "mistral": {"api_key": "sk-default", "base_url": emulators["mistral"].base_url}
            },
            "keys": {"encryption_keys": encryption_key, "cache_seconds": 0},
        }
        return create_app(settings_from_mapping(raw, env={}, source="<restart test>"))

    with BackgroundServer(app_with(Fernet.generate_key().decode())) as first:
        admin_headers = {"Authorization": f"Bearer {MASTER}"}
        with httpx.Client(base_url=first.base_url, headers=admin_headers) as admin:
            admin.post(
                "/v1/admin/provider-keys",
                json={"tenant": "team-c", "provider": "mistral", "api_key": TENANT_MISTRAL_KEY},
            ).raise_for_status()
            key = _new_key(admin, tenant="team-c")
    with (
        BackgroundServer(app_with(Fernet.generate_key().decode())) as second,
        pytest.raises(openai.APIStatusError) as caught,
    ):
        _client(second, key).chat.completions.create(
            model="mistral/mistral-small-latest", messages=ASK
        )
    assert caught.value.status_code == 503
    assert caught.value.code == "provider_key_unavailable"
