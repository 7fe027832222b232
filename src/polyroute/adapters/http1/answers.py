"""What the client hands back: a whole answer, or one read as it arrives; and its errors."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from polyroute.adapters.http1.headers import header_map

if TYPE_CHECKING:
    from polyroute.adapters.http1.connection import Connection


class ConnectionClosed(ConnectionError):
    """The server closed the connection before its answer was complete."""


class BadResponse(Exception):
    """The server's answer was not HTTP/1.1 this client can read."""


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    """As received: names in the server's case."""
    body: bytes

    def header_map(self) -> dict[str, str]:
        return header_map(self.headers)


class StreamedAnswer:
    """An answer read as it arrives: status and headers first, then the body in pieces.

    What arrives waits here until it is read; past ``_HIGH_WATER`` bytes unread, the
    connection stops reading (the provider's sending slows to the reader's pace) until the
    reader takes what waits. Once the whole answer is in, the connection goes back to its
    pool; ``close`` before then drops it (the provider stops generating).
    """

    __slots__ = ("_connection", "_ended", "_error", "_paused", "_pieces", "_size",
                 "_wakeup", "headers", "status")  # fmt: skip

    _HIGH_WATER = 1 << 20

    def __init__(self, connection: Connection, status: int, headers: list[tuple[bytes, bytes]]):
        self._connection = connection
        self.status = status
        self.headers = headers
        self._pieces: list[bytes] = []
        self._size = 0
        self._ended = False
        self._error: Exception | None = None
        self._paused = False
        self._wakeup: asyncio.Future[None] | None = None

    def header_map(self) -> dict[str, str]:
        return header_map(self.headers)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives: everything received since the last piece, joined."""
        while True:
            if self._pieces:
                piece = self._pieces[0] if len(self._pieces) == 1 else b"".join(self._pieces)
                self._pieces.clear()
                self._size = 0
                if self._paused:
                    self._paused = False
                    self._connection.resume_reading()
                yield piece
            elif self._error is not None:
                raise self._error
            elif self._ended:
                return
            else:
                self._wakeup = self._connection.new_future()
                try:
                    await self._wakeup
                finally:
                    self._wakeup = None

    async def read(self) -> bytes:
        return b"".join([piece async for piece in self.chunks()])

    def close(self) -> None:
        """Done with the answer: if it has not all arrived, drop its connection."""
        if not self._ended and self._error is None:
            self._error = ConnectionClosed("the answer was closed before it ended")
            self._connection.abort()

    # fed by the connection

    def push(self, piece: bytes) -> None:
        self._pieces.append(piece)
        self._size += len(piece)
        if self._size > self._HIGH_WATER and not self._paused:
            self._paused = True
            self._connection.pause_reading()
        self._wake()

    def end(self, error: Exception | None = None) -> None:
        if self._ended or self._error is not None:
            return
        if error is None:
            self._ended = True
        else:
            self._error = error
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)


_WBITS = {b"gzip": 16 + zlib.MAX_WBITS, b"x-gzip": 16 + zlib.MAX_WBITS, b"deflate": zlib.MAX_WBITS}


def _wbits(coding: bytes) -> int:
    """zlib's window bits for a ``Content-Encoding`` (lower case), or ``BadResponse``."""
    wbits = _WBITS.get(coding)
    if wbits is None:
        raise BadResponse(f"unsupported Content-Encoding {coding.decode('latin-1')!r}")
    return wbits


def decoded(body: bytes, coding: bytes) -> bytes:
    """A whole answer's body, decompressed."""
    try:
        return zlib.decompress(body, _wbits(coding))
    except zlib.error as exc:
        raise BadResponse(f"answer could not be decompressed ({exc})") from None


def decoder(coding: bytes) -> zlib._Decompress:
    """A decompressor for a streamed answer's body, fed as it arrives."""
    return zlib.decompressobj(_wbits(coding))
