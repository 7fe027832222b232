"""Fault injection and request logging shared by every provider emulator.

Nothing here knows a wire protocol. A protocol module supplies what differs (its error body
for a status, its in-stream error event, its stream terminator) and this module decides
*when* things go wrong and does the transport-level damage: delays, TCP resets, cut or
stalled streams, garbage events, a missing terminator.

Control endpoints (mounted on every emulator by :func:`control_routes`):

- ``POST /_emulator/faults`` — body is one fault object or a list of them (keys: see
  :data:`FAULT_KEYS`); answers ``{"queued": <number of faults now pending>}``.
- ``GET /_emulator/requests`` — the request log, oldest first.
- ``POST /_emulator/reset`` — clears pending faults and the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import orjson
from aiohttp import web

CONTROL_PREFIX = "/_emulator"
DEFAULT_STALL_MS = 600_000
"""A stall lasts ten minutes unless ``stall_ms`` says otherwise (or the server stops)."""


@dataclass(slots=True)
class Fault:
    """One misbehaviour, applied to the next ``count`` requests that match it."""

    count: int = 1
    match: dict[str, str] = field(default_factory=dict)
    """``path`` (substring of the request path) and/or ``model`` (exact body ``model``)."""
    status: int | None = None
    """Answer with this HTTP status and the provider's real error body for it."""
    retry_after: float | None = None
    """Seconds, sent as ``Retry-After`` with ``status``."""
    body: Any = None
    """Replaces the provider's error body for ``status``."""
    latency_ms: int = 0
    """Delay before the response headers."""
    first_token_delay_ms: int = 0
    """Delay between the response headers and the first stream event."""
    reset: bool = False
    """Abort the TCP connection (RST) before any header is sent."""
    cut_after_chunks: int | None = None
    """Send this many stream events, then abort the connection."""
    stall_after_chunks: int | None = None
    """Send this many stream events, then go silent for ``stall_ms``."""
    stall_ms: int = DEFAULT_STALL_MS
    malformed_after_chunks: int | None = None
    """After this many stream events, send one garbage ``data:`` line (then carry on)."""
    no_done: bool = False
    """End the stream cleanly but without its terminator (``data: [DONE]``)."""
    stream_error_after_chunks: int | None = None
    """After this many events, send the provider's in-stream error event and finish."""
    chunk_delay_ms: int = 0
    """Delay between stream events."""
    context_length: bool = False
    """Answer with the provider's real context-length-exceeded error."""
    content_filter: bool = False
    """Generate a reply stopped by the content filter."""
    prompt_blocked: bool = False
    """Block the prompt itself (Gemini ``promptFeedback.blockReason``); others ignore it."""

    @classmethod
    def from_json(cls, data: object) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        unknown = set(data) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        fault = cls(**data)
        if fault.count < 1:
            raise ValueError("count must be >= 1")
        if not set(fault.match) <= {"path", "model"}:
            raise ValueError("match accepts only 'path' and 'model'")
        return fault

    def matches(self, path: str, model: str | None) -> bool:
        wanted_path = self.match.get("path")
        wanted_model = self.match.get("model")
        if wanted_path is not None and wanted_path not in path:
            return False
        return wanted_model is None or wanted_model == model

    @property
    def affects_stream(self) -> bool:
        return any(
            v is not None
            for v in (
                self.cut_after_chunks,
                self.stall_after_chunks,
                self.malformed_after_chunks,
                self.stream_error_after_chunks,
            )
        ) or bool(self.no_done or self.chunk_delay_ms or self.first_token_delay_ms)


FAULT_KEYS = frozenset(f.name for f in fields(Fault))


class FaultPlan:
    """Pending faults, safe to use from the server loop and from a test's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, faults: Sequence[Fault]) -> int:
        with self._lock:
            self._faults.extend(faults)
            return len(self._faults)

    def take(self, path: str, model: str | None) -> Fault | None:
        """The first pending fault matching this request, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, model):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


_LOG_ENTRY = web.RequestKey("emulator_log_entry", dict)


class RequestLog:
    """Every request an emulator received (control requests excluded), auth redacted.

    Header names are logged lowercased: HTTP does not care how a client spells them, and
    clients differ (hyper sends ``X-Goog-Api-Key``, aiohttp what it was given)."""

    REDACTED = ("authorization", "x-api-key", "x-goog-api-key", "api-key")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def record(self, request: web.Request, body: Any) -> None:
        headers = {
            k.lower(): ("<redacted>" if k.lower() in self.REDACTED else v)
            for k, v in request.headers.items()
        }
        entry = {
            "time": time.monotonic(),
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": headers,
            "body": body,
        }
        with self._lock:
            self._entries.append(entry)
        request[_LOG_ENTRY] = entry

    @staticmethod
    def set_outcome(request: web.Request, outcome: str) -> None:
        """Note how a request's answer ended: completed, aborted, client_disconnected."""
        entry = request.get(_LOG_ENTRY)
        if entry is not None:
            entry["outcome"] = outcome

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(slots=True)
class EmulatorState:
    """What the control endpoints and the protocol handlers share."""

    faults: FaultPlan = field(default_factory=FaultPlan)
    log: RequestLog = field(default_factory=RequestLog)
    stopping: asyncio.Event | None = None
    """Set when the server stops, so stalled streams end promptly."""


def parse_faults(payload: object) -> list[Fault]:
    items = payload if isinstance(payload, list) else [payload]
    return [Fault.from_json(item) for item in items]


