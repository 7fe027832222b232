"""The adapters the gateway calls providers with: one per provider, plus one per tenant that
brought its own key for that provider.

The configured (environment or config file) keys are the default. A tenant's stored provider
key, when it has one, is used for that tenant's calls only; its adapter shares the provider's
connection pool and differs only in the credential. Stored keys are read through a short
cache so a call costs no database round trip.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from polyroute.adapters.base import Adapter
from polyroute.adapters.http import HttpClient, create_session
from polyroute.adapters.registry import adapter_for
from polyroute.config import ResolvedProvider, TimeoutConfig
from polyroute.errors import PolyrouteError
from polyroute.keys.crypto import EncryptionNotConfigured, UndecryptableKey

if TYPE_CHECKING:
    from polyroute.keys import Principal, ProviderKeyStore

_CACHE_SECONDS = 30.0


class ProviderPool:
    def __init__(
        self,
        providers: Mapping[str, ResolvedProvider],
        timeouts: TimeoutConfig,
        tenant_keys: ProviderKeyStore | None = None,
    ) -> None:
        self._providers = providers
        self._timeouts = timeouts
        self._sessions: dict[str, HttpClient] = {}
        self._defaults: dict[str, Adapter] = {}
        for name, provider in providers.items():
            session = self._sessions[name] = create_session(timeouts.connect, provider.ca_bundle)
            self._defaults[name] = adapter_for(provider, session, timeouts)
        self._tenant_keys = tenant_keys
        self._tenant: dict[tuple[str, str], tuple[float, Adapter | None]] = {}

    def default(self, provider: str) -> Adapter:
        return self._defaults[provider]

    async def adapter(self, provider: str, principal: Principal | None) -> Adapter:
        """The adapter for ``provider`` carrying this caller's tenant key, else the default."""
        if principal is None or principal.key is None or self._tenant_keys is None:
            return self._defaults[provider]
        cache_key = (principal.tenant, provider)
        cached = self._tenant.get(cache_key)
        if cached is None or cached[0] < time.monotonic():
            try:
                stored = await asyncio.to_thread(self._tenant_keys.get, principal.tenant, provider)
            except (EncryptionNotConfigured, UndecryptableKey):
                # Refuse rather than quietly fall back to the operator's key: the tenant
                # brought its own so that its calls are billed to its own account.
                raise PolyrouteError(
                    f"The {provider} key stored for this tenant cannot be decrypted with the "
                    "gateway's configured encryption keys.",
                    status=503,
                    code="provider_key_unavailable",
                ) from None
            tenant_adapter = None
            if stored:
                own = dataclasses.replace(self._providers[provider], api_key=stored)
                tenant_adapter = adapter_for(own, self._sessions[provider], self._timeouts)
            cached = (time.monotonic() + _CACHE_SECONDS, tenant_adapter)
            self._tenant[cache_key] = cached
        return cached[1] or self._defaults[provider]

    def forget(self, tenant: str, provider: str) -> None:
        """Drop a cached tenant key (after it was changed or deleted on this replica)."""
        self._tenant.pop((tenant, provider), None)

    async def aclose(self) -> None:
        for session in self._sessions.values():
            session.close()
        self._tenant.clear()
        self._defaults.clear()
        self._sessions.clear()
