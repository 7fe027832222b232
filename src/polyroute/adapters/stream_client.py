"""The connection pool streamed answers go through: aiohttp, on the event loop itself.

Whole answers go through rnet (``http.py``), whose Rust runtime parses a response on a
thread of its own: the fastest way to relay a request and its answer. A stream, though,
crosses from that thread to the event loop once per chunk, and each crossing is a handoff
of the GIL and a wakeup of each thread (measured with strace: ~5 futex calls a chunk). An
aiohttp response is read where the stream is relayed, so a chunk costs no handoff. Measured
on 32 concurrent streams of 38 chunks 5 ms apart, gateway on one core: 23-33% less CPU per
stream than through rnet.

The session is opened on first use in the running loop (an aiohttp session belongs to one
loop) and closed with the pool. Like the rnet client: no cookies kept between calls (one
pool serves every tenant), redirects never followed (the request carries a key), no proxy
from the environment, TLS verified against the configured bundle or the system's store.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from pathlib import Path

import aiohttp
import certifi

from polyroute import __version__


@functools.cache
def _tls_context(trust: Path | None) -> ssl.SSLContext:
    """The CAs in ``trust`` (the provider's bundle, else the system's file), or, on a system
    without a CA file (a slim image), OpenSSL's default paths plus the Mozilla roots, as
    rnet falls back to its built-in ones. One context per store, shared by every provider
    that uses it: each holds its own parsed copy, ~2 MB for the system's."""
    if trust is not None:
        return ssl.create_default_context(cafile=str(trust))
    context = ssl.create_default_context()
    context.load_verify_locations(certifi.where())
    return context


class StreamClient:
    __slots__ = ("_connect_timeout", "_loop", "_session", "_tls")

    def __init__(self, connect_timeout: float, trust: Path | None) -> None:
        self._connect_timeout = connect_timeout
        self._tls = _tls_context(trust)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    ssl=self._tls,
                    limit=0,  # as many connections as concurrent streams, like rnet's pool
                    keepalive_timeout=30,
                ),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": f"polyroute/{__version__}"},
                trust_env=False,
            )
            self._loop = loop
        return self._session

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> aiohttp.ClientResponse:
        return await self.session().post(url, headers=headers, data=body, allow_redirects=False)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()
