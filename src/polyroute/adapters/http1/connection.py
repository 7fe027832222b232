"""One HTTP/1.1 connection to a provider: an asyncio buffered protocol, parsed by httptools."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
import zlib
from typing import Any, cast

import httptools

from polyroute.adapters.http1.answers import (
    Answer,
    BadResponse,
    ConnectionClosed,
    StreamedAnswer,
    decoded,
    decoder,
)


class Origin:
    """Kept-alive connections to one scheme, host and port; the most recently used first."""

    __slots__ = ("buffer", "host", "idle", "port", "tls")

    def __init__(
        self, host: str, port: int, tls: ssl.SSLContext | None, buffer: memoryview
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.buffer = buffer
        """Where the loop puts what a connection receives, before it is parsed (a client's
        connections share one: each read is parsed as soon as it is made)."""
        self.idle: list[Connection] = []


class Connection(asyncio.BufferedProtocol):
    """One connection, carrying one request at a time.

    A buffered protocol: the loop reads into the client's buffer. Given a plain protocol,
    uvloop's TLS asks OpenSSL for up to 256 KiB per read, a fresh allocation every time
    (three system calls and the page faults of mapping it, per answer).
    """

    __slots__ = (
        "_body",
        "_coding",
        "_complete",
        "_decoder",
        "_head",
        "_headers",
        "_keep_alive",
        "_loop",
        "_origin",
        "_parser",
        "_stream",
        "_streaming",
        "_transport",
        "_waiter",
        "closed",
        "idle_since",
    )

    def __init__(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> None:
        self._origin = origin
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[Answer] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._coding: bytes | None = None
        """The answer's ``Content-Encoding``, when it has one."""
        self._head = False
        self._keep_alive = False
        self._complete = False
        self._streaming = False
        self._stream: StreamedAnswer | None = None
        self._decoder: zlib._Decompress | None = None
        self.closed = False
        self.idle_since = 0.0

    async def send(self, request: bytes, *, streamed: bool = False) -> Any:
        """The whole ``Answer``; ``streamed``: a ``StreamedAnswer`` once its head is in."""
        transport = self._transport
        assert transport is not None
        self._streaming = streamed
        # The loop kept, not looked up: in Python 3.11 each lookup is a getpid() system call.
        self._waiter = waiter = self._loop.create_future()
        transport.write(request)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():
                # The call was cancelled (its client left, or its deadline passed): dropping
                # the connection is how the provider learns to stop generating an answer
                # nobody reads.
                transport.abort()
            raise

    # asyncio.BufferedProtocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not registered as asyncio.Transport subclasses.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._origin.buffer

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self._parser.feed_data(self._origin.buffer[:nbytes])
        except httptools.HttpParserError as exc:
            self._fail(BadResponse(f"malformed HTTP response ({exc})"))
            return
        if self._complete:
            self._finish_stream() if self._stream is not None else self._deliver()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        stream = self._stream
        if stream is not None:  # the answer had begun streaming
            self._stream = None
            # No Content-Length and not chunked: the body ends where the connection does.
            stream.end(_cut_short(exc) if self._framed() else None)
            return
        waiter = self._waiter
        if waiter is None or waiter.done():
            with contextlib.suppress(ValueError):
                self._origin.idle.remove(self)  # the server closed it while it sat idle
            return
        if self._head and not self._complete and not self._framed():
            # No Content-Length and not chunked: the body ends where the connection does.
            self._deliver()
            return
        # Not sent again, even on a kept-alive connection the server may have closed just as
        # the request went out: the server may have acted on a POST (Go's net/http does not
        # resend one either). The dispatcher's retry of a failed connection covers it.
        self._waiter = None
        waiter.set_exception(_cut_short(exc))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 16 and name.lower() == b"content-encoding":
            coding = value.strip().lower()
            self._coding = coding if coding not in (b"", b"identity") else None
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        # Asked here: once the message is complete the parser has moved on to the next.
        self._keep_alive = self._parser.should_keep_alive()
        self._head = True
        status = self._parser.get_status_code()
        if self._streaming and status >= 200:
            self._begin_stream(status)

    def on_body(self, body: bytes) -> None:
        stream = self._stream
        if stream is None:
            self._body.append(body)
            return
        if self._decoder is not None:
            try:
                body = self._decoder.decompress(body)
            except zlib.error as exc:
                self._fail(BadResponse(f"answer could not be decompressed ({exc})"))
                return
        if body:
            stream.push(body)

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:
            # An interim answer (100 Continue): the real one follows.
            self._headers, self._body, self._coding, self._head = [], [], None, False
            return
        self._complete = True

    # internals

    def _framed(self) -> bool:
        return any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self._headers
        )

    def _deliver(self) -> None:
        waiter, self._waiter = self._waiter, None
        status, headers, body, coding = (
            self._parser.get_status_code(),
            self._headers,
            b"".join(self._body),
            self._coding,
        )
        self._next_message(keep=waiter is not None)
        if waiter is None or waiter.done():
            return
        if coding is not None:
            try:
                body = decoded(body, coding)
            except BadResponse as exc:
                waiter.set_exception(exc)
                return
        waiter.set_result(Answer(status, headers, body))

    def _begin_stream(self, status: int) -> None:
        if self._waiter is None or self._waiter.done():
            self._fail(BadResponse("an answer nobody asked for"))
            return
        if self._coding is not None:
            try:
                self._decoder = decoder(self._coding)
            except BadResponse as exc:
                self._fail(exc)
                return
        waiter, self._waiter = self._waiter, None
        self._stream = StreamedAnswer(self, status, self._headers)
        waiter.set_result(self._stream)

    def _finish_stream(self) -> None:
        stream, self._stream = self._stream, None
        assert stream is not None
        if self._decoder is not None:
            rest = self._decoder.flush()
            self._decoder = None
            if rest:
                stream.push(rest)
        self._next_message(keep=True)
        stream.end()

    def _next_message(self, keep: bool) -> None:
        """The answer is in: the connection is ready for another request (back to its pool,
        unless the server said to close it), or closed."""
        self._headers, self._body, self._coding = [], [], None
        self._head = self._complete = self._streaming = False
        if keep and self._keep_alive and not self.closed:
            self.idle_since = time.monotonic()
            self._origin.idle.append(self)
        elif self._transport is not None:
            self._transport.close()

    def new_future(self) -> asyncio.Future[None]:
        return self._loop.create_future()

    def pause_reading(self) -> None:
        if self._transport is not None and not self.closed:
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._transport is not None and not self.closed:
            self._transport.resume_reading()

    def abort(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, error: Exception) -> None:
        self.abort()
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.end(error)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def usable(self) -> bool:
        """Open, and not about to close (the loop may not have reported it yet)."""
        transport = self._transport
        return not self.closed and transport is not None and not transport.is_closing()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()


def _cut_short(cause: Exception | None) -> ConnectionClosed:
    error = ConnectionClosed("the server closed the connection before its answer ended")
    error.__cause__ = cause
    return error
