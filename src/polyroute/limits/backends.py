"""Where the gatekeeper's counters live: one interface, an in-process and a Redis backend.

A counter is an integer under a name (a key's minute window, day, month or lifetime).
``reserve`` adds every charge at once, or none when any would pass its limit: the check
and the increment are one atomic step (no ``await`` between them in memory, one Lua
script in Redis). ``adjust`` corrects counters that still exist (settling a reservation).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Charge:
    key: str
    amount: int
    limit: int
    ttl: int
    """Seconds the counter lives once created; 0 = forever."""


class LimitBackend(Protocol):
    async def reserve(self, charges: Sequence[Charge]) -> int:
        """Add every charge, or none: -1 if added, else the index of the first over its limit."""
        ...

    async def adjust(self, changes: Sequence[tuple[str, int]]) -> None:
        """Add each delta to its counter, if that counter still exists."""
        ...

    async def aclose(self) -> None: ...


class MemoryBackend:
    """Counters in this process: exact under asyncio (no await inside), lost on restart."""

    _SWEEP_EVERY = 1024

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counters: dict[str, list[float]] = {}  # key -> [value, expires_at or 0]
        self._ops = 0

    def _value(self, key: str, now: float) -> int:
        entry = self._counters.get(key)
        if entry is None:
            return 0
        if entry[1] and entry[1] <= now:
            del self._counters[key]
            return 0
        return int(entry[0])

    async def reserve(self, charges: Sequence[Charge]) -> int:
        now = self._clock()
        self._sweep(now)
        for i, charge in enumerate(charges):
            if self._value(charge.key, now) + charge.amount > charge.limit:
                return i
        for charge in charges:
            entry = self._counters.get(charge.key)
            if entry is None:
                self._counters[charge.key] = [
                    charge.amount,
                    now + charge.ttl if charge.ttl else 0,
                ]
            else:
                entry[0] += charge.amount
        return -1

    async def adjust(self, changes: Sequence[tuple[str, int]]) -> None:
        now = self._clock()
        for key, delta in changes:
            self._value(key, now)  # drops the counter if it has expired
            entry = self._counters.get(key)
            if entry is not None:
                entry[0] += delta

    def _sweep(self, now: float) -> None:
        self._ops += 1
        if self._ops % self._SWEEP_EVERY == 0:
            expired = [k for k, (_, exp) in self._counters.items() if exp and exp <= now]
            for key in expired:
                del self._counters[key]

    async def aclose(self) -> None:
        self._counters.clear()
