"""Pooled HTTP clients per upstream, and the translation of transport failures.

Whole answers go through rnet (Rust's hyper and tokio under an asyncio binding), chosen by
measurement on the benchmark's relay: 97-112 µs of CPU per relayed call on one core against
179-220 µs through aiohttp's client (``benchmarks/results/stacks.md``). pyreqwest was as fast
but does not abort a request whose asyncio task is cancelled (the call runs on, and is
billed, after the client has gone); rnet drops it and its connection, which the tests check.
Streams go through aiohttp instead (``stream_client.py`` says why).

Lower-layer exceptions (rnet's, aiohttp's, timeouts) become ``UpstreamError`` in exactly one
place, ``transport_errors``, so adapters never see a library's exception types.
"""

from __future__ import annotations

import asyncio
import math
import os
import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import orjson
import rnet
from rnet.exceptions import BodyError, DecodingError

from polyroute import __version__
from polyroute.adapters.deadlines import DeadlineClock
from polyroute.adapters.stream_client import StreamClient
from polyroute.canonical import StreamEvent, StreamFailure
from polyroute.config import TimeoutConfig
from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.wire.sse import StreamStalled

_TRANSPORT_ERRORS = (
    aiohttp.ClientError,
    rnet.exceptions.ConnectionError,
    rnet.exceptions.ConnectionResetError,
    rnet.exceptions.RequestError,
    rnet.exceptions.DNSResolverError,
    BodyError,
    DecodingError,
    OSError,
)
_CUT_SHORT = (BodyError, DecodingError, aiohttp.ClientPayloadError)
"""How each client reports a body that ended before it was complete."""


@dataclass(slots=True)
class HttpClient:
    """One upstream's connection pools: one for whole answers, one for streams."""

    whole: rnet.Client
    streams: StreamClient

    async def aclose(self) -> None:
        await self.streams.aclose()


def system_ca_bundle() -> Path | None:
    """The trust store Python's own TLS would use: ``SSL_CERT_FILE``, else OpenSSL's default
    file (on Debian, ``ca-certificates``, which holds any CA the operator installed)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get(paths.openssl_cafile_env), paths.cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def create_session(connect_timeout: float, ca_bundle: str | None = None) -> HttpClient:
    """Keep-alive connection pools for one upstream.

    Certificates are checked against ``ca_bundle``, else the system's trust store (what an
    operator adds a private CA to), else (whole answers) rnet's built-in Mozilla roots.
    """
    trust = Path(ca_bundle) if ca_bundle else system_ca_bundle()
    whole = rnet.Client(
        verify=trust if trust is not None else True,
        user_agent=f"polyroute/{__version__}",
        # The client takes whole seconds.
        connect_timeout=max(1, math.ceil(connect_timeout)),
        pool_idle_timeout=30,
        # One pool serves every tenant: a cookie a provider sets on one tenant's call must
        # not ride along on another's.
        cookie_store=False,
        # A provider API that redirects a POST carrying a key is answered as an error, not
        # followed to wherever it points.
        allow_redirects=False,
        # Where traffic goes is the config's business (base_url), not the environment's.
        no_proxy=True,
        tcp_nodelay=True,
        gzip=True,
    )
    return HttpClient(whole, StreamClient(connect_timeout, trust))


@contextmanager
def transport_errors(provider: str, *, started: bool = False) -> Iterator[None]:
    """Map transport failures to ``UpstreamError``; ``started`` once response headers arrived."""
    try:
        yield
    except StreamStalled as exc:
        raise UpstreamError(
            UpstreamKind.STREAM_BROKEN, f"{provider}: stream stalled ({exc})", provider, 502
        ) from None
    except (TimeoutError, rnet.exceptions.TimeoutError):
        kind = UpstreamKind.STREAM_BROKEN if started else UpstreamKind.TIMEOUT
        raise UpstreamError(
            kind, f"{provider}: timed out waiting for a response", provider, 504
        ) from None
    except _TRANSPORT_ERRORS as exc:
        if started and isinstance(exc, _CUT_SHORT):
            raise UpstreamError(
                UpstreamKind.STREAM_BROKEN,
                f"{provider}: response ended before it was complete",
                provider,
                502,
            ) from None
        kind = UpstreamKind.STREAM_BROKEN if started else UpstreamKind.UNREACHABLE
        reason = type(exc).__name__
        raise UpstreamError(
            kind, f"{provider}: connection failed ({reason})", provider, 502
        ) from None


ErrorDecoder = Callable[[int, bytes, str, Mapping[str, str]], UpstreamError]
"""A protocol's reading of an error response: status, body, provider, headers."""

StreamReader = Callable[["UpstreamStream"], AsyncIterator[StreamEvent]]
"""A protocol's reading of a 2xx stream: its events, ending at a ``StreamFailure`` if any."""


