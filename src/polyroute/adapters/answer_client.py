"""The connection pool whole answers go through: HTTP/1.1 on the event loop, read by httptools.

A whole answer is one POST and one response, and relaying it is the gateway's hot path, so
the client was chosen by measuring a bare relay (uvicorn, raw ASGI, parse and re-serialise)
on one core, 256 calls at once, 50 ms upstream (2026-12-02, ``select_stack.py``): 106-111 µs
of CPU per call through this client, 203-216 through rnet, 288 through aiosonic, 331 through
aiohttp. rnet runs each request on its Rust runtime's thread, so every call crosses to that
thread and back, each crossing a handoff of the GIL and a wakeup; aiohttp and aiosonic stay
on the loop but do much more per call. Here a call is one ``write`` and one future, and
httptools (llhttp, the parser uvicorn serves with) reads the answer.

What it speaks: HTTP/1.1 with keep-alive (a whole answer gains nothing from HTTP/2), TLS
verified against the given context, gzip answers. No cookies, redirects are returned, not
followed (the request carries a key), and no proxy: where traffic goes is the config's
``base_url``. Streams go through aiohttp (``stream_client.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote, urlsplit

import httptools

from polyroute import __version__


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
        """The headers as text, names in lower case (a repeated header's values joined)."""
        found: dict[str, str] = {}
        for raw_name, raw_value in self.headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            found[name] = f"{found[name]}, {value}" if name in found else value
        return found


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


DEFAULT_HEADERS = {"user-agent": f"polyroute/{__version__}", "accept-encoding": "gzip"}


def header_block(headers: Mapping[str, str]) -> bytes:
    """``headers``, and the ``DEFAULT_HEADERS`` they do not name, as request lines, checked:
    a CR or LF in a value would end the header and let what follows pass as headers (or as
    a request) of their own."""
    named = {name.lower() for name in headers}
    defaults = {k: v for k, v in DEFAULT_HEADERS.items() if k not in named}
    lines = []
    for name, value in {**defaults, **headers}.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"invalid HTTP header name {name!r}")
        if _UNSAFE_VALUE.search(value):
            raise ValueError(f"the value of HTTP header {name!r} has a control character (CR, LF)")
        try:
            lines.append(f"{name}: {value.strip()}\r\n".encode("latin-1"))
        except UnicodeEncodeError:
            raise ValueError(
                f"the value of HTTP header {name!r} has characters a header cannot carry "
                "(only Latin-1 text)"
            ) from None
    return b"".join(lines)


class _Origin:
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
        self.idle: list[_Connection] = []


class _Connection(asyncio.BufferedProtocol):
    """One connection, carrying one request at a time.

    A buffered protocol: the loop reads into the client's buffer. Given a plain protocol,
    uvloop's TLS asks OpenSSL for up to 256 KiB per read, a fresh allocation every time
    (three system calls and the page faults of mapping it, per answer).
    """

    __slots__ = (
        "_body",
        "_complete",
        "_encoded",
        "_head",
        "_headers",
        "_keep_alive",
        "_loop",
        "_origin",
        "_parser",
        "_transport",
        "_waiter",
        "closed",
        "idle_since",
    )

    def __init__(self, origin: _Origin, loop: asyncio.AbstractEventLoop) -> None:
        self._origin = origin
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[Answer] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._encoded = False
        self._head = False
        self._keep_alive = False
        self._complete = False
        self.closed = False
        self.idle_since = 0.0

    async def send(self, request: bytes) -> Answer:
        transport = self._transport
        assert transport is not None
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
            self._deliver()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
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
        error = ConnectionClosed("the server closed the connection before its answer ended")
        error.__cause__ = exc
        waiter.set_exception(error)

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 16 and name.lower() == b"content-encoding":
            self._encoded = value.strip().lower() not in (b"", b"identity")
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        # Asked here: once the message is complete the parser has moved on to the next.
        self._keep_alive = self._parser.should_keep_alive()
        self._head = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:
            # An interim answer (100 Continue): the real one follows.
            self._headers, self._body, self._encoded, self._head = [], [], False, False
            return
        self._complete = True

    # internals

    def _framed(self) -> bool:
        return any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self._headers
        )

    def _deliver(self) -> None:
        waiter, self._waiter = self._waiter, None
        body = b"".join(self._body)
        answer = Answer(self._parser.get_status_code(), self._headers, body)
        encoded = self._encoded
        keep = self._keep_alive and not self.closed and waiter is not None
        self._headers, self._body, self._encoded = [], [], False
        self._head = self._complete = False
        if keep:
            self.idle_since = time.monotonic()
            self._origin.idle.append(self)
        elif self._transport is not None:
            self._transport.close()
        if waiter is None or waiter.done():
            return
        if encoded:
            try:
                answer.body = _decoded(answer)
            except BadResponse as exc:
                waiter.set_exception(exc)
                return
        waiter.set_result(answer)

    def _fail(self, error: Exception) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()
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


