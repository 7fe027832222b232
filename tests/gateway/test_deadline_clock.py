"""The first-byte clock of whole answers: on time, at most a tick late, and never mistaken
for another cancellation."""

from __future__ import annotations

import asyncio
import time

import pytest

from polyroute.adapters.deadlines import DeadlineClock


async def _timed(clock: DeadlineClock, work: float) -> str:
    """Sleep ``work`` seconds under ``clock``, the way ``Upstream.post_json`` waits."""
    deadline = clock.start()
    try:
        await asyncio.sleep(work)
    except asyncio.CancelledError:
        if clock.expired(deadline):
            raise TimeoutError from None
        raise
    finally:
        clock.stop(deadline)
    return "done"


async def test_a_call_past_its_deadline_times_out_at_most_a_tick_late() -> None:
    clock = DeadlineClock(0.2)  # a tick of 0.01 s
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await _timed(clock, 5)
    assert 0.2 <= time.monotonic() - started < 0.2 + 0.01 + 0.1  # + a loaded machine's slack


async def test_calls_that_end_in_time_are_left_alone() -> None:
    clock = DeadlineClock(0.2)

    async def call_then_more(n: int) -> str:
        result = await _timed(clock, 0.01 * n)
        await asyncio.sleep(0.3)  # the task goes on past the deadline it no longer has
        return result

    assert await asyncio.gather(*(call_then_more(n) for n in range(10))) == ["done"] * 10
    assert not clock._buckets


async def test_each_call_has_its_own_deadline() -> None:
    clock = DeadlineClock(0.15)
    fast = asyncio.create_task(_timed(clock, 0.05))
    await asyncio.sleep(0.1)
    slow = asyncio.create_task(_timed(clock, 5))  # started later: due later
    early = asyncio.create_task(_timed(clock, 5))
    assert await fast == "done"
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await slow
    assert time.monotonic() - started >= 0.1  # its own 0.15 s, not the first call's
    with pytest.raises(TimeoutError):
        await early


async def test_another_cancellation_stays_a_cancellation() -> None:
    clock = DeadlineClock(5)
    task = asyncio.create_task(_timed(clock, 10))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not clock._buckets  # it left the clock


@pytest.mark.parametrize("clock_first", [True, False])
async def test_a_cancellation_at_the_deadline_is_not_taken_for_the_timeout(
    clock_first: bool,
) -> None:
    """Cancelled from elsewhere in the same pass of the loop as the clock fires, in either
    order: the other cancellation wins."""
    clock = DeadlineClock(0.05)
    task = asyncio.create_task(_timed(clock, 5))
    await asyncio.sleep(0)  # it has started, and entered the clock
    time.sleep(0.1)  # noqa: ASYNC251  # the loop held past the deadline: no timer, no task ran
    if clock_first:
        clock._expire()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_clock_moves_to_the_loop_it_is_used_on() -> None:
    clock = DeadlineClock(0.05)

    def in_another_loop() -> None:
        with pytest.raises(TimeoutError):
            asyncio.run(_timed(clock, 5))

    await asyncio.to_thread(in_another_loop)
    with pytest.raises(TimeoutError):
        await _timed(clock, 5)
