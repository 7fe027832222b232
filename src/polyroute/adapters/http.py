"""Pooled HTTP clients per upstream, and the translation of transport failures.

Whole answers and streams go through ``http1/`` (HTTP/1.1 on the event loop, chosen by
measurement: its ``__init__`` says why). A request is dropped, with its connection, when the
call awaiting it is cancelled or a stream is left before its end, so a provider stops
generating for a client that has gone; the tests check it.

Lower-layer exceptions (the clients', timeouts) become ``UpstreamError`` in exactly one
place, ``transport_errors``, so adapters never see a library's exception types.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from polyroute.adapters.deadlines import DeadlineClock
from polyroute.adapters.http1 import (
    BadResponse,
    ConnectionClosed,
    HttpClient,
    StreamedAnswer,
    header_block,
)
from polyroute.adapters.tls import system_ca_bundle, tls_context
from polyroute.canonical import StreamEvent, StreamFailure
from polyroute.config import TimeoutConfig
from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.wire.sse import StreamStalled

_TRANSPORT_ERRORS = (BadResponse, OSError)
_CUT_SHORT = (ConnectionClosed,)
"""What a body that ended before it was complete raises."""


def create_session(connect_timeout: float, ca_bundle: str | None = None) -> HttpClient:
    """The keep-alive connection pool for one upstream, whole answers and streams alike.

    Certificates are checked against ``ca_bundle``, else the system's trust store (what an
    operator adds a private CA to), else the Mozilla roots (``tls.py``).
    """
    tls = tls_context(Path(ca_bundle) if ca_bundle else system_ca_bundle())
    return HttpClient(connect_timeout, tls)


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
    arrives; leaving the ``async with`` drops the connection if the answer had not all
    arrived (the provider stops generating), and keeps it for another call otherwise."""

    __slots__ = ("_answer",)

    def __init__(self, answer: StreamedAnswer) -> None:
        self._answer = answer

    def chunks(self) -> AsyncIterator[bytes]:
        return self._answer.chunks()

    async def __aenter__(self) -> UpstreamStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._answer.close()


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
    header_lines: bytes = field(init=False, repr=False, default=b"")
    """``headers`` as the client sends them, built once."""
    deadlines: DeadlineClock = field(init=False, repr=False, compare=False)
    """Times whole answers against ``timeouts.answer`` (cheaper than a timer per call)."""

    def __post_init__(self) -> None:
        headers = dict(self.headers)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "deadlines", DeadlineClock(self.timeouts.answer))
        object.__setattr__(self, "secrets", _secrets_in(headers))
        object.__setattr__(self, "header_lines", header_block(headers))

    async def post_json(
        self, url: str, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> Any:
        """POST ``body``, return the JSON answer or raise the provider's error. ``headers``
        are sent as well as the upstream's own (this call's, e.g. a beta feature)."""
        sent = self.header_lines if headers is None else header_block(self._with(headers))
        with transport_errors(self.provider):
            deadline = self.deadlines.start()
            try:
                answer = await self.session.post(url, sent, orjson.dumps(body))
            except asyncio.CancelledError:
                if self.deadlines.expired(deadline):
                    raise TimeoutError from None
                raise
            finally:
                self.deadlines.stop(deadline)
            if answer.status >= 300:
                raise self._error(answer.status, answer.header_map(), answer.body)
        try:
            return orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            raise UpstreamError(
                UpstreamKind.SERVER, f"{self.provider}: response was not JSON", self.provider, 502
            ) from None

    async def open_stream(
        self, url: str, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> UpstreamStream:
        """POST ``body`` and return the streaming response once its headers say 2xx; the
        caller closes it (``async with``)."""
        sent = self.header_lines if headers is None else header_block(self._with(headers))
        with transport_errors(self.provider):
            async with asyncio.timeout(self.timeouts.first_byte):
                answer = await self.session.open(url, sent, orjson.dumps(body))
                if answer.status >= 300:
                    try:
                        raise self._error(answer.status, answer.header_map(), await answer.read())
                    finally:
                        answer.close()
        return UpstreamStream(answer)

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
        kept = {k: v for k, v in self.headers.items() if k.lower() not in names}
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
