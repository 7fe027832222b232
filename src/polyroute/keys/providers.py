"""Per-tenant provider keys (bring your own key), encrypted at rest, never shown again.

``put`` encrypts before the key reaches the database (or any log line); ``get`` is the
only way back to the plaintext and is meant for the request path alone. Blocking methods:
the admin API runs them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select, update

from polyroute.keys.crypto import EncryptionNotConfigured, KeyCipher
from polyroute.keys.schema import provider_keys


@dataclass(frozen=True, slots=True)
class StoredProviderKey:
    """What may be shown about a stored provider key: never the key itself."""

    tenant: str
    provider: str
    created_at: datetime
    updated_at: datetime


class ProviderKeyStore:
    def __init__(
        self,
        engine: Engine,
        cipher: KeyCipher | None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self._cipher = cipher
        self._now = now

    @property
    def cipher(self) -> KeyCipher:
        if self._cipher is None:
            raise EncryptionNotConfigured()
        return self._cipher

    def put(self, tenant: str, provider: str, api_key: str) -> StoredProviderKey:
        """Store (or replace) ``tenant``'s key for ``provider``."""
        if not tenant or not provider or len(tenant) > 64 or len(provider) > 64:
            raise ValueError("tenant and provider must be 1 to 64 characters")
        if not api_key:
            raise ValueError("api_key must not be empty")
        token = self.cipher.encrypt(api_key)
        now = self._now().replace(microsecond=0)
        where = (provider_keys.c.tenant == tenant, provider_keys.c.provider == provider)
        with self.engine.begin() as connection:
            created = connection.execute(select(provider_keys.c.created_at).where(*where)).scalar()
            if created is None:
                connection.execute(
                    provider_keys.insert(),
                    {
                        "tenant": tenant,
                        "provider": provider,
                        "ciphertext": token,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            else:
                connection.execute(
                    update(provider_keys).where(*where).values(ciphertext=token, updated_at=now)
                )
        return StoredProviderKey(tenant, provider, created or now, now)

    def get(self, tenant: str, provider: str) -> str | None:
        """The plaintext key, or None. For the request path only: never return it to a client."""
        query = select(provider_keys.c.ciphertext).where(
            provider_keys.c.tenant == tenant, provider_keys.c.provider == provider
        )
        with self.engine.connect() as connection:
            token = connection.execute(query).scalar()
        return None if token is None else self.cipher.decrypt(token)

    def list(self, tenant: str) -> list[StoredProviderKey]:
        query = (
            select(
                provider_keys.c.tenant,
                provider_keys.c.provider,
                provider_keys.c.created_at,
                provider_keys.c.updated_at,
            )
            .where(provider_keys.c.tenant == tenant)
            .order_by(provider_keys.c.provider)
        )
        with self.engine.connect() as connection:
            return [StoredProviderKey(*row) for row in connection.execute(query)]

    def delete(self, tenant: str, provider: str) -> bool:
        with self.engine.begin() as connection:
            done = connection.execute(
                delete(provider_keys).where(
                    provider_keys.c.tenant == tenant, provider_keys.c.provider == provider
                )
            ).rowcount
        return bool(done)

    def rotate(self) -> int:
        """Re-encrypt every stored key with the first encryption key; the number of rows."""
        cipher = self.cipher
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(provider_keys.c.tenant, provider_keys.c.provider, provider_keys.c.ciphertext)
            ).all()
            for tenant, provider, token in rows:
                connection.execute(
                    update(provider_keys)
                    .where(provider_keys.c.tenant == tenant, provider_keys.c.provider == provider)
                    .values(ciphertext=cipher.rotate(token))
                )
        return len(rows)
