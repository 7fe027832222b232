"""Counters in Redis, shared by every replica: one Lua script per reserve and per adjust.

Each script runs atomically on the server, so two replicas can never both take the last
headroom of a budget. Counters are plain integers with a TTL per period (a minute window
lives 2 minutes, a day until a day after it ends, a month likewise, the lifetime total
forever), so spent totals survive gateway restarts. All of one key's counters share a
``{key id}`` hash tag, so the scripts also work on Redis Cluster. Redis is a fast, shared
approximation: the ledger remains the source of truth for what was spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from polyroute.limits.backends import Charge

_RESERVE = """
for i = 1, #KEYS do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current + tonumber(ARGV[3 * i - 2]) > tonumber(ARGV[3 * i - 1]) then
    return i - 1
  end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[3 * i - 2])
  local ttl = tonumber(ARGV[3 * i])
  if ttl > 0 and redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end
return -1
"""

_ADJUST = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBY', KEYS[i], ARGV[i])
  end
end
return 0
"""


class RedisBackend:
    def __init__(self, client: Redis) -> None:
        self._client = client
        self._reserve: Any = client.register_script(_RESERVE)
        self._adjust: Any = client.register_script(_ADJUST)

    @classmethod
    def from_url(cls, url: str) -> RedisBackend:
        return cls(Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2))

    async def reserve(self, charges: Sequence[Charge]) -> int:
        args: list[int] = []
        for charge in charges:
            args += (charge.amount, charge.limit, charge.ttl)
        result = await self._reserve(keys=[c.key for c in charges], args=args)
        return int(result)

    async def adjust(self, changes: Sequence[tuple[str, int]]) -> None:
        if changes:
            await self._adjust(keys=[k for k, _ in changes], args=[d for _, d in changes])

    async def aclose(self) -> None:
        await self._client.aclose()
