"""Budgets and rate limits, enforced before any provider is called.

``admit(principal, worst_case_usd, tokens)`` atomically checks the key's RPM and TPM and
reserves the call's worst-case cost against each of its budget periods, or raises
``RateLimited`` / ``BudgetExceeded`` having reserved nothing. ``settle(admission,
actual_usd, actual_tokens)`` replaces the reservation by what the call really cost, giving
the rest back. A key with no budget and no limit (and the master key) costs nothing here.

Windows and periods:

* RPM and TPM use a fixed 60 s window aligned to the clock's minute (a burst straddling a
  minute boundary can see up to twice the limit; ``retry_after`` is the time to the next
  minute). TPM counts the request's estimated tokens, corrected to its actual tokens at
  settle.
* Budgets: the UTC day, the UTC month, and the key's lifetime. A reservation belongs to
  the periods it was made in, and is settled there even after midnight.
* Money is counted in integers of 1e-10 USD, like the ledger; reservations round up.

If the backend cannot be reached, ``admit`` fails closed with a 503 (``limits_unavailable``)
for keys that have limits; keys without limits are unaffected.

Spent counters are an enforcement aid: the ledger remains the source of truth. With the
memory backend they restart at zero with the process; with Redis they persist.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from polyroute.errors import PolyrouteError
from polyroute.keys.models import Principal, VirtualKey
from polyroute.ledger.schema import COST_SCALE, quantize_usd
from polyroute.limits.backends import Charge, LimitBackend, MemoryBackend
from polyroute.limits.config import LimitsConfig
from polyroute.limits.errors import BudgetExceeded, RateLimited

log = logging.getLogger("polyroute.limits")

WINDOW = 60
_DAY = 86_400


def to_units(usd: Decimal, *, round_up: bool = False) -> int:
    """USD as an integer count of 1e-10 USD."""
    if round_up:
        return int(Decimal(usd).scaleb(COST_SCALE).to_integral_value(ROUND_CEILING))
    return int(quantize_usd(Decimal(usd)).scaleb(COST_SCALE))


@dataclass(slots=True)
class Admission:
    """A call let through, and what it reserved until ``settle``."""

    key_id: str | None
    reserved_units: int = 0
    """The worst-case cost reserved, in 1e-10 USD."""
    tokens: int = 0
    budget_keys: tuple[str, ...] = ()
    tpm_key: str | None = None
    settled: bool = field(default=False, compare=False)

    @property
    def reserved_usd(self) -> Decimal:
        return Decimal(self.reserved_units).scaleb(-COST_SCALE)


class Gatekeeper:
    def __init__(
        self,
        backend: LimitBackend,
        *,
        prefix: str = "polyroute:limits:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self._prefix = prefix
        self._clock = clock

    @classmethod
    def from_config(cls, config: LimitsConfig, redis_url: str | None) -> Gatekeeper:
        config = config.resolved(redis_url)
        if config.backend == "redis" and redis_url:
            from polyroute.limits.redis_backend import RedisBackend

            return cls(RedisBackend.from_url(redis_url), prefix=config.key_prefix)
        return cls(MemoryBackend(), prefix=config.key_prefix)

    async def admit(self, principal: Principal, worst_case_usd: Decimal, tokens: int) -> Admission:
        """Reserve the call's worst-case cost and tokens, or raise having reserved nothing."""
        key = principal.key
        if key is None or not key.limited:
            return Admission(principal.key_id, settled=True)
        now = self._clock()
        units = to_units(worst_case_usd, round_up=True)
        charges, kinds = self._charges(key, now, units, tokens)
        try:
            refused = await self.backend.reserve(charges)
        except Exception as exc:  # fail closed: a budget is not waived because Redis is down
            log.error("limits backend unavailable: %s", type(exc).__name__)
            raise PolyrouteError(
                "The gateway cannot check this key's limits right now; try again shortly.",
                status=503,
                code="limits_unavailable",
            ) from exc
        if refused >= 0:
            raise _refusal(kinds[refused], key, now, tokens)
        named = list(zip(kinds, (c.key for c in charges), strict=True))
        return Admission(
            key.id,
            reserved_units=units,
            tokens=tokens,
            budget_keys=tuple(name for kind, name in named if kind not in _RATE),
            tpm_key=next((name for kind, name in named if kind == "tpm"), None),
        )

    async def settle(self, admission: Admission, actual_usd: Decimal, actual_tokens: int) -> None:
        """Replace the reservation by the actual cost and tokens. Idempotent; never raises."""
        if admission.settled:
            return
        admission.settled = True
        spent = to_units(actual_usd) - admission.reserved_units
        changes = [(k, spent) for k in admission.budget_keys if spent]
        if admission.tpm_key is not None and actual_tokens != admission.tokens:
            changes.append((admission.tpm_key, actual_tokens - admission.tokens))
        if not changes:
            return
        try:
            await self.backend.adjust(changes)
        except Exception:
            log.exception("could not settle the limits of key %s", admission.key_id)

    async def aclose(self) -> None:
        await self.backend.aclose()

    def _charges(
        self, key: VirtualKey, now: float, units: int, tokens: int
    ) -> tuple[list[Charge], list[str]]:
        base = f"{self._prefix}{{{key.id}}}:"
        minute = int(now // WINDOW)
        day = datetime.fromtimestamp(now, UTC)
        charges: list[Charge] = []
        kinds: list[str] = []

        def add(kind: str, suffix: str, amount: int, limit: int, ttl: int) -> None:
            charges.append(Charge(base + suffix, amount, limit, ttl))
            kinds.append(kind)

        if key.rpm is not None:
            add("rpm", f"rpm:{minute}", 1, key.rpm, 2 * WINDOW)
        if key.tpm is not None:
            add("tpm", f"tpm:{minute}", tokens, key.tpm, 2 * WINDOW)
        if key.budget_daily_usd is not None:
            ends = day.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            add(
                "daily",
                f"day:{day:%Y-%m-%d}",
                units,
                to_units(key.budget_daily_usd),
                math.ceil(ends.timestamp() - now) + _DAY,
            )
        if key.budget_monthly_usd is not None:
            first = day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            ends = (first + timedelta(days=32)).replace(day=1)
            add(
                "monthly",
                f"month:{day:%Y-%m}",
                units,
                to_units(key.budget_monthly_usd),
                math.ceil(ends.timestamp() - now) + _DAY,
            )
        if key.budget_total_usd is not None:
            add("total", "total", units, to_units(key.budget_total_usd), 0)
        return charges, kinds


_RATE = ("rpm", "tpm")


def _refusal(kind: str, key: VirtualKey, now: float, tokens: int) -> Exception:
    retry_after = float(math.ceil(WINDOW - now % WINDOW))
    if kind == "rpm":
        return RateLimited(
            f"Rate limit reached for key {key.id}: {key.rpm} requests per minute.",
            retry_after=retry_after,
        )
    if kind == "tpm":
        detail = (
            f" This request alone is estimated at {tokens} tokens."
            if key.tpm is not None and tokens > key.tpm
            else ""
        )
        return RateLimited(
            f"Rate limit reached for key {key.id}: {key.tpm} tokens per minute.{detail}",
            retry_after=retry_after,
        )
    return BudgetExceeded(
        f"Key {key.id} has reached its {kind} budget; the request's worst-case cost does not fit.",
        period=kind,
    )
