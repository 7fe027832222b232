"""Carrying one call through its route: attempts, retries, failover, health.

For each target of the router's decision, in order: ask the circuit breaker, make the
attempt, and on failure either retry the same target (``RetryPolicy``), move to the next
(``UpstreamError.failover``) or stop (the caller's own error). A stream is committed to a
target once its first event has arrived, so a stream that fails before then fails over
invisibly; one that breaks later is handled by ``continuation.py``. Until its answer or
its stream's first event, the call is bounded by ``timeouts.total``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

from polyroute.adapters.base import Adapter
from polyroute.canonical import (
    AnyRequest,
    ChatRequest,
    EmbeddingRequest,
    FimRequest,
    StreamEvent,
    StreamFailure,
)
from polyroute.config import TimeoutConfig
from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.gateway.calls import Attempt, CallInfo
from polyroute.gateway.continuation import StreamGuard, close_stream
from polyroute.gateway.pool import ProviderPool
from polyroute.gateway.retry import RetryPolicy
from polyroute.gateway.targets import Target, TargetResolver
from polyroute.limits import Gatekeeper
from polyroute.limits.estimate import reservation
from polyroute.routing.decision import RouteDecision
from polyroute.routing.features import estimate_input_tokens
from polyroute.routing.router import Router

T = TypeVar("T")
Send = Callable[[Adapter, Target], Awaitable[T]]
OpenStream = Callable[[Adapter, Target], AsyncIterator[StreamEvent]]
Recorder = Callable[[CallInfo, bool], None]
"""Takes a finished call, and whether other calls are still in flight."""

log = logging.getLogger("polyroute.gateway")

_CLOCK_SLACK = 0.1
"""Seconds an attempt's own clock may end after the call's budget without a timer for the
budget (the resolution of the whole-answer clock, ``adapters/deadlines.py``; see ``_run``)."""


class Dispatcher:
    def __init__(
        self,
        router: Router,
        resolver: TargetResolver,
        pool: ProviderPool,
        retry: RetryPolicy,
        timeouts: TimeoutConfig,
        recorder: Recorder | None = None,
        gatekeeper: Gatekeeper | None = None,
    ) -> None:
        self.router = router
        self._resolver = resolver
        self._pool = pool
        self._gatekeeper = gatekeeper
        self._retry = retry
        self._total = timeouts.total
        self._first_event = timeouts.first_byte
        self._answer = timeouts.answer
        self.recorder = recorder
        self._in_flight = 0
        """Calls begun and not yet finished (their books not closed)."""

    def decide(self, request: AnyRequest, info: CallInfo) -> RouteDecision:
        if isinstance(request, EmbeddingRequest):
            # Embeddings are routed in the order the route lists them: prices, context
            # windows and tiers are about generation.
            plan = self._resolver.resolve(request.model)
            strategy = "ordered" if plan.route else "direct"
            info.decision = RouteDecision(plan.route, strategy, plan.targets)
        else:
            info.decision = self.router.decide(request, request.model)
        return info.decision

    async def admit(self, request: AnyRequest, info: CallInfo, decision: RouteDecision) -> None:
        """The caller's model allow-list, rate limits and budgets, before any provider call."""
        principal = info.principal
        if principal is None:
            return
        principal.require(request.model)
        if self._gatekeeper is not None and principal.key is not None:
            usd, tokens = reservation(self.router, decision.targets, request)
            info.admission = await self._gatekeeper.admit(principal, usd, tokens)

    async def finish(self, info: CallInfo) -> None:
        """Close the call's books: settle what was reserved, then write the ledger."""
        info.ended = time.monotonic()
        self._in_flight -= 1
        if info.admission is not None and self._gatekeeper is not None:
            tokens = sum(a.usage.total_tokens for a in info.attempts if a.usage)
            await self._gatekeeper.settle(info.admission, self.cost_usd(info), tokens)
        if self.recorder is not None:
            self.recorder(info, self._in_flight > 0)

    async def call(
        self, request: AnyRequest, info: CallInfo, send: Send[T], *, record: bool = True
    ) -> T:
        """Run ``send`` against the decision's targets until one succeeds.

        ``record=False`` for calls that are not billed completions (token counting).
        """
        if record:
            self._in_flight += 1
        try:
            decision = self.decide(request, info)
            if record:
                await self.admit(request, info, decision)

            async def once(adapter: Adapter, target: Target, attempt: Attempt) -> T:
                result = await send(adapter, target)
                attempt.first_event = time.monotonic()
                attempt.usage = getattr(result, "usage", None)
                self.succeeded(attempt)
                return result

            result = await self._run(request, info, decision.targets, once, self._answer)
            info.usage = getattr(result, "usage", None)
            info.cost_usd = self.cost_usd(info)
            return result
        except BaseException as exc:
            info.error = exc
            if info.client_disconnected:
                _estimate_abandoned(request, info)
            raise
        finally:
            if record:
                await self.finish(info)

    async def stream(
        self, request: ChatRequest | FimRequest, info: CallInfo, open_stream: OpenStream
    ) -> AsyncIterator[StreamEvent]:
        """Open a stream on the first target whose first event arrives.

        Raises ``UpstreamError`` when none does; the iterator returned starts with that first
        event, and the call's books close when it is exhausted or closed.
        """
        info.stream = True
        self._in_flight += 1
        try:
            decision = self.decide(request, info)
            await self.admit(request, info, decision)

            async def once(
                adapter: Adapter, target: Target, attempt: Attempt
            ) -> tuple[StreamEvent, AsyncIterator[StreamEvent]]:
                events = open_stream(adapter, target)
                try:
                    # Headers and the first event, each bounded: a provider that answers
                    # 200 and then says nothing is failed over like one that never answered.
                    async with asyncio.timeout(self._first_event):
                        first = await anext(events)
                except TimeoutError:
                    await close_stream(events)
                    raise UpstreamError(
                        UpstreamKind.TIMEOUT,
                        f"{target.provider}: no first token within {self._first_event:g} s",
                        target.provider,
                        504,
                    ) from None
                except StopAsyncIteration:
                    raise UpstreamError(
                        UpstreamKind.STREAM_BROKEN,
                        f"{target.provider}: empty stream",
                        target.provider,
                    ) from None
                except BaseException:
                    await close_stream(events)
                    raise
                if isinstance(first, StreamFailure):
                    await close_stream(events)
                    raise first.error
                attempt.first_event = time.monotonic()
                return first, events

            first, events = await self._run(
                request, info, decision.targets, once, self._first_event
            )
        except BaseException as exc:
            info.error = exc
            if info.client_disconnected:
                _estimate_abandoned(request, info)
            await self.finish(info)
            raise
        guard = StreamGuard(self, request, info)
        return guard.run(first, events)

    async def _run(
        self,
        request: AnyRequest,
        info: CallInfo,
        targets: tuple[Target, ...],
        once: Callable[[Adapter, Target, Attempt], Awaitable[T]],
        clock: float,
    ) -> T:
        """``clock``: the seconds each attempt is bounded by on its own (a whole answer's
        ``timeouts.answer``, a stream's ``first_byte``)."""
        deadline = info.started + self._total
        last_error: UpstreamError | None = None
        context_floor: int | None = None
        for target in targets:
            if context_floor is not None and not self._larger_context(target, context_floor):
                continue
            adapter = await self.adapter(target, info)
            tries = 0
            while True:
                if not self.router.health.allow(target):
                    break
                attempt = info.begin(target, adapter.unsupported_params(request))
                # Every attempt already runs on a clock of its own (the adapter's for a whole
                # answer, the first-event one for a stream), so while that clock ends before
                # the budget does, give or take its resolution, the budget cannot run out
                # during the attempt and needs no timer of its own: one timer less per call,
                # ~1.5% of its CPU (measured, both builds on one core). With the defaults
                # (answer = total) a first attempt is timed by its clock alone.
                # tests/fallback/test_call_budget.py covers the other case.
                budget = deadline - time.monotonic()
                try:
                    if budget > clock - _CLOCK_SLACK:
                        result = await once(adapter, target, attempt)
                    else:
                        async with asyncio.timeout(max(budget, 0.001)):
                            result = await once(adapter, target, attempt)
                except TimeoutError:
                    error = UpstreamError(
                        UpstreamKind.TIMEOUT,
                        f"{target.provider}: the call's {self._total:g} s budget ran out",
                        target.provider,
                        504,
                    )
                    self.failed(info, attempt, error)
                    raise error from None
                except UpstreamError as error:
                    self.failed(info, attempt, error)
                    last_error = error
                    wait = self._retry.wait_before_retry(error, tries, deadline - time.monotonic())
                    if wait is not None:
                        tries += 1
                        await asyncio.sleep(wait)
                        continue
                    if not self._retry.fails_over(error):
                        raise
                    if error.kind is UpstreamKind.CONTEXT_LENGTH:
                        context_floor = self._context_window(target)
                    break
                self.router.health.record_success(target)
                return result
        if last_error is not None:
            raise last_error
        raise UpstreamError(
            UpstreamKind.OVERLOADED,
            "every target of this route is failing: its circuits are open, retry later",
            "polyroute",
            503,
        )

    def failed(self, info: CallInfo, attempt: Attempt, error: UpstreamError) -> None:
        """Every failed attempt passes here, streaming or not, first or continuing: its one
        log line is written here (the message was redacted where the provider's error was
        read, adapters/http.py)."""
        attempt.error = error
        attempt.ended = time.monotonic()
        self.router.health.record_failure(attempt.target, error.kind)
        # WARNING when the provider, the way to it or the operator's account failed, or the
        # call moves on to another target; INFO for the caller's own mistake (an invalid
        # request, a content-policy refusal): the caller is told, nothing needs an operator,
        # and a client sending bad requests must not flood the warnings.
        level = logging.WARNING if error.failover or error.status >= 500 else logging.INFO
        target = attempt.target
        log.log(
            level,
            "attempt failed: request_id=%s provider=%s model=%s status=%d kind=%s: %s",
            info.request_id,
            target.provider,
            target.model,
            error.status,
            error.kind.value,
            error.message,
        )

    def succeeded(self, attempt: Attempt) -> None:
        """A stream attempt that ran to its end: feed the latency book."""
        attempt.ended = time.monotonic()
        if attempt.first_event is None:
            return
        ttft = attempt.first_event - attempt.started
        generating = attempt.ended - attempt.first_event
        output = attempt.usage.output_tokens if attempt.usage else 0
        rate = output / generating if output and generating > 0 else None
        self.router.latency.observe(attempt.target, ttft, rate)

    def cost_usd(self, info: CallInfo) -> Decimal:
        """List-price cost of every attempt that reported usage."""
        return sum(
            (a.cost(self.router.cost).usd for a in info.attempts if a.usage),
            Decimal(0),
        )

    async def adapter(self, target: Target, info: CallInfo) -> Adapter:
        return await self._pool.adapter(target.provider, info.principal)

    def _context_window(self, target: Target) -> int | None:
        entry = self.router.entry(target)
        return entry.context_window if entry else None

    def _larger_context(self, target: Target, floor: int | None) -> bool:
        window = self._context_window(target)
        return floor is None or window is None or window > floor


def _estimate_abandoned(request: AnyRequest, info: CallInfo) -> None:
    """The client left while an attempt was waiting for its answer or its stream's first
    event (``DisconnectWatch`` cancelled it): the provider had the prompt and may well bill
    it, so the attempt is recorded at its estimated input, flagged, rather than as free.
    What it had generated is unknown and counted as nothing. Otherwise a caller could spend
    a provider's input tokens outside its budget by hanging up before every answer."""
    for attempt in info.attempts:
        if attempt.ended is None and attempt.usage is None:
            attempt.estimate_usage(estimate_input_tokens(request), 0)
