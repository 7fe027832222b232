"""From a finished call to its ledger records: the dispatcher's ``recorder``.

``Dispatcher(..., recorder=LedgerRecorder(ledger, router.cost))``: when a call ends, each
attempt is priced at its own provider's list price from the usage that provider reported,
and the call's tokens and cost are the sums over its attempts — what the team pays, fallbacks
and broken streams included.

Records are made off the request's path: the recorder only queues the finished call. On
the event loop, once the call's response has gone out, its records are made; while other
calls are in flight they wait, ``delay`` at most, to be made with theirs, then go to the
ledger's writer to be written at once, so a record still reaches the database within
``delay`` plus one commit. Made one call at a time amid each request's own work, records
cost the serving core ~20 µs a call more than made a flush interval of calls at a time,
code and data hot (measured with both builds side by side on one core, ``benchmarks/ab.py``).
On the loop rather than on the writer's thread: a batch made there holds the GIL in bursts
that a request arriving meanwhile waits out, up to the 5 ms switch interval (the c=1
benchmark's p99 rose 0.6-0.9 ms).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from polyroute.canonical import Usage
from polyroute.errors import PolyrouteError, UpstreamError, UpstreamKind
from polyroute.ledger.records import AttemptRecord, CallRecord, usage_fields

if TYPE_CHECKING:
    from polyroute.catalog import Cost
    from polyroute.gateway.calls import Attempt, CallInfo
    from polyroute.gateway.targets import Target
    from polyroute.ledger.service import Ledger

log = logging.getLogger("polyroute.ledger")

CostFunction = Callable[["Target", Usage], "Cost"]
"""List price of a usage at a target (``Router.cost``)."""


class LedgerRecorder:
    def __init__(
        self, ledger: Ledger, cost: CostFunction, *, delay: float = 0.02, batch: int = 1000
    ) -> None:
        self._ledger = ledger
        self._cost = cost
        self._delay = delay
        self._batch = batch
        self._queued: list[CallInfo] = []
        self._flush: asyncio.Handle | None = None
        self._flush_soon = False

    def __call__(self, info: CallInfo, busy: bool = False) -> None:
        """Queue the finished call for recording. Never raises: a record is not worth
        failing a call.

        ``busy``: other calls are still in flight, so the records wait (``delay`` at most)
        to be made with theirs. Otherwise they are made as soon as this call's response is
        out, which costs the next request nothing: at concurrency 1, a batch made while a
        request waits is that request's latency (the c=1 benchmark's p99 rose 0.5-1.3 ms).
        Outside an event loop, they are made at once.
        """
        self._queued.append(info)
        # A flush already on its way takes these too; asked first, so that the loop is not
        # looked up for nothing (in Python 3.11 a lookup is a getpid() system call).
        if self._flush_soon or (
            busy and self._flush is not None and len(self._queued) < self._batch
        ):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if busy and len(self._queued) < self._batch:
            if self._flush is None:
                self._flush = loop.call_later(self._delay, self._flush_late)
            return
        if self._flush is not None:
            self._flush.cancel()
        self._flush, self._flush_soon = loop.call_soon(self.flush), True

    def flush(self) -> None:
        """Submit the records of every queued call (the app's shutdown calls it before the
        ledger drains)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush, self._flush_soon = None, False
        queued, self._queued = self._queued, []
        for info in queued:
            self._submit(info)

    def _flush_late(self) -> None:
        # These records have waited ``delay`` already: the writer takes them now rather
        # than at its next interval.
        self.flush()
        self._ledger.writer.write_soon()

    def _submit(self, info: CallInfo) -> None:
        try:
            call, attempts = call_records(info, self._cost)
        except Exception:
            log.exception("ledger: no records for %s", getattr(info, "request_id", info))
            return
        for attempt in attempts:
            self._ledger.submit(attempt)
        self._ledger.submit(call)


def call_records(info: CallInfo, cost: CostFunction) -> tuple[CallRecord, list[AttemptRecord]]:
    ended = info.ended if info.ended is not None else info.started
    attempts = [
        _attempt_record(info, n, attempt, cost, ended)
        for n, attempt in enumerate(info.attempts, start=1)
    ]
    usage = _sum_usage([a.usage for a in info.attempts if a.usage is not None]) or info.usage
    latency = _ms(ended - info.started)
    in_attempts = sum(_ms((a.ended or ended) - a.started) for a in info.attempts)
    first_events = [a.first_event for a in info.attempts if a.first_event is not None]
    target = info.answered_by
    error = info.error
    call = CallRecord(
        request_id=info.request_id,
        ts=datetime.fromtimestamp(info.received_at, UTC),
        status=_status(error, info.client_disconnected),
        key_id=info.key_id,
        route=info.decision.route if info.decision else None,
        decision=info.decision.header_value() if info.decision else None,
        provider=target.provider if target else None,
        model=target.model if target else None,
        error_kind=_error_kind(error),
        http_status=_http_status(error),
        cost_usd=sum((a.cost_usd for a in attempts), Decimal(0)),
        catalog_version=next((a.catalog_version for a in attempts if a.catalog_version), None),
        priced=all(a.priced for a in attempts),
        usage_estimated=any(a.usage_estimated for a in attempts),
        latency_ms=latency,
        ttft_ms=_ms(min(first_events) - info.started) if first_events else None,
        overhead_ms=max(0, latency - in_attempts),
        attempts=len(attempts),
        client_disconnected=info.client_disconnected,
        stream=info.stream,
        **usage_fields(usage),
    )
    return call, attempts


def _attempt_record(
    info: CallInfo, n: int, attempt: Attempt, cost: CostFunction, call_ended: float
) -> AttemptRecord:
    target = attempt.target
    price = attempt.cost(cost)
    in_flight = attempt.error is None and attempt.ended is None
    status = _status(attempt.error, info.client_disconnected and in_flight)
    return AttemptRecord(
        request_id=info.request_id,
        attempt=n,
        ts=datetime.fromtimestamp(info.received_at + (attempt.started - info.started), UTC),
        status=status,
        provider=target.provider,
        model=target.model,
        error_kind=_error_kind(attempt.error),
        http_status=_http_status(attempt.error) if status != "client_disconnected" else None,
        cost_usd=price.usd,
        catalog_version=price.catalog_version,
        priced=price.priced,
        usage_estimated=attempt.usage_estimated,
        latency_ms=_ms((attempt.ended or call_ended) - attempt.started),
        ttft_ms=_ms(attempt.first_event - attempt.started) if attempt.first_event else None,
        stream=info.stream,
        **usage_fields(attempt.usage),
    )


def _status(error: BaseException | None, disconnected: bool) -> str:
    if disconnected:
        return "client_disconnected"
    if error is None:
        return "ok"
    if isinstance(error, UpstreamError) and error.kind is UpstreamKind.STREAM_BROKEN:
        return "stream_broken"
    return "error"


def _error_kind(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, UpstreamError):
        return error.kind.value
    if isinstance(error, PolyrouteError):
        return error.code or error.type
    return "internal"


def _http_status(error: BaseException | None) -> int:
    if error is None:
        return 200
    return error.status if isinstance(error, PolyrouteError) else 500


def _sum_usage(usages: list[Usage]) -> Usage | None:
    if len(usages) < 2:
        return usages[0] if usages else None
    return Usage(
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cached_input_tokens=sum(u.cached_input_tokens for u in usages),
        cache_write_tokens=sum(u.cache_write_tokens for u in usages),
        reasoning_tokens=sum(u.reasoning_tokens for u in usages),
    )


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))
