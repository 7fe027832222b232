"""Virtual keys: lifecycle, hash-only storage, cached verification, allow-lists."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from polyroute.errors import PermissionDenied
from polyroute.keys import KeyStore, Principal, model_allowed
from polyroute.keys.schema import virtual_keys


async def test_create_verify_revoke(engine: Engine) -> None:
    store = KeyStore(engine)
    key, secret = store.create(
        "alice",
        tenant="team-a",
        budget_daily_usd=Decimal("1.5"),
        rpm=60,
        allowed_models=["auto", "mistral/*"],
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    assert secret.startswith("pr-") and len(secret) == 43
    assert key.prefix == secret[:7]
    found = await store.verify(secret)
    assert found == key
    assert found.budget_daily_usd == Decimal("1.5") and found.allowed_models == (
        "auto",
        "mistral/*",
    )
    assert [k.id for k in store.list()] == [key.id]
    assert store.list("other-tenant") == []

    assert store.revoke(key.id)
    assert await store.verify(secret) is None  # the local cache is dropped on revoke
    assert store.list()[0].revoked_at is not None
    assert not store.revoke("vk_unknown")


def test_only_the_hash_is_stored(engine: Engine) -> None:
    store = KeyStore(engine)
    _, secret = store.create("bob")
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(select(virtual_keys))]
    assert len(rows) == 1
    cells = [str(cell) for cell in rows[0]]
    assert not any(secret in cell or secret[7:] in cell for cell in cells)
    assert hashlib.sha256(secret.encode()).hexdigest() in cells


async def test_expired_key_is_refused_even_when_cached(engine: Engine) -> None:
    now = [datetime.now(UTC)]
    store = KeyStore(engine, now=lambda: now[0])
    _, secret = store.create("carol", expires_at=now[0] + timedelta(minutes=5))
    assert await store.verify(secret) is not None
    now[0] += timedelta(minutes=6)
    assert await store.verify(secret) is None


async def test_verify_is_cached_and_coalesced(sqlite_engine: Engine) -> None:
    clock = [0.0]
    store = KeyStore(sqlite_engine, cache_seconds=5, clock=lambda: clock[0])
    key, secret = store.create("dave")
    fetches = 0
    fetch = store._fetch

    def counting(digest: str):  # type: ignore[no-untyped-def]
        nonlocal fetches
        fetches += 1
        return fetch(digest)

    store._fetch = counting  # type: ignore[method-assign]
    found = await asyncio.gather(*(store.verify(secret) for _ in range(20)))
    assert all(k == key for k in found) and fetches == 1
    assert await store.verify(secret) == key and fetches == 1
    clock[0] += 6
    assert await store.verify(secret) == key and fetches == 2
    bogus = "pr-" + "x" * 40
    assert await store.verify(bogus) is None and await store.verify(bogus) is None
    assert fetches == 3  # misses are cached too
    assert await store.verify("sk-not-ours") is None and fetches == 3


def test_invalid_limits_are_refused(sqlite_engine: Engine) -> None:
    store = KeyStore(sqlite_engine)
    with pytest.raises(ValueError, match="budgets"):
        store.create("x", budget_total_usd=Decimal(-1))
    with pytest.raises(ValueError, match="rpm"):
        store.create("x", rpm=0)
    with pytest.raises(ValueError, match="timezone"):
        store.create("x", expires_at=datetime(2030, 1, 1))


def test_allow_lists() -> None:
    assert model_allowed(None, "anything")
    patterns = ("auto", "mistral/*", "openai/gpt-4o-mini")
    assert model_allowed(patterns, "auto")
    assert model_allowed(patterns, "mistral/codestral-latest")
    assert not model_allowed(patterns, "openai/gpt-4o")
    assert not model_allowed(patterns, "fast")
    assert not model_allowed((), "auto")
    assert Principal(None).allows("whatever")


def test_principal_require_raises_permission_denied(sqlite_engine: Engine) -> None:
    key, _ = KeyStore(sqlite_engine).create("eve", allowed_models=["auto"])
    principal = Principal(key.id, key.tenant, key)
    principal.require("auto")
    with pytest.raises(PermissionDenied) as raised:
        principal.require("openai/gpt-4o")
    assert raised.value.status == 403 and raised.value.code == "model_not_allowed"
