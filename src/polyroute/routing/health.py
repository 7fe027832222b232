"""Per-target circuit breakers.

::

    closed --(N consecutive failures, or failure rate >= R over the window)--> open
    open   --(cool-down elapsed; the next allow() is the probe)-------------> half-open
    half-open --(probe succeeds)--> closed
    half-open --(probe fails)-----> open, cool-down x backoff (capped)

In half-open exactly one caller is let through; others are refused until the probe's outcome
is recorded (or, should it never be, until another cool-down has passed). Failures the caller
caused (invalid request, content filter, context length) say nothing about the target's health
and are ignored. The clock is injected, so tests drive time by hand.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from polyroute.errors import UpstreamKind
from polyroute.gateway.targets import Target

Clock = Callable[[], float]

_NOT_HEALTH = frozenset(
    {UpstreamKind.INVALID_REQUEST, UpstreamKind.CONTENT_FILTER, UpstreamKind.CONTEXT_LENGTH}
)


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    consecutive_failures: int = 5
    failure_rate: float = 0.5
    window: float = 60.0
    """Seconds of outcomes the failure rate is computed over."""
    min_calls: int = 10
    """Fewer outcomes than this in the window never trip the rate rule."""
    cooldown: float = 30.0
    backoff: float = 2.0
    max_cooldown: float = 600.0


_BUCKETS = 60
"""The failure-rate window is counted in this many buckets (one second each at 60 s)."""


class _Outcomes:
    """Calls and failures over the last ``window`` seconds, counted per bucket of
    ``window / _BUCKETS`` seconds, with running totals.

    Memory and the cost of a rate check stay constant whatever the traffic: a deque of
    every outcome held ~300,000 entries for one target at 5,000 calls/s, and the rate rule
    summed all of them on each failure, just when a provider starts failing under load.
    The window's far edge moves a bucket at a time.
    """

    __slots__ = ("_buckets", "_width", "calls", "failures")

    def __init__(self, window: float) -> None:
        self._width = window / _BUCKETS
        self._buckets: deque[list[int]] = deque()  # [bucket number, calls, failures]
        self.calls = 0
        self.failures = 0

    def add(self, now: float, ok: bool) -> None:
        number = int(now // self._width)
        buckets = self._buckets
        while buckets and buckets[0][0] <= number - _BUCKETS:
            _, calls, failures = buckets.popleft()
            self.calls -= calls
            self.failures -= failures
        if not buckets or buckets[-1][0] != number:
            buckets.append([number, 0, 0])
        bucket = buckets[-1]
        bucket[1] += 1
        self.calls += 1
        if not ok:
            bucket[2] += 1
            self.failures += 1

    def clear(self) -> None:
        self._buckets.clear()
        self.calls = self.failures = 0


@dataclass(slots=True)
class _Breaker:
    outcomes: _Outcomes
    state: BreakerState = BreakerState.CLOSED
    consecutive: int = 0
    opened_at: float = 0.0
    cooldown: float = 0.0
    probe_at: float | None = None


MAX_TARGETS = 10_000
"""Targets a book keeps at most. A target is whatever ``provider/model`` a client sends, so
a client cycling through made-up model ids (each a provider's 404) would otherwise grow the
book forever: ~1.4 KB a target for the two books (measured, 100,000 targets)."""


class HealthBook:
    def __init__(
        self,
        policy: BreakerPolicy | None = None,
        clock: Clock = time.monotonic,
        max_targets: int = MAX_TARGETS,
    ) -> None:
        self.policy = policy or BreakerPolicy()
        self._clock = clock
        self._max_targets = max_targets
        self._breakers: dict[Target, _Breaker] = {}

    def state(self, target: Target) -> BreakerState:
        breaker = self._breakers.get(target)
        return BreakerState.CLOSED if breaker is None else breaker.state

    def available(self, target: Target) -> bool:
        """Would ``allow`` let a call through now? (Does not claim the half-open probe.)"""
        breaker = self._breakers.get(target)
        if breaker is None or breaker.state is BreakerState.CLOSED:
            return True
        now = self._clock()
        if breaker.state is BreakerState.OPEN:
            return now - breaker.opened_at >= breaker.cooldown
        return breaker.probe_at is None or now - breaker.probe_at >= breaker.cooldown

    def allow(self, target: Target) -> bool:
        """May a call go to ``target`` now? In half-open, ``True`` claims the one probe."""
        if not self.available(target):
            return False
        breaker = self._breakers.get(target)
        if breaker is not None and breaker.state is not BreakerState.CLOSED:
            breaker.state = BreakerState.HALF_OPEN
            breaker.probe_at = self._clock()
        return True

    def record_success(self, target: Target) -> None:
        breaker = self._breaker(target)
        breaker.outcomes.add(self._clock(), ok=True)
        breaker.consecutive = 0
        if breaker.state is BreakerState.HALF_OPEN:
            breaker.state = BreakerState.CLOSED
            breaker.cooldown = 0.0
            breaker.probe_at = None
            breaker.outcomes.clear()

    def record_failure(self, target: Target, kind: UpstreamKind = UpstreamKind.SERVER) -> None:
        if kind in _NOT_HEALTH:
            return
        breaker = self._breaker(target)
        if breaker.state is BreakerState.HALF_OPEN:
            self._open(breaker, (breaker.cooldown or self.policy.cooldown) * self.policy.backoff)
            return
        if breaker.state is BreakerState.OPEN:
            return  # a call that started before the breaker opened; nothing new to learn
        breaker.outcomes.add(self._clock(), ok=False)
        breaker.consecutive += 1
        if breaker.consecutive >= self.policy.consecutive_failures or self._rate_tripped(breaker):
            self._open(breaker, self.policy.cooldown)

    def _open(self, breaker: _Breaker, cooldown: float) -> None:
        breaker.state = BreakerState.OPEN
        breaker.opened_at = self._clock()
        breaker.cooldown = min(cooldown, self.policy.max_cooldown)
        breaker.probe_at = None
        breaker.consecutive = 0
        breaker.outcomes.clear()

    def _breaker(self, target: Target) -> _Breaker:
        breaker = self._breakers.get(target)
        if breaker is None:
            if len(self._breakers) >= self._max_targets:
                self._forget_one()
            breaker = self._breakers[target] = _Breaker(_Outcomes(self.policy.window))
        return breaker

    def _forget_one(self) -> None:
        """Make room: the oldest closed breaker (a healthy target loses only its recent
        counts), or, if every one is open or half-open, the oldest of all."""
        breakers = self._breakers
        for target, breaker in breakers.items():
            if breaker.state is BreakerState.CLOSED:
                del breakers[target]
                return
        del breakers[next(iter(breakers))]

    def _rate_tripped(self, breaker: _Breaker) -> bool:
        outcomes = breaker.outcomes
        if outcomes.calls < self.policy.min_calls:
            return False
        return outcomes.failures / outcomes.calls >= self.policy.failure_rate
