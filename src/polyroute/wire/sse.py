"""The one Server-Sent Events reader for every upstream.

Handles ``\\n``, ``\\r\\n`` and ``\\r`` line ends (Gemini separates events with
``\\r\\n\\r\\n``), multi-line ``data:``, named events (Anthropic) and comment lines such as
OpenRouter's ``: OPENROUTER PROCESSING`` keep-alives, which are skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class SSEEvent:
    data: str
    event: str | None = None


class StreamStalled(Exception):
    """The upstream sent nothing for longer than the idle timeout."""


class SSEParser:
    """An incremental SSE decoder: ``feed`` it body chunks as they come, ``close`` at the end.

    Plain calls rather than a chain of async generators (lines, then events): a stream runs
    through here once per chunk, and each generator in the chain cost a resume per line.
    """

    __slots__ = ("_buffer", "_data", "_event")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event: str | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            # A trailing \r may be the first half of \r\n: keep it until the next chunk.
            tail = b"\r" if buffer.endswith(b"\r") else b""
            if tail:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + tail
        *lines, self._buffer = buffer.split(b"\n")
        return self._lines(lines)

    def close(self) -> list[SSEEvent]:
        """Events left at the end of the body (a last event without its blank line)."""
        buffer, self._buffer = self._buffer, b""
        events = self._lines([buffer.rstrip(b"\r")]) if buffer else []
        if self._data:
            events.append(SSEEvent("\n".join(self._data), self._event))
            self._data, self._event = [], None
        return events

    def _lines(self, lines: list[bytes]) -> list[SSEEvent]:
        events = []
        for line in lines:
            if not line:
                if self._data:
                    events.append(SSEEvent("\n".join(self._data), self._event))
                    self._data = []
                self._event = None
                continue
            if line[:1] == b":":
                continue
            field, _, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if field == b"data":
                self._data.append(value.decode())
            elif field == b"event":
                self._event = value.decode()
        return events


async def iter_sse(
    chunks: AsyncIterable[bytes], idle: IdleTimeout | None = None
) -> AsyncIterator[SSEEvent]:
    """Decode SSE events from raw body chunks; ``idle``, if given, learns when the first
    event has come."""
    parser = SSEParser()
    async for chunk in chunks:
        events = parser.feed(chunk)
        if events:
            if idle is not None:
                idle.event_arrived()
                idle = None
            for event in events:
                yield event
    for event in parser.close():
        yield event


def read_sse(chunks: AsyncIterator[bytes], idle: IdleTimeout) -> AsyncIterator[SSEEvent]:
    """A streaming body's SSE events, each read timed by ``idle`` (``StreamStalled``)."""
    return iter_sse(with_idle_timeout(chunks, idle), idle)


class IdleTimeout:
    """How long a stream may stay silent; adjustable while the stream runs.

    ``first``, when longer, is the silence allowed before the first event: a model may think
    for minutes before it answers (the first-byte timeout's business), where a stream that
    has begun and falls silent has stalled.
    """

    __slots__ = ("_after_first", "seconds")

    def __init__(self, seconds: float, first: float | None = None) -> None:
        self.seconds = seconds
        self._after_first: float | None = None
        if first is not None and first > seconds:
            self.seconds, self._after_first = first, seconds

    def event_arrived(self) -> None:
        """The stream's first event came: from now on, silence is timed by ``seconds``."""
        if self._after_first is not None:
            self.seconds, self._after_first = self._after_first, None


async def with_idle_timeout(
    chunks: AsyncIterator[bytes], idle: IdleTimeout
) -> AsyncIterator[bytes]:
    """Pass chunks through, raising ``StreamStalled`` if one takes longer than allowed."""
    watch = _IdleWatch(idle)
    try:
        while True:
            task = watch.reading()
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if watch.stalled(task):
                    raise StreamStalled(f"no data for {idle.seconds:g} s") from None
                raise
            finally:
                watch.task = None
            yield chunk
    finally:
        watch.close()


class _IdleWatch:
    """The idle timeout of one stream: one timer for the stream rather than one per chunk.

    An ``asyncio.timeout`` around each read cost ~8 µs a chunk on the benchmark's VM, most
    of a token's relay. Here a read only notes when it started; the timer, when it fires,
    re-arms itself for the rest of the time if a read started since, and cancels the reading
    task only when the current read has waited ``idle.seconds``. Between reads (the client
    being slow to take a chunk) nothing is timed, as with a timeout around each read.
    """

    __slots__ = ("_due", "_fired", "_handle", "_idle", "_loop", "since", "task")

    def __init__(self, idle: IdleTimeout) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = idle
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._fired: tuple[asyncio.Task[Any], int] | None = None
        self.task: asyncio.Task[Any] | None = None
        self.since = 0.0

    def reading(self) -> asyncio.Task[Any]:
        """A read starts in the current task; returns that task."""
        # The stream's consumer can change between reads (the dispatcher takes the first
        # event, the response streams the rest), so the task is taken at every read.
        task = asyncio.current_task()
        assert task is not None
        now = self._loop.time()
        due = now + self._idle.seconds
        self.task, self.since, self._fired = task, now, None
        if self._handle is None or due < self._due:  # ``idle.seconds`` may have shrunk
            if self._handle is not None:
                self._handle.cancel()
            self._handle, self._due = self._loop.call_at(due, self._check), due
        return task

    def stalled(self, task: asyncio.Task[Any]) -> bool:
        """Whether ``task`` was cancelled by this watch alone (and no longer is)."""
        fired, self._fired = self._fired, None
        return fired is not None and fired[0] is task and task.uncancel() <= fired[1]

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _check(self) -> None:
        self._handle = None
        task = self.task
        if task is None:  # between reads; the next one arms the timer again
            return
        due = self.since + self._idle.seconds
        if self._loop.time() < due:
            self._handle, self._due = self._loop.call_at(due, self._check), due
            return
        self._fired = (task, task.cancelling())
        task.cancel()
