"""One replica of the three-process test: verify a key in PostgreSQL, then hammer Redis.

``python -m tests.limits.hammer DATABASE_URL REDIS_URL PREFIX SECRET N START_AT COST``
waits until START_AT (epoch seconds) so the replicas collide, fires N concurrent admits
of COST USD each and prints how many were admitted.
"""

from __future__ import annotations

import asyncio
import sys
import time
from decimal import Decimal

import redis.asyncio as aioredis

from polyroute.keys import KeyStore, Principal
from polyroute.ledger import create_ledger_engine
from polyroute.limits import Admission, BudgetExceeded, Gatekeeper
from polyroute.limits.redis_backend import RedisBackend


async def main(
    database_url: str,
    redis_url: str,
    prefix: str,
    secret: str,
    n: int,
    start_at: float,
    cost: Decimal,
) -> int:
    engine = create_ledger_engine(database_url)
    try:
        key = await KeyStore(engine).verify(secret)
    finally:
        engine.dispose()
    assert key is not None, "the key is not in the shared database"
    who = Principal(key.id, key.tenant, key)
    gate = Gatekeeper(RedisBackend(aioredis.Redis.from_url(redis_url)), prefix=prefix)
    try:
        await gate.admit(who, Decimal(0), 0)  # connect and load the script before the start
        await asyncio.sleep(max(0.0, start_at - time.time()))
        results = await asyncio.gather(
            *(gate.admit(who, cost, 1) for _ in range(n)), return_exceptions=True
        )
    finally:
        await gate.aclose()
    unexpected = [r for r in results if not isinstance(r, Admission | BudgetExceeded)]
    assert not unexpected, unexpected
    return sum(isinstance(r, Admission) for r in results)


if __name__ == "__main__":
    url, redis_url, prefix, secret, n, start_at, cost = sys.argv[1:8]
    print(asyncio.run(main(url, redis_url, prefix, secret, int(n), float(start_at), Decimal(cost))))
