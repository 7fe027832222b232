"""Carrying one call to the targets of its plan, in order, until one answers.

Failures the caller must fix stop at once; failures of a provider (``UpstreamError.failover``)
move on to the next target. A stream is committed to a target only once its first event
has arrived, so a stream that fails before then fails over invisibly.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from polyroute.adapters.base import Adapter
from polyroute.canonical import ChatRequest, StreamEvent, StreamFailure
from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.gateway.targets import Plan, Target, TargetResolver

T = TypeVar("T")


def new_request_id() -> str:
    return "req_" + os.urandom(12).hex()


@dataclass(slots=True)
class CallInfo:
    """What the response headers and the call record say about a call."""

    request_id: str
    route: str | None = None
    provider: str | None = None
    model: str | None = None
    attempts: int = 0
    dropped: list[str] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        headers = {"x-request-id": self.request_id, "x-polyroute-attempts": str(self.attempts)}
        if self.provider:
            headers["x-polyroute-provider"] = self.provider
        if self.model:
            headers["x-polyroute-model"] = self.model
        if self.route:
            headers["x-polyroute-route"] = self.route
        if self.dropped:
            headers["x-polyroute-dropped-params"] = ",".join(self.dropped)
        return headers


class Dispatcher:
    def __init__(self, resolver: TargetResolver, adapters: Mapping[str, Adapter]) -> None:
        self._resolver = resolver
        self._adapters = adapters

    def plan(self, model: str, info: CallInfo) -> Plan:
        plan = self._resolver.resolve(model)
        info.route = plan.route
        return plan

    async def call(
        self,
        model: str,
        info: CallInfo,
        send: Callable[[Adapter, Target], Awaitable[T]],
        request: ChatRequest | None = None,
    ) -> T:
        """Run ``send`` against each target in turn until one succeeds."""
        plan = self.plan(model, info)
        last = len(plan.targets) - 1
        for i, target in enumerate(plan.targets):
            adapter = self._start_attempt(target, info, request)
            try:
                return await send(adapter, target)
            except UpstreamError as exc:
                if i == last or not exc.failover:
                    raise
        raise AssertionError("a plan always has a target")

    async def stream(
        self,
        model: str,
        info: CallInfo,
        open_stream: Callable[[Adapter, Target], AsyncIterator[StreamEvent]],
        request: ChatRequest | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Open a stream on the first target whose first event arrives.

        Raises ``UpstreamError`` when no target produced a first event; the returned
        iterator starts with that first event.
        """
        plan = self.plan(model, info)
        last = len(plan.targets) - 1
        for i, target in enumerate(plan.targets):
            adapter = self._start_attempt(target, info, request)
            events = open_stream(adapter, target)
            try:
                first = await anext(events)
                if isinstance(first, StreamFailure):
                    raise first.error
            except StopAsyncIteration:
                first = StreamFailure(
                    UpstreamError(UpstreamKind.STREAM_BROKEN, "empty stream", target.provider)
                )
                await _close(events)
                if i == last:
                    raise first.error from None
                continue
            except UpstreamError as exc:
                await _close(events)
                if i == last or not exc.failover:
                    raise
                continue
            return _prepend(first, events)
        raise AssertionError("a plan always has a target")

    def _start_attempt(
        self, target: Target, info: CallInfo, request: ChatRequest | None
    ) -> Adapter:
        adapter = self._adapters[target.provider]
        info.attempts += 1
        info.provider = target.provider
        info.model = target.model
        if request is not None:
            info.dropped = adapter.unsupported_params(request)
        return adapter


async def _close(events: AsyncIterator[StreamEvent]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()


async def _prepend(
    first: StreamEvent, rest: AsyncIterator[StreamEvent]
) -> AsyncIterator[StreamEvent]:
    try:
        yield first
        async for event in rest:
            yield event
    finally:
        await _close(rest)