_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def _decoded(answer: Answer) -> bytes:
    coding = answer.header_map().get("content-encoding", "").strip().lower()
    wbits = _WBITS.get(coding)
    if wbits is None:
        raise BadResponse(f"unsupported Content-Encoding {coding!r}")
    try:
        return zlib.decompress(answer.body, wbits)
    except zlib.error as exc:
        raise BadResponse(f"answer could not be decompressed ({exc})") from None


class AnswerClient:
    """Kept-alive HTTP/1.1 connections to any number of origins, for one event loop.

    ``idle_timeout``: a connection idle longer is closed rather than reused (servers close
    idle ones too, and a pool should not race them for a connection minutes old).
    """

    _MAX_ROUTES = 4096

    def __init__(
        self, connect_timeout: float, tls: ssl.SSLContext, idle_timeout: float = 30.0
    ) -> None:
        self._connect_timeout = connect_timeout
        self._tls = tls
        self._idle_timeout = idle_timeout
        self._buffer = memoryview(bytearray(65536))
        self._origins: dict[tuple[str, str, int], _Origin] = {}
        self._routes: dict[str, tuple[_Origin, bytes]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, url: str, headers: bytes, body: bytes) -> Answer:
        """POST ``body`` with ``headers`` (``header_block``'s) and read the whole answer."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Connections belong to the loop that opened them (tests run several loops).
            self._origins.clear()
            self._routes.clear()
            self._loop = loop
        route = self._routes.get(url) or self._route(url)
        origin, head = route
        request = b"%b%bcontent-length: %d\r\n\r\n%b" % (head, headers, len(body), body)
        connection = self._idle(origin) or await self._connect(origin, loop)
        return await connection.send(request)

    def close(self) -> None:
        """Close the idle connections (those carrying a request close when it ends)."""
        for origin in self._origins.values():
            for connection in origin.idle:
                connection.close()
            origin.idle.clear()

    def _idle(self, origin: _Origin) -> _Connection | None:
        idle = origin.idle
        oldest = time.monotonic() - self._idle_timeout
        while idle:
            connection = idle.pop()
            if connection.usable() and connection.idle_since > oldest:
                if idle and idle[0].idle_since <= oldest:
                    idle.pop(0).close()  # one expired connection retired per call
                return connection
            connection.close()
        return None

    async def _connect(self, origin: _Origin, loop: asyncio.AbstractEventLoop) -> _Connection:
        async with asyncio.timeout(self._connect_timeout):
            _, connection = await loop.create_connection(
                lambda: _Connection(origin, loop),
                origin.host,
                origin.port,
                ssl=origin.tls,
                server_hostname=origin.host if origin.tls is not None else None,
            )
        return connection

    def _route(self, url: str) -> tuple[_Origin, bytes]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname, port)
        origin = self._origins.get(key)
        if origin is None:
            tls = self._tls if scheme == "https" else None
            origin = self._origins[key] = _Origin(parts.hostname, port, tls, self._buffer)
        target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        if parts.query:
            target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        authority = parts.netloc.rpartition("@")[2]
        head = f"POST {target} HTTP/1.1\r\nhost: {authority}\r\n".encode("ascii")
        if len(self._routes) >= self._MAX_ROUTES:
            self._routes.clear()
        self._routes[url] = route = (origin, head)
        return route
