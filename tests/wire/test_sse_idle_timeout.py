"""The stream idle timeout: a read that waits too long fails the stream, nothing else does.

One timer serves the whole stream (``_IdleWatch``), so what a timeout per read gave for free
is checked here: the time counts per read, not per stream; a slow consumer is not a stall; a
shortened timeout applies at the next read; other cancellations stay cancellations; a
closed stream never cancels its former reader; and the reader may change between reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from polyroute.wire.sse import IdleTimeout, StreamStalled, _IdleWatch, read_sse, with_idle_timeout


async def _source(chunks: int, every: float = 0.0, then_hang: bool = True) -> AsyncIterator[bytes]:
    for n in range(chunks):
        if every:
            await asyncio.sleep(every)
        yield f"chunk {n}\n".encode()
    if then_hang:
        await asyncio.Event().wait()


async def test_a_read_that_waits_longer_than_the_idle_time_stalls() -> None:
    stream = with_idle_timeout(_source(2), IdleTimeout(0.2))
    received = [await anext(stream), await anext(stream)]
    started = time.monotonic()
    with pytest.raises(StreamStalled, match=r"no data for 0\.2 s"):
        await anext(stream)
    assert 0.18 <= time.monotonic() - started < 0.5
    assert received == [b"chunk 0\n", b"chunk 1\n"]
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_steady_stream_longer_than_the_idle_time_does_not_stall() -> None:
    # 12 chunks 0.1 s apart: 1.2 s in all against an idle time of 0.25 s.
    chunks = [c async for c in with_idle_timeout(_source(12, 0.1, False), IdleTimeout(0.25))]
    assert len(chunks) == 12


async def test_a_slow_consumer_is_not_a_stall() -> None:
    stream = with_idle_timeout(_source(4, then_hang=False), IdleTimeout(0.1))
    received = []
    async for chunk in stream:
        received.append(chunk)
        await asyncio.sleep(0.25)  # the client takes its time; the upstream had answered
    assert len(received) == 4


async def test_a_shortened_idle_time_applies_at_the_next_read() -> None:
    idle = IdleTimeout(30)
    stream = with_idle_timeout(_source(1), idle)
    await anext(stream)
    idle.seconds = 0.1  # e.g. everything is in, only [DONE] is awaited
    started = time.monotonic()
    with pytest.raises(StreamStalled):
        await anext(stream)
    assert time.monotonic() - started < 0.5


async def test_another_cancellation_during_a_read_stays_a_cancellation() -> None:
    async def read_all() -> list[bytes]:
        return [c async for c in with_idle_timeout(_source(1), IdleTimeout(0.2))]

    task = asyncio.create_task(read_all())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_a_stall_and_a_cancellation_at_once_stays_a_cancellation() -> None:
    # Staged by hand: which of two callbacks of one loop pass runs first cannot be timed.
    watch = _IdleWatch(IdleTimeout(0.1))
    outcome: list[str] = []

    async def read() -> None:
        task = watch.reading()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("stalled" if watch.stalled(task) else "cancelled")
            raise

    task = asyncio.create_task(read())
    await asyncio.sleep(0)  # the read has started
    watch.since -= 1  # its idle time is long over: the watch fires when checked
    watch._check()
    task.cancel()  # and in the same pass, someone else cancels the task too
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome == ["cancelled"]
    watch.close()


async def test_a_closed_stream_never_cancels_its_reader_later() -> None:
    stream = with_idle_timeout(_source(1), IdleTimeout(0.05))
    await anext(stream)
    await stream.aclose()
    await asyncio.sleep(0.2)  # a leftover timer would cancel this sleep
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_an_abandoned_read_loop_is_not_cancelled_between_reads() -> None:
    stream = with_idle_timeout(_source(1), IdleTimeout(0.05))
    await anext(stream)
    await asyncio.sleep(0.2)  # not reading: the armed timer must let this task be
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    await stream.aclose()


async def test_the_reader_may_change_between_reads() -> None:
    stream = with_idle_timeout(_source(1), IdleTimeout(0.1))
    first = await asyncio.create_task(anext(stream))  # e.g. the dispatcher takes the first
    assert first == b"chunk 0\n"
    rest = asyncio.create_task(anext(stream))  # and the response streams the rest
    with pytest.raises(StreamStalled):
        await rest
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def _timed(parts: list[tuple[float, bytes]]) -> AsyncIterator[bytes]:
    """Each part after its delay, then silence."""
    for delay, part in parts:
        await asyncio.sleep(delay)
        yield part
    await asyncio.Event().wait()


async def test_the_first_event_is_waited_for_longer_than_silence_between_events() -> None:
    # A keep-alive comment is data but no event: the first-event window still holds after it.
    body = [(0.05, b": PROCESSING\n\n"), (0.3, b"data: 1\n\n"), (0.05, b"data: 2\n\n")]
    events = read_sse(_timed(body), IdleTimeout(0.2, first=1.0))
    assert [(await anext(events)).data, (await anext(events)).data] == ["1", "2"]
    started = time.monotonic()
    with pytest.raises(StreamStalled, match=r"no data for 0\.2 s"):
        await anext(events)
    assert 0.18 <= time.monotonic() - started < 0.5


async def test_a_first_event_that_never_comes_stalls_after_the_first_event_window() -> None:
    events = read_sse(_timed([]), IdleTimeout(0.1, first=0.3))
    started = time.monotonic()
    with pytest.raises(StreamStalled, match=r"no data for 0\.3 s"):
        await anext(events)
    assert 0.28 <= time.monotonic() - started < 0.6


def test_a_first_event_window_shorter_than_the_idle_time_changes_nothing() -> None:
    idle = IdleTimeout(0.5, first=0.2)
    assert idle.seconds == 0.5
    idle.event_arrived()
    assert idle.seconds == 0.5
