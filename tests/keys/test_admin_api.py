"""The admin API: master key only, secrets shown once, provider keys never shown or logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request

from polyroute.errors import Unauthorized
from polyroute.inbound.admin_api import admin_routes
from polyroute.inbound.http import Authenticator
from polyroute.keys import MASTER, KeyCipher, KeyStore, ProviderKeyStore, hash_secret

MASTER_KEY = "master-test-key"
PROVIDER_SECRET = "sk-ant-api03-NEVER-SHOW-ME-0123456789abcdef"


def _app(engine: Engine, cipher: KeyCipher | None) -> Starlette:
    app = Starlette(routes=admin_routes())
    keys = KeyStore(engine)
    app.state.keys = keys
    app.state.provider_keys = ProviderKeyStore(engine, cipher)
    app.state.gateway = SimpleNamespace(auth=Authenticator(MASTER_KEY, keys))
    return app


@pytest.fixture
async def client(sqlite_engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(sqlite_engine, KeyCipher([Fernet.generate_key().decode()]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


def _as(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


async def test_key_lifecycle_through_the_api(client: httpx.AsyncClient) -> None:
    body = {"name": "ci", "budget_daily_usd": "2.50", "rpm": 10, "allowed_models": ["auto"]}
    created = await client.post("/v1/admin/keys", json=body, headers=_as(MASTER_KEY))
    assert created.status_code == 201, created.text
    key = created.json()
    secret = key["secret"]
    assert secret.startswith("pr-") and key["budget_daily_usd"] == "2.5"

    listed = await client.get("/v1/admin/keys", headers=_as(MASTER_KEY))
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()["data"]] == [key["id"]]
    assert secret not in listed.text and hash_secret(secret) not in listed.text
    assert "secret" not in listed.json()["data"][0]

    # a virtual key cannot administer, not even itself
    for method, path in [("GET", "/v1/admin/keys"), ("DELETE", f"/v1/admin/keys/{key['id']}")]:
        refused = await client.request(method, path, headers=_as(secret))
        assert refused.status_code == 403
        assert refused.json()["error"]["type"] == "permission_error"

    revoked = await client.delete(f"/v1/admin/keys/{key['id']}", headers=_as(MASTER_KEY))
    assert revoked.json() == {"id": key["id"], "object": "virtual_key", "revoked": True}
    after = await client.get("/v1/admin/keys", headers=_as(secret))
    assert after.status_code == 401  # revoked: no longer a key at all
    missing = await client.delete("/v1/admin/keys/vk_nope", headers=_as(MASTER_KEY))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), (_as("wrong"), 401), ({"x-api-key": MASTER_KEY}, 200)],
)
async def test_admin_auth(client: httpx.AsyncClient, headers: dict[str, str], status: int) -> None:
    response = await client.get("/v1/admin/keys", headers=headers)
    assert response.status_code == status
    if status != 200:
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


async def test_invalid_bodies_are_400s(client: httpx.AsyncClient) -> None:
    for body in ({"name": ""}, {"name": "x", "rpm": 0}, {"name": "x", "surprise": 1}):
        response = await client.post("/v1/admin/keys", json=body, headers=_as(MASTER_KEY))
        assert response.status_code == 400, body
        assert response.json()["error"]["type"] == "invalid_request_error"


async def test_provider_keys_are_never_returned_or_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await client.request(method, path, headers=_as(MASTER_KEY), **kwargs)
        texts.append(response.text + str(response.headers))
        return response

    body = {"tenant": "team-a", "provider": "anthropic", "api_key": PROVIDER_SECRET}
    assert (await call("POST", "/v1/admin/provider-keys", json=body)).status_code == 201
    bad = {**body, "api_key": PROVIDER_SECRET, "extra": PROVIDER_SECRET}
    assert (await call("POST", "/v1/admin/provider-keys", json=bad)).status_code == 400
    wrong_type = {"provider": PROVIDER_SECRET * 3, "api_key": PROVIDER_SECRET}  # too long
    assert (await call("POST", "/v1/admin/provider-keys", json=wrong_type)).status_code == 400
    listed = await call("GET", "/v1/admin/provider-keys?tenant=team-a")
    assert [p["provider"] for p in listed.json()["data"]] == ["anthropic"]
    assert (await call("DELETE", "/v1/admin/provider-keys/anthropic?tenant=team-a")).is_success
    assert (
        await call("DELETE", "/v1/admin/provider-keys/anthropic?tenant=team-a")
    ).status_code == 404

    assert texts and not any(PROVIDER_SECRET in text for text in texts)
    assert caplog.records  # the admin actions were logged ...
    logged = caplog.text + " ".join(str(r.args) + str(r.__dict__) for r in caplog.records)
    assert PROVIDER_SECRET not in logged  # ... without the key


async def test_provider_keys_need_an_encryption_key(sqlite_engine: Engine) -> None:
    transport = httpx.ASGITransport(app=_app(sqlite_engine, None))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        body = {"provider": "openai", "api_key": PROVIDER_SECRET}
        response = await client.post("/v1/admin/provider-keys", json=body, headers=_as(MASTER_KEY))
    assert response.status_code == 503
    assert "POLYROUTE_ENCRYPTION_KEYS" in response.json()["error"]["message"]
    assert PROVIDER_SECRET not in response.text


async def test_authenticator_principals(sqlite_engine: Engine) -> None:
    keys = KeyStore(sqlite_engine)
    key, secret = keys.create("svc", tenant="team-b")

    def request(token: str | None) -> Request:
        headers = [] if token is None else [(b"authorization", f"Bearer {token}".encode())]
        return Request({"type": "http", "headers": headers})

    auth = Authenticator(MASTER_KEY, keys)
    assert await auth.authenticate(request(MASTER_KEY)) == MASTER
    principal = await auth.authenticate(request(secret))
    assert (principal.key_id, principal.tenant, principal.key) == (key.id, "team-b", key)
    for token in (None, "nope", "pr-" + "y" * 40):
        with pytest.raises(Unauthorized):
            await auth.authenticate(request(token))
    open_gateway = Authenticator(None, keys)
    assert await open_gateway.authenticate(request(None)) == MASTER
    assert (await open_gateway.authenticate(request(secret))).key_id == key.id
