"""One pooled HTTP client per upstream, and the translation of transport failures.

Lower-layer exceptions (aiohttp, timeouts) become ``UpstreamError`` in exactly one place,
``transport_errors``, so adapters never see a library's exception types.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDict
from yarl import URL

from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.wire.sse import StreamStalled


def create_session(connect_timeout: float) -> aiohttp.ClientSession:
    """A keep-alive connection pool for one upstream."""
    connector = aiohttp.TCPConnector(
        limit=0,  # concurrency is bounded by the server, not by the pool
        ttl_dns_cache=300,
        keepalive_timeout=30,
        enable_cleanup_closed=True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        # One pool serves every tenant: a cookie a provider sets on one tenant's call must
        # not ride along on another's (and skipping the jar saves work on every request).
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout),
        auto_decompress=True,
        skip_auto_headers=("User-Agent",),
        raise_for_status=False,
    )


@contextmanager
def transport_errors(provider: str, *, started: bool = False) -> Iterator[None]:
    """Map transport failures to ``UpstreamError``; ``started`` once response headers arrived."""
    try:
        yield
    except StreamStalled as exc:
        raise UpstreamError(
            UpstreamKind.STREAM_BROKEN, f"{provider}: stream stalled ({exc})", provider, 502
        ) from None
    except TimeoutError:
        kind = UpstreamKind.STREAM_BROKEN if started else UpstreamKind.TIMEOUT
        raise UpstreamError(
            kind, f"{provider}: timed out waiting for a response", provider, 504
        ) from None
    except aiohttp.ClientPayloadError:
        raise UpstreamError(
            UpstreamKind.STREAM_BROKEN,
            f"{provider}: response ended before it was complete",
            provider,
            502,
        ) from None
    except (aiohttp.ClientConnectionError, aiohttp.ClientResponseError, OSError) as exc:
        kind = UpstreamKind.STREAM_BROKEN if started else UpstreamKind.UNREACHABLE
        reason = type(exc).__name__
        raise UpstreamError(
            kind, f"{provider}: connection failed ({reason})", provider, 502
        ) from None


_URL_CACHE = 1024

ErrorDecoder = Callable[[int, bytes, str, Mapping[str, str]], UpstreamError]
"""A protocol's reading of an error response: status, body, provider, headers."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """One provider's address book: how to POST to it and how to read its errors."""

    provider: str
    session: aiohttp.ClientSession
    headers: Mapping[str, str]
    first_byte: float
    """Seconds to wait for the response headers (the whole body, when not streaming)."""
    decode_error: ErrorDecoder
    _urls: dict[str, URL] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Built once in the form aiohttp wants, not converted again on every request.
        object.__setattr__(self, "headers", CIMultiDict(self.headers))

    def _url(self, url: str) -> URL:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _URL_CACHE:  # per-model URLs (Gemini) are unbounded in theory
                self._urls.clear()
            parsed = self._urls[url] = URL(url)
        return parsed

    async def post_json(self, url: str, body: dict[str, Any]) -> Any:
        """POST ``body``, return the JSON answer or raise the provider's error."""
        with transport_errors(self.provider):
            async with (
                asyncio.timeout(self.first_byte),
                self.session.post(
                    self._url(url), data=orjson.dumps(body), headers=self.headers
                ) as response,
            ):
                raw = await response.read()
                if response.status >= 400:
                    raise self.decode_error(response.status, raw, self.provider, response.headers)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UpstreamError(
                UpstreamKind.SERVER, f"{self.provider}: response was not JSON", self.provider, 502
            ) from None

    async def open_stream(self, url: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
        """POST ``body`` and return the streaming response once its headers say 2xx; the
        caller closes it."""
        with transport_errors(self.provider):
            async with asyncio.timeout(self.first_byte):
                response = await self.session.post(
                    self._url(url), data=orjson.dumps(body), headers=self.headers
                )
                if response.status >= 400:
                    async with response:
                        raw = await response.read()
                    raise self.decode_error(response.status, raw, self.provider, response.headers)
        return response
