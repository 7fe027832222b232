"""Virtual keys: create, verify, list, revoke — in the ledger's database.

A secret is ``pr-`` followed by 40 URL-safe characters (240 random bits), shown once. Only
its SHA-256 is stored: a slow KDF (bcrypt, argon2) defends low-entropy passwords against
guessing; a 240-bit random token cannot be guessed, so a fast hash is as safe and keeps
verification cheap. The row is found by its hash (an index lookup), then the hash is
compared in constant time.

``verify`` caches each lookup in-process for ``cache_seconds`` (misses too, so a flood of
bad keys costs no database round trip either), and concurrent lookups of one key share a
single query. Expiry is checked on every call; a revocation reaches other replicas within
``cache_seconds``. Methods other than ``verify`` are blocking: the admin API runs them in a
worker thread, the CLI directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update

from polyroute.keys.models import DEFAULT_TENANT, VirtualKey
from polyroute.keys.schema import virtual_keys

SECRET_PREFIX = "pr-"
SECRET_CHARS = 40
_CACHE_MAX = 10_000


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(30)  # 30 bytes -> exactly 40 characters


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(value: str) -> bool:
    return value.startswith(SECRET_PREFIX) and len(value) == len(SECRET_PREFIX) + SECRET_CHARS


class KeyStore:
    def __init__(
        self,
        engine: Engine,
        *,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self._ttl = cache_seconds
        self._clock = clock
        self._now = now
        self._cache: dict[str, tuple[float, VirtualKey | None]] = {}
        self._inflight: dict[str, asyncio.Future[VirtualKey | None]] = {}

    def create(
        self,
        name: str,
        *,
        tenant: str = DEFAULT_TENANT,
        budget_daily_usd: Decimal | None = None,
        budget_monthly_usd: Decimal | None = None,
        budget_total_usd: Decimal | None = None,
        rpm: int | None = None,
        tpm: int | None = None,
        allowed_models: Sequence[str] | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[VirtualKey, str]:
        """A new key and its secret; the secret is not kept and cannot be shown again."""
        _check(name, tenant, (budget_daily_usd, budget_monthly_usd, budget_total_usd), rpm, tpm)
        if expires_at is not None and expires_at.tzinfo is None:
            raise ValueError("expires_at must carry a timezone (UTC is assumed nowhere)")
        secret = new_secret()
        key = VirtualKey(
            id="vk_" + secrets.token_hex(8),
            name=name,
            tenant=tenant,
            prefix=secret[: len(SECRET_PREFIX) + 4],
            created_at=self._now().replace(microsecond=0),
            budget_daily_usd=budget_daily_usd,
            budget_monthly_usd=budget_monthly_usd,
            budget_total_usd=budget_total_usd,
            rpm=rpm,
            tpm=tpm,
            allowed_models=None if allowed_models is None else tuple(allowed_models),
            expires_at=expires_at,
        )
        row = {c.name: getattr(key, c.name) for c in virtual_keys.c if hasattr(key, c.name)}
        row["allowed_models"] = None if allowed_models is None else json.dumps(list(allowed_models))
        with self.engine.begin() as connection:
            connection.execute(virtual_keys.insert(), {**row, "secret_hash": hash_secret(secret)})
        return key, secret

    def list(self, tenant: str | None = None) -> list[VirtualKey]:
        query = select(virtual_keys).order_by(virtual_keys.c.created_at, virtual_keys.c.id)
        if tenant is not None:
            query = query.where(virtual_keys.c.tenant == tenant)
        with self.engine.connect() as connection:
            return [_key(row._mapping) for row in connection.execute(query)]

    def get(self, key_id: str) -> VirtualKey | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(virtual_keys).where(virtual_keys.c.id == key_id)
            ).first()
        return None if row is None else _key(row._mapping)

    def revoke(self, key_id: str) -> bool:
        """Revoke a key (kept for the ledger's sake); False if no such key."""
        with self.engine.begin() as connection:
            done = connection.execute(
                update(virtual_keys)
                .where(virtual_keys.c.id == key_id, virtual_keys.c.revoked_at.is_(None))
                .values(revoked_at=self._now())
            ).rowcount
        self._cache = {h: e for h, e in self._cache.items() if e[1] is None or e[1].id != key_id}
        return bool(done) or self.get(key_id) is not None

    def lookup(self, secret: str) -> VirtualKey | None:
        """The stored key for ``secret`` (uncached, blocking), active or not."""
        if not looks_like_secret(secret):
            return None
        return self._fetch(hash_secret(secret))

    async def verify(self, secret: str) -> VirtualKey | None:
        """The active key for ``secret``, or None (unknown, expired or revoked)."""
        if not looks_like_secret(secret):
            return None
        digest = hash_secret(secret)
        hit = self._cache.get(digest)
        key = hit[1] if hit is not None and hit[0] > self._clock() else await self._load(digest)
        return key if key is not None and key.active(self._now()) else None

    async def _load(self, digest: str) -> VirtualKey | None:
        pending = self._inflight.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(asyncio.to_thread(self._fetch, digest))
            self._inflight[digest] = pending
            pending.add_done_callback(lambda done: self._loaded(digest, done))
        return await asyncio.shield(pending)  # one caller cancelled must not cancel the others

    def _loaded(self, digest: str, done: asyncio.Future[VirtualKey | None]) -> None:
        self._inflight.pop(digest, None)
        if done.cancelled() or done.exception() is not None:
            return
        if len(self._cache) >= _CACHE_MAX:
            del self._cache[next(iter(self._cache))]  # oldest first
        self._cache[digest] = (self._clock() + self._ttl, done.result())

    def _fetch(self, digest: str) -> VirtualKey | None:
        query = select(virtual_keys).where(virtual_keys.c.secret_hash == digest)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None or not hmac.compare_digest(row.secret_hash, digest):
            return None
        return _key(row._mapping)


def _check(
    name: str, tenant: str, budgets: Iterable[Decimal | None], rpm: int | None, tpm: int | None
) -> None:
    if not name or len(name) > 64 or not tenant or len(tenant) > 64:
        raise ValueError("name and tenant must be 1 to 64 characters")
    if any(b is not None and (not b.is_finite() or b < 0) for b in budgets):
        raise ValueError("budgets must be non-negative amounts in USD")
    if any(v is not None and v < 1 for v in (rpm, tpm)):
        raise ValueError("rpm and tpm must be at least 1")


def _key(row: Any) -> VirtualKey:
    allowed = row["allowed_models"]
    return VirtualKey(
        id=row["id"],
        name=row["name"],
        tenant=row["tenant"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        budget_daily_usd=row["budget_daily_usd"],
        budget_monthly_usd=row["budget_monthly_usd"],
        budget_total_usd=row["budget_total_usd"],
        rpm=row["rpm"],
        tpm=row["tpm"],
        allowed_models=None if allowed is None else tuple(json.loads(allowed)),
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )
