"""The pool: kept-alive connections per origin, and a request's way onto one."""

from __future__ import annotations

import asyncio
import ssl
import time
from urllib.parse import quote, urlsplit

from polyroute.adapters.http1.answers import Answer, StreamedAnswer
from polyroute.adapters.http1.connection import Connection, Origin


class HttpClient:
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
        self._origins: dict[tuple[str, str, int], Origin] = {}
        self._routes: dict[str, tuple[Origin, bytes]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, url: str, headers: bytes, body: bytes) -> Answer:
        """POST ``body`` with ``headers`` (``header_block``'s) and read the whole answer."""
        connection, request = await self._prepare(url, headers, body)
        answer: Answer = await connection.send(request)
        return answer

    async def _prepare(self, url: str, headers: bytes, body: bytes) -> tuple[Connection, bytes]:
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
        return connection, request

    async def open(self, url: str, headers: bytes, body: bytes) -> StreamedAnswer:
        """POST ``body`` and return the answer once its status and headers are in."""
        connection, request = await self._prepare(url, headers, body)
        stream: StreamedAnswer = await connection.send(request, streamed=True)
        return stream

    def close(self) -> None:
        """Close the idle connections (those carrying a request close when it ends)."""
        for origin in self._origins.values():
            for connection in origin.idle:
                connection.close()
            origin.idle.clear()

    def _idle(self, origin: Origin) -> Connection | None:
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

    async def _connect(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> Connection:
        async with asyncio.timeout(self._connect_timeout):
            _, connection = await loop.create_connection(
                lambda: Connection(origin, loop),
                origin.host,
                origin.port,
                ssl=origin.tls,
                server_hostname=origin.host if origin.tls is not None else None,
            )
        return connection

    def _route(self, url: str) -> tuple[Origin, bytes]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname, port)
        origin = self._origins.get(key)
        if origin is None:
            tls = self._tls if scheme == "https" else None
            origin = self._origins[key] = Origin(parts.hostname, port, tls, self._buffer)
        target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        if parts.query:
            target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        authority = parts.netloc.rpartition("@")[2]
        head = f"POST {target} HTTP/1.1\r\nhost: {authority}\r\n".encode("ascii")
        if len(self._routes) >= self._MAX_ROUTES:
            self._routes.clear()
        self._routes[url] = route = (origin, head)
        return route