class UpstreamStream:
    """A streaming response whose headers said 2xx: ``chunks()`` yields the body as it
    arrives; leaving the ``async with`` keeps the connection for another call if the body
    was read to its end, and drops it otherwise."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    def chunks(self) -> AsyncIterator[bytes]:
        return self._response.content.iter_any()

    async def __aenter__(self) -> UpstreamStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._response.close()


@dataclass(frozen=True, slots=True)
class Upstream:
    """One provider's address book: how to POST to it and how to read its errors."""

    provider: str
    session: HttpClient
    headers: Mapping[str, str]
    timeouts: TimeoutConfig
    """``answer`` bounds a whole answer; ``first_byte`` a stream's response headers."""
    decode_error: ErrorDecoder
    secrets: tuple[str, ...] = field(init=False, repr=False, default=())
    """The key(s) in ``headers``: never repeated in an error, whatever their shape."""
    stream_headers: dict[str, str] = field(init=False, repr=False, default_factory=dict)
    """``headers`` as the stream client takes them (``headers`` becomes rnet's own map)."""
    deadlines: DeadlineClock = field(init=False, repr=False, compare=False)
    """Times whole answers against ``timeouts.answer`` (cheaper than a timer per call)."""

    def __post_init__(self) -> None:
        headers = dict(self.headers)
        object.__setattr__(self, "deadlines", DeadlineClock(self.timeouts.answer))
        object.__setattr__(self, "secrets", _secrets_in(headers))
        # Built once in each client's own form rather than converted on every request.
        object.__setattr__(self, "headers", rnet.HeaderMap(headers))
        object.__setattr__(self, "stream_headers", headers)

    async def post_json(
        self, url: str, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> Any:
        """POST ``body``, return the JSON answer or raise the provider's error. ``headers``
        are sent as well as the upstream's own (this call's, e.g. a beta feature)."""
        sent = self.headers if headers is None else rnet.HeaderMap(self._with(headers))
        with transport_errors(self.provider):
            deadline = self.deadlines.start()
            try:
                response = await self.session.whole.post(url, headers=sent, body=orjson.dumps(body))
                # No ``async with response``: reading the whole body hands the connection
                # back to the pool, and a failed or cancelled read drops the response and
                # its connection with it. Entering and leaving the context were two more
                # trips through the client's runtime: ~15 µs of CPU a call (measured).
                raw = await response.bytes()
            except asyncio.CancelledError:
                if self.deadlines.expired(deadline):
                    raise TimeoutError from None
                raise
            finally:
                self.deadlines.stop(deadline)
            if response.status >= 300:
                raise self._error(response.status, _text_headers(response.headers), raw)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UpstreamError(
                UpstreamKind.SERVER, f"{self.provider}: response was not JSON", self.provider, 502
            ) from None

    async def open_stream(
        self, url: str, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> UpstreamStream:
        """POST ``body`` and return the streaming response once its headers say 2xx; the
        caller closes it (``async with``)."""
        sent = self.stream_headers if headers is None else self._with(headers)
        with transport_errors(self.provider):
            async with asyncio.timeout(self.timeouts.first_byte):
                response = await self.session.streams.post(url, sent, orjson.dumps(body))
                if response.status >= 300:
                    async with response:
                        headers = {k.lower(): v for k, v in response.headers.items()}
                        raise self._error(response.status, headers, await response.read())
        return UpstreamStream(response)

    async def stream(
        self,
        url: str,
        body: dict[str, Any],
        read: StreamReader,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """POST ``body`` and yield what ``read`` makes of the stream, up to and including its
        ``StreamFailure``.

        An error the provider sends inside the stream may echo the key like one it sends as a
        response, and the wire decoders' patterns miss a key without a known prefix: it is
        redacted here, once an error is decoded, so a chunk that is not one costs nothing more.
        """
        response = await self.open_stream(url, body, headers)
        async with response:
            try:
                async for event in read(response):
                    if isinstance(event, StreamFailure):
                        _redacted(event.error, self.secrets)
                        yield event
                        return
                    yield event
            except UpstreamError as error:
                # A reader may raise the error it found before the first event (Gemini's do).
                _redacted(error, self.secrets)
                raise

    def _with(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The upstream's headers and a call's own, the call's winning (names are matched
        without regard to case)."""
        names = {name.lower() for name in headers}
        kept = {k: v for k, v in self.stream_headers.items() if k.lower() not in names}
        return {**kept, **headers}

    def _error(self, status: int, headers: Mapping[str, str], body: bytes) -> UpstreamError:
        """The provider's error, read by its protocol from the status, body and headers
        (names in lower case)."""
        if status < 400:
            # Redirects are not followed (create_session): the request carries the key.
            return UpstreamError(
                UpstreamKind.SERVER,
                f"{self.provider}: answered {status}, a redirect (not followed)",
                self.provider,
                502,
            )
        return _redacted(self.decode_error(status, body, self.provider, headers), self.secrets)


def _text_headers(headers: rnet.HeaderMap) -> dict[str, str]:
    """rnet's header map (lower-case byte names and values) as text."""
    names = {key.decode("latin-1") for key in headers}
    return {n: v.decode("latin-1") for n in names if (v := headers.get(n)) is not None}


_KEY_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})


def _secrets_in(headers: Mapping[str, str]) -> tuple[str, ...]:
    found = []
    for name, value in headers.items():
        if name.lower() in _KEY_HEADERS:
            scheme, _, token = value.partition(" ")
            secret = token if scheme.lower() == "bearer" and token else value
            if len(secret) >= 8:  # too short to be a key, and would redact ordinary words
                found.append(secret)
    return tuple(found)


def _redacted(error: UpstreamError, secrets: tuple[str, ...]) -> UpstreamError:
    """A provider that echoes the key it was sent (some do, in 401 messages): the generic
    patterns of the error decoders catch prefixed keys only; this catches this one."""
    for secret in secrets:
        for name in ("message", "code", "param"):
            value = getattr(error, name)
            if value and secret in value:
                setattr(error, name, value.replace(secret, "[redacted]"))
    error.args = (error.message,)
    return error