def control_routes(state: EmulatorState) -> list[web.RouteDef]:
    async def add_faults(request: web.Request) -> web.Response:
        try:
            faults = parse_faults(orjson.loads(await request.read()))
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"queued": state.faults.add(faults)})

    async def list_requests(_: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(state.log.entries()), content_type="application/json")

    async def reset(_: web.Request) -> web.Response:
        state.faults.clear()
        state.log.clear()
        return web.json_response({"reset": True})

    return [
        web.post(f"{CONTROL_PREFIX}/faults", add_faults),
        web.get(f"{CONTROL_PREFIX}/requests", list_requests),
        web.post(f"{CONTROL_PREFIX}/reset", reset),
    ]


def abort_connection(request: web.Request) -> None:
    """Drop the client's TCP connection with a RST (SO_LINGER 0), not a graceful FIN."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def sleep_ms(ms: float, state: EmulatorState) -> None:
    """Sleep, but wake up early when the server is stopping."""
    if ms <= 0:
        return
    if state.stopping is None:
        await asyncio.sleep(ms / 1000)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.stopping.wait(), ms / 1000)


async def first_token_wait(ms: float, request: web.Request, state: EmulatorState) -> None:
    """The wait before a stream's first token (a model thinking), cut short when the server
    stops. A client that leaves meanwhile ends the stream there (``ConnectionResetError``),
    as a provider stops generating for nobody; checked every 50 ms."""
    deadline = time.monotonic() + ms / 1000
    while (left := deadline - time.monotonic()) > 0:
        await sleep_ms(min(left * 1000, 50), state)
        if state.stopping is not None and state.stopping.is_set():
            return
        if request.transport is None or request.transport.is_closing():
            raise ConnectionResetError("the client left before the first token")


@dataclass(slots=True)
class StreamPlan:
    """A stream as the protocol would send it: framed events, keep-alives, terminator."""

    events: list[bytes]
    terminator: bytes | None
    error_event: bytes | None = None
    """The provider's in-stream error event, for ``stream_error_after_chunks``."""
    keepalive: bytes | None = None
    """A comment frame the provider interleaves (not counted as an event)."""
    keepalive_every: int = 0
    malformed: bytes = b'data: {"id":"chatcmpl-broken","choices":[{"index":0,"delta":{"cont\n\n'


async def send_stream(
    request: web.Request,
    response: web.StreamResponse,
    plan: StreamPlan,
    fault: Fault | None,
    state: EmulatorState,
) -> web.StreamResponse | None:
    """Send ``response``'s head, then write ``plan`` to it, applying ``fault``; log how it
    ended.

    Returns the response, or None when the connection was aborted (by the fault or the peer,
    who may have left before the head went out).
    """
    try:
        await response.prepare(request)
        result = await _send_stream(request, response, plan, fault, state)
    except ConnectionResetError:
        # The client went away mid-stream: what a gateway must do when its own client leaves.
        RequestLog.set_outcome(request, "client_disconnected")
        return None
    RequestLog.set_outcome(request, "completed" if result is not None else "aborted")
    return result


async def _send_stream(
    request: web.Request,
    response: web.StreamResponse,
    plan: StreamPlan,
    fault: Fault | None,
    state: EmulatorState,
) -> web.StreamResponse | None:
    """Write ``plan`` to the prepared ``response``, applying ``fault``.

    Returns the response, or None when the connection was deliberately aborted.
    """
    f = fault or Fault()
    await first_token_wait(f.first_token_delay_ms, request, state)
    if plan.keepalive is not None:
        await response.write(plan.keepalive)
    for sent, event in enumerate(plan.events):
        if f.cut_after_chunks == sent:
            abort_connection(request)
            return None
        if f.stall_after_chunks == sent:
            await sleep_ms(f.stall_ms, state)
            abort_connection(request)
            return None
        if f.malformed_after_chunks == sent:
            await response.write(plan.malformed)
        if f.stream_error_after_chunks == sent and plan.error_event is not None:
            await response.write(plan.error_event)
            break
        if sent and f.chunk_delay_ms:
            await sleep_ms(f.chunk_delay_ms, state)
        if plan.keepalive is not None and plan.keepalive_every and sent % plan.keepalive_every == 0:
            await response.write(plan.keepalive)
        await response.write(event)
    if f.cut_after_chunks is not None and f.cut_after_chunks >= len(plan.events):
        abort_connection(request)
        return None
    if f.stall_after_chunks is not None and f.stall_after_chunks >= len(plan.events):
        await sleep_ms(f.stall_ms, state)
        abort_connection(request)
        return None
    if plan.terminator is not None and not f.no_done:
        await response.write(plan.terminator)
    await response.write_eof()
    return response


ErrorFor = Callable[[int], web.Response]
"""Builds the provider's real error response for an HTTP status."""


async def apply_before_headers(
    request: web.Request, fault: Fault | None, state: EmulatorState, error_for: ErrorFor
) -> web.StreamResponse | None:
    """Apply the parts of ``fault`` that act before any byte is sent.

    Returns the response to send instead of the real answer, or None to carry on.
    """
    if fault is None:
        return None
    await sleep_ms(fault.latency_ms, state)
    if fault.latency_ms and (request.transport is None or request.transport.is_closing()):
        # The caller gave up while we "worked": note it, as a provider's logs would.
        RequestLog.set_outcome(request, "client_disconnected")
    if fault.reset:
        abort_connection(request)
        return web.Response(status=499)
    if fault.status is None:
        return None
    if fault.body is not None:
        response = web.Response(
            status=fault.status, body=orjson.dumps(fault.body), content_type="application/json"
        )
    else:
        response = error_for(fault.status)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = f"{fault.retry_after:g}"
    return response


async def read_json(request: web.Request) -> tuple[Any, bool]:
    """The request body parsed as JSON, and whether it parsed."""
    raw = await request.read()
    try:
        return orjson.loads(raw), True
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace"), False
