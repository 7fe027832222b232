"""The ``keys:`` config section: virtual-key caching and provider-key encryption."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from polyroute.keys.crypto import ENV_VAR


class KeysConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cache_seconds: float = Field(default=5.0, ge=0)
    """How long a replica trusts a looked-up key (a revocation takes this long to reach it)."""
    encryption_keys: str | None = Field(default=None, repr=False)
    """Comma-separated Fernet keys, first encrypts; default ``POLYROUTE_ENCRYPTION_KEYS``."""

    def resolved(self, env: Mapping[str, str]) -> KeysConfig:
        return self.model_copy(update={"encryption_keys": self.encryption_keys or env.get(ENV_VAR)})
