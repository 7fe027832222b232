"""One pooled HTTP client per upstream, and the translation of transport failures.

Lower-layer exceptions (aiohttp, timeouts) become ``UpstreamError`` in exactly one place,
``transport_errors``, so adapters never see a library's exception types.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

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
