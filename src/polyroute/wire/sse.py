"""The one Server-Sent Events reader for every upstream.

Handles ``\\n``, ``\\r\\n`` and ``\\r`` line ends (Gemini separates events with
``\\r\\n\\r\\n``), multi-line ``data:``, named events (Anthropic) and comment lines such as
OpenRouter's ``: OPENROUTER PROCESSING`` keep-alives, which are skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass


@dataclass(slots=True)
class SSEEvent:
    data: str
    event: str | None = None


class StreamStalled(Exception):
    """The upstream sent nothing for longer than the idle timeout."""


async def iter_sse_lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Split a byte stream into lines, whatever the line ending."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        if b"\r" in buffer:
            # A trailing \r may be the first half of \r\n: keep it until the next chunk.
            tail = b"\r" if buffer.endswith(b"\r") else b""
            if tail:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + tail
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line
    if buffer:
        yield buffer.rstrip(b"\r")


async def iter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    """Decode SSE events from raw body chunks."""
    data: list[str] = []
    event: str | None = None
    async for line in iter_sse_lines(chunks):
        if not line:
            if data:
                yield SSEEvent("\n".join(data), event)
            data, event = [], None
            continue
        if line[:1] == b":":
            continue
        field, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            data.append(value.decode())
        elif field == b"event":
            event = value.decode()
    if data:
        yield SSEEvent("\n".join(data), event)


class IdleTimeout:
    """How long a stream may stay silent; adjustable while the stream runs."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


async def with_idle_timeout(
    chunks: AsyncIterator[bytes], idle: IdleTimeout
) -> AsyncIterator[bytes]:
    """Pass chunks through, raising ``StreamStalled`` if one takes longer than allowed."""
    while True:
        try:
            async with asyncio.timeout(idle.seconds):
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise StreamStalled(f"no data for {idle.seconds:g} s") from None
        yield chunk
