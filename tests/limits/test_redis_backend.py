"""Redis specifics: counters outlive the gateway, with a TTL per period; replicas share them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import redis.asyncio as aioredis

from polyroute.keys import Principal, VirtualKey
from polyroute.limits import Admission, BudgetExceeded, Gatekeeper
from polyroute.limits.redis_backend import RedisBackend

T0 = datetime(2025, 3, 10, 12, 0, 30, tzinfo=UTC).timestamp()
MINUTE = int(T0 // 60)


def _who() -> Principal:
    key = VirtualKey(
        id="vk_r",
        name="r",
        tenant="default",
        prefix="pr-r",
        created_at=datetime.now(UTC),
        budget_daily_usd=Decimal(1),
        budget_monthly_usd=Decimal(1),
        budget_total_usd=Decimal("0.5"),
        rpm=100,
        tpm=10_000,
    )
    return Principal(key.id, key.tenant, key)


def _gate(url: str, prefix: str) -> Gatekeeper:
    return Gatekeeper(RedisBackend(aioredis.Redis.from_url(url)), prefix=prefix, clock=lambda: T0)


async def test_spent_totals_survive_a_restart_and_expire_per_period(
    redis_url: str, redis_prefix: str
) -> None:
    first = _gate(redis_url, redis_prefix)
    await first.admit(_who(), Decimal("0.3"), 10)
    await first.aclose()

    second = _gate(redis_url, redis_prefix)  # a restarted gateway
    try:
        refused = await asyncio.gather(
            second.admit(_who(), Decimal("0.3"), 10), return_exceptions=True
        )
        assert isinstance(refused[0], BudgetExceeded) and refused[0].period == "total"
    finally:
        await second.aclose()

    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        ttls = {
            key.removeprefix(redis_prefix + "{vk_r}:"): await client.ttl(key)
            async for key in client.scan_iter(match=redis_prefix + "*")
        }
    finally:
        await client.aclose()
    assert set(ttls) == {
        f"rpm:{MINUTE}",
        f"tpm:{MINUTE}",
        "day:2025-03-10",
        "month:2025-03",
        "total",
    }
    assert ttls["total"] == -1  # the lifetime total never expires
    assert 0 < ttls[f"rpm:{MINUTE}"] <= 120
    assert 86_400 < ttls["day:2025-03-10"] <= 2 * 86_400
    assert 20 * 86_400 < ttls["month:2025-03"] <= 23 * 86_400


async def test_two_replicas_share_one_budget(redis_url: str, redis_prefix: str) -> None:
    gates = [_gate(redis_url, redis_prefix) for _ in range(2)]
    try:
        results = await asyncio.gather(
            *(gates[i % 2].admit(_who(), Decimal("0.1"), 1) for i in range(20)),
            return_exceptions=True,
        )
    finally:
        for gate in gates:
            await gate.aclose()
    assert sum(isinstance(r, Admission) for r in results) == 5
