"""What a virtual key is, and who is calling: ``VirtualKey`` and ``Principal``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from polyroute.errors import PermissionDenied

DEFAULT_TENANT = "default"


def model_allowed(patterns: tuple[str, ...] | None, model: str) -> bool:
    """``model`` (a route name or ``provider/model``) matches one of ``patterns``.

    ``None`` allows everything; patterns are exact names or ``fnmatch`` globs such as
    ``mistral/*``. Only the name the client sent is checked, not the route's targets.
    """
    if patterns is None:
        return True
    return any(model == p or fnmatchcase(model, p) for p in patterns)


@dataclass(frozen=True, slots=True)
class VirtualKey:
    """A polyroute key as stored: limits and metadata, never the secret."""

    id: str
    name: str
    tenant: str
    prefix: str
    """The secret's first characters (``pr-AbCd``), to tell keys apart; not a secret."""
    created_at: datetime
    budget_daily_usd: Decimal | None = None
    budget_monthly_usd: Decimal | None = None
    budget_total_usd: Decimal | None = None
    rpm: int | None = None
    tpm: int | None = None
    allowed_models: tuple[str, ...] | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def limited(self) -> bool:
        """Has any budget or rate limit (else the gatekeeper has nothing to do)."""
        budgets = (self.budget_daily_usd, self.budget_monthly_usd, self.budget_total_usd)
        return any(b is not None for b in budgets) or self.rpm is not None or self.tpm is not None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def allows(self, model: str) -> bool:
        return model_allowed(self.allowed_models, model)

    def public_json(self) -> dict[str, Any]:
        """The key as the admin API and CLI show it: no secret, no hash."""

        def usd(value: Decimal | None) -> str | None:
            return None if value is None else f"{value.normalize():f}"

        def when(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat().replace("+00:00", "Z")

        return {
            "id": self.id,
            "object": "virtual_key",
            "name": self.name,
            "tenant": self.tenant,
            "prefix": self.prefix,
            "budget_daily_usd": usd(self.budget_daily_usd),
            "budget_monthly_usd": usd(self.budget_monthly_usd),
            "budget_total_usd": usd(self.budget_total_usd),
            "rpm": self.rpm,
            "tpm": self.tpm,
            "allowed_models": None if self.allowed_models is None else list(self.allowed_models),
            "expires_at": when(self.expires_at),
            "created_at": when(self.created_at),
            "revoked_at": when(self.revoked_at),
        }


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the master key (``key_id`` None) or a virtual key."""

    key_id: str | None
    tenant: str = DEFAULT_TENANT
    key: VirtualKey | None = field(default=None, repr=False)

    @property
    def is_master(self) -> bool:
        return self.key_id is None

    def allows(self, model: str) -> bool:
        return self.key is None or self.key.allows(model)

    def require(self, model: str) -> None:
        """Raise ``PermissionDenied`` (403) unless this caller may use ``model``."""
        if not self.allows(model):
            raise PermissionDenied(
                f"This key may not use model {model!r}.", code="model_not_allowed", param="model"
            )


MASTER = Principal(None)
"""The operator (or anyone, when no master key is configured)."""
