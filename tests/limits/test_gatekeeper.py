"""The gatekeeper, on both backends: exact budgets under concurrency, settling, RPM and TPM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis

from polyroute.errors import PolyrouteError
from polyroute.keys import MASTER, Principal, VirtualKey
from polyroute.limits import (
    Admission,
    BudgetExceeded,
    Charge,
    Gatekeeper,
    LimitsConfig,
    MemoryBackend,
    RateLimited,
)
from polyroute.limits.redis_backend import RedisBackend

T0 = datetime(2025, 3, 31, 23, 59, 0, tzinfo=UTC).timestamp()  # a minute, day and month end
COST = Decimal("0.1")
MakeGate = Callable[[Callable[[], float]], Gatekeeper]


def principal(**limits: Any) -> Principal:
    key = VirtualKey(
        id="vk_" + limits.pop("id", "test"),
        name="t",
        tenant="default",
        prefix="pr-test",
        created_at=datetime.now(UTC),
        **limits,
    )
    return Principal(key.id, key.tenant, key)


@pytest.fixture(params=["memory", "redis"])
async def make_gate(request: pytest.FixtureRequest) -> AsyncIterator[MakeGate]:
    gates: list[Gatekeeper] = []

    def make(clock: Callable[[], float]) -> Gatekeeper:
        if request.param == "memory":
            gate = Gatekeeper(MemoryBackend(clock), clock=clock)
        else:
            url, prefix = (
                request.getfixturevalue("redis_url"),
                request.getfixturevalue("redis_prefix"),
            )
            gate = Gatekeeper(
                RedisBackend(aioredis.Redis.from_url(url)), prefix=prefix, clock=clock
            )
        gates.append(gate)
        return gate

    yield make
    for gate in gates:
        await gate.aclose()


async def _admit_many(
    gate: Gatekeeper, who: Principal, n: int, cost: Decimal, tokens: int = 10
) -> tuple[list[Admission], list[Exception]]:
    results = await asyncio.gather(
        *(gate.admit(who, cost, tokens) for _ in range(n)), return_exceptions=True
    )
    admitted = [r for r in results if isinstance(r, Admission)]
    refused = [r for r in results if isinstance(r, Exception)]
    return admitted, refused


@pytest.mark.parametrize("period", ["budget_daily_usd", "budget_monthly_usd", "budget_total_usd"])
async def test_fifty_concurrent_admits_fit_exactly_seven(make_gate: MakeGate, period: str) -> None:
    gate = make_gate(lambda: T0)
    who = principal(**{period: COST * 7})
    admitted, refused = await _admit_many(gate, who, 50, COST)
    assert len(admitted) == 7 and len(refused) == 43
    assert all(isinstance(e, BudgetExceeded) and e.status == 402 for e in refused)
    error = refused[0]
    assert isinstance(error, BudgetExceeded)
    assert error.code == "insufficient_quota" and error.period == period.split("_")[1]


async def test_settle_releases_headroom(make_gate: MakeGate) -> None:
    gate = make_gate(lambda: T0)
    who = principal(budget_total_usd=Decimal("0.3"))
    first, second, third = [await gate.admit(who, COST, 0) for _ in range(3)]
    with pytest.raises(BudgetExceeded):
        await gate.admit(who, COST, 0)
    await gate.settle(first, Decimal(0), 0)  # failed call: the provider billed nothing
    await gate.settle(first, Decimal(0), 0)  # idempotent
    await gate.admit(who, COST, 0)
    await gate.settle(second, Decimal("0.04"), 0)  # frees 0.06: not enough for 0.1 ...
    with pytest.raises(BudgetExceeded):
        await gate.admit(who, COST, 0)
    await gate.admit(who, Decimal("0.06"), 0)  # ... but exactly enough for 0.06
    with pytest.raises(BudgetExceeded):
        await gate.admit(who, Decimal("0.0000000001"), 0)
    await gate.settle(third, Decimal("0.15"), 0)  # cost more than reserved: overdrawn
    with pytest.raises(BudgetExceeded):
        await gate.admit(who, Decimal("1e-10"), 0)


async def test_rpm_fixed_window(make_gate: MakeGate) -> None:
    now = [T0 + 15]
    gate = make_gate(lambda: now[0])
    who = principal(rpm=3)
    admitted, refused = await _admit_many(gate, who, 5, Decimal(0))
    assert len(admitted) == 3 and len(refused) == 2
    error = refused[0]
    assert isinstance(error, RateLimited)
    assert error.status == 429 and error.code == "rate_limit_exceeded" and error.retry_after == 45
    now[0] += 45  # the next minute
    assert len((await _admit_many(gate, who, 5, Decimal(0)))[0]) == 3


async def test_tpm_counts_estimates_then_actual_tokens(make_gate: MakeGate) -> None:
    gate = make_gate(lambda: T0)
    who = principal(tpm=1000)
    first = await gate.admit(who, Decimal(0), 400)
    await gate.admit(who, Decimal(0), 400)
    with pytest.raises(RateLimited):
        await gate.admit(who, Decimal(0), 400)
    await gate.settle(first, Decimal(0), 100)  # it used 100, not 400
    await gate.admit(who, Decimal(0), 400)
    with pytest.raises(RateLimited, match="alone"):
        await gate.admit(who, Decimal(0), 5000)


async def test_rate_limits_are_checked_before_budgets(make_gate: MakeGate) -> None:
    gate = make_gate(lambda: T0)
    who = principal(rpm=1, budget_total_usd=Decimal(1))
    await gate.admit(who, COST, 0)
    with pytest.raises(RateLimited):
        await gate.admit(who, COST, 0)
    refused = principal(id="broke", rpm=10, budget_total_usd=Decimal(0))
    with pytest.raises(BudgetExceeded):
        await gate.admit(refused, COST, 0)


class _Exploding:
    async def reserve(self, charges: Sequence[Charge]) -> int:
        raise AssertionError("no backend call expected")

    async def adjust(self, changes: Sequence[tuple[str, int]]) -> None:
        raise AssertionError("no backend call expected")

    async def aclose(self) -> None:
        pass


async def test_unlimited_keys_and_the_master_cost_no_backend_call() -> None:
    gate = Gatekeeper(_Exploding())
    for who in (MASTER, principal(allowed_models=("auto",))):
        admission = await gate.admit(who, Decimal(5), 10_000)
        await gate.settle(admission, Decimal(5), 10_000)


async def test_an_unreachable_backend_fails_closed_with_503() -> None:
    gate = Gatekeeper(_Exploding())
    with pytest.raises(PolyrouteError) as raised:
        await gate.admit(principal(rpm=5), Decimal(0), 1)
    assert raised.value.status == 503 and raised.value.code == "limits_unavailable"


def test_limits_config_defaults_to_redis_with_a_redis_url() -> None:
    assert LimitsConfig().resolved(None).backend == "memory"
    assert LimitsConfig().resolved("redis://x").backend == "redis"
    assert LimitsConfig(backend="memory").resolved("redis://x").backend == "memory"
    with pytest.raises(ValueError, match="redis_url"):
        LimitsConfig(backend="redis").resolved(None)
