"""Whole answers' deadlines (``timeouts.answer``): one coarse clock per upstream.

An ``asyncio.timeout`` arms and disarms an event-loop timer for every call: 3.9 µs on the
benchmark's VM, where a whole call costs the gateway ~250. The deadlines of one upstream's
whole answers all have the same length, so a call only enters itself in the bucket of its
deadline (``tick`` wide: a twentieth of the length, 0.1 s at most) and leaves it when it
ends; one timer per clock, armed for the earliest bucket, cancels the calls of every bucket
that is due. A deadline fires at most one tick late. The call sees ``TimeoutError``, as
with ``asyncio.timeout`` (``Upstream.post_json`` shows the use: ``start``, then ``expired``
on a ``CancelledError``, and ``stop`` however the call ends); a cancellation from elsewhere
stays a cancellation.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any


class Deadline:
    """One call's place on its clock."""

    __slots__ = ("bucket", "cancelling", "fired", "task")

    def __init__(self, task: asyncio.Task[Any], bucket: int) -> None:
        self.task = task
        self.bucket = bucket
        self.cancelling = task.cancelling()
        self.fired = False


class DeadlineClock:
    __slots__ = ("_buckets", "_loop", "_seconds", "_tick", "_timer")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._tick = min(0.1, seconds / 20) or 0.001
        self._loop: asyncio.AbstractEventLoop | None = None
        self._buckets: dict[int, dict[Deadline, None]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> Deadline:
        """The current task's deadline starts now."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a clock serves one loop at a time (tests run several)
            self._loop, self._buckets, self._timer = loop, {}, None
        task = asyncio.current_task(loop)  # given the loop: one getpid() call less (3.11)
        assert task is not None
        bucket = math.ceil((loop.time() + self._seconds) / self._tick)
        deadline = Deadline(task, bucket)
        calls = self._buckets.get(bucket)
        if calls is None:
            calls = self._buckets[bucket] = {}
        calls[deadline] = None
        if self._timer is None:
            self._arm()
        return deadline

    def stop(self, deadline: Deadline) -> None:
        """The call ended (any way): its deadline no longer applies."""
        calls = self._buckets.get(deadline.bucket)
        if calls is not None:
            calls.pop(deadline, None)
            if not calls:
                del self._buckets[deadline.bucket]

    def expired(self, deadline: Deadline) -> bool:
        """After a ``CancelledError``: whether this clock caused it, and nothing else did
        (the clock's cancellation is then taken back)."""
        return deadline.fired and deadline.task.uncancel() <= deadline.cancelling

    def _arm(self) -> None:
        assert self._loop is not None
        if self._buckets:
            due = min(self._buckets) * self._tick
            self._timer = self._loop.call_at(due, self._expire)

    def _expire(self) -> None:
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        for bucket in [b for b in self._buckets if b * self._tick <= now]:
            for deadline in self._buckets.pop(bucket):
                deadline.fired = True
                deadline.task.cancel()
        self._arm()
