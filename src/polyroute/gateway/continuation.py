"""Streams after their first byte: pass events on, and never let a broken one pass as whole.

Once content has reached the client the call cannot fail over invisibly. If the stream
breaks (cut, stall, garbage, an in-stream error) while only text has been sent, the answer
is continued on a target that can continue an assistant message (``prefill`` in the
catalog: Mistral's ``prefix``, Anthropic's trailing assistant turn), with the text already
sent as that message, so the client receives one coherent answer. Otherwise, or mid tool
call, the stream ends with an error event. Targets that cannot prefill are not asked: a
"please continue" instruction would produce a second answer, not the rest of the first.

A stream that ends without its usage report (cut, stalled, the client gone) was still
billed: the provider read the prompt and generated at least what reached the client. Such an
attempt's usage is estimated locally and flagged, so the ledger and the budgets count it
rather than recording it as free.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from polyroute.canonical import (
    ChatRequest,
    FimRequest,
    Message,
    ReasoningDelta,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallStart,
    UsageReport,
)
from polyroute.errors import UpstreamError
from polyroute.gateway.calls import Attempt, CallInfo
from polyroute.gateway.targets import Target
from polyroute.routing.features import estimate_input_tokens

if TYPE_CHECKING:
    from polyroute.gateway.dispatch import Dispatcher


def delta_tokens(text: str) -> int:
    """What streaming ``text`` on most likely cost, in output tokens: one at least (providers
    stream about a token a delta), else ~4 characters a token, ~3 bytes for other scripts."""
    if not text:
        return 0
    size = len(text) // 4 if text.isascii() else len(text.encode()) // 3
    return size or 1


class StreamGuard:
    """Runs one committed stream to its end, continuing it elsewhere if it breaks."""

    def __init__(
        self, dispatcher: Dispatcher, request: ChatRequest | FimRequest, info: CallInfo
    ) -> None:
        self._dispatcher = dispatcher
        self._request = request
        self._info = info
        self._text: list[str] = []
        self._in_tool_call = False
        self._continued_on: set[Target] = set()
        """Each target continues a stream at most once: no loops on a flapping provider."""
        self._continuations: list[tuple[Attempt, ChatRequest]] = []
        """The request each continuing attempt was sent (the first one was sent ``request``)."""
        self._carried_output = 0
        """Output tokens (estimated) sent by attempts that broke, added to the client's usage."""

    async def run(
        self, first: StreamEvent, events: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent]:
        info = self._info
        attempt = info.attempts[-1]
        pending: StreamEvent | None = first
        try:
            while True:
                failure = None
                if pending is not None:  # taken from ``events`` already (never a failure)
                    yield self._passed(pending, attempt)
                async for event in events:
                    if isinstance(event, StreamFailure):
                        failure = event
                        break
                    yield self._passed(event, attempt)
                if failure is None:
                    self._dispatcher.succeeded(attempt)
                    return
                await close_stream(events)
                self._dispatcher.failed(info, attempt, failure.error)
                resumed = await self._resume(failure.error)
                if resumed is None:
                    info.error = failure.error
                    yield failure
                    return
                attempt, pending, events = resumed
        except (GeneratorExit, asyncio.CancelledError):
            # The client went away: closing ``events`` below closes the upstream request. The
            # last attempt may be a continuation still waiting for its first event.
            info.client_disconnected = info.attempts[-1].ended is None
            raise
        finally:
            await close_stream(events)
            self._estimate_unreported()
            await self._dispatcher.finish(info)

    def _passed(self, event: StreamEvent, attempt: Attempt) -> StreamEvent:
        """``event`` as the client gets it, having noted what it says."""
        # Counted as sent, for the usage estimate should the provider's report never come.
        if isinstance(event, TextDelta):
            attempt.sent_tokens += delta_tokens(event.text)
            if event.choice == 0:
                self._text.append(event.text)
        elif isinstance(event, ToolCallDelta):
            attempt.sent_tokens += delta_tokens(event.arguments)
            self._in_tool_call = True
        elif isinstance(event, ToolCallStart):
            attempt.sent_tokens += delta_tokens(event.name)
            self._in_tool_call = True
        elif isinstance(event, ReasoningDelta):
            attempt.sent_tokens += delta_tokens(event.text)
        elif isinstance(event, UsageReport):
            attempt.usage = event.usage
            return self._combined(event)
        return event

    def _estimate_unreported(self) -> None:
        """Usage for every attempt that began answering but never reported it, or had the
        prompt when the client left (a continuation waiting for its first event)."""
        for attempt in self._info.attempts:
            if attempt.usage is not None:
                continue
            if attempt.first_event is None and not _left_waiting(attempt):
                continue
            request = next((r for a, r in self._continuations if a is attempt), self._request)
            attempt.estimate_usage(estimate_input_tokens(request), attempt.sent_tokens)

    def _combined(self, report: UsageReport) -> UsageReport:
        usage = report.usage
        if self._carried_output:
            output = usage.output_tokens + self._carried_output
            # The provider's own usage fields (e.g. a charge) describe only its part.
            usage = dataclasses.replace(usage, output_tokens=output, openai_fields=None)
        self._info.usage = usage
        return UsageReport(usage) if usage is not report.usage else report

    async def _resume(
        self, error: UpstreamError
    ) -> tuple[Attempt, StreamEvent | None, AsyncIterator[StreamEvent]] | None:
        request = self._request
        if not isinstance(request, ChatRequest) or self._in_tool_call or (request.n or 1) > 1:
            return None
        sent = "".join(self._text)
        if not sent:
            return None
        continued = dataclasses.replace(
            request,
            messages=[*request.messages, Message("assistant", [TextPart(sent)], prefix=True)],
        )
        dispatcher = self._dispatcher
        decision = self._info.decision
        for target in decision.targets if decision else ():
            entry = dispatcher.router.entry(target)
            if entry is None or not entry.supports("prefill") or target in self._continued_on:
                continue
            if not dispatcher.router.health.allow(target):
                continue
            adapter = await dispatcher.adapter(target, self._info)
            attempt = self._info.begin(target, adapter.unsupported_params(continued))
            attempt.continuation = True
            self._continuations.append((attempt, continued))
            self._continued_on.add(target)
            events = adapter.chat_stream(continued, target.model)
            try:
                first = await anext(events)
                if isinstance(first, StreamFailure):
                    raise first.error
            except (StopAsyncIteration, UpstreamError) as exc:
                await close_stream(events)
                dispatcher.failed(
                    self._info, attempt, exc if isinstance(exc, UpstreamError) else error
                )
                continue
            attempt.first_event = time.monotonic()
            # As for a first attempt: a half-open target whose probe this was is healthy again.
            dispatcher.router.health.record_success(target)
            # Everything sent so far was generated by attempts that broke.
            self._carried_output = sum(
                a.sent_tokens for a in self._info.attempts if a is not attempt
            )
            return attempt, None if isinstance(first, StreamStart) else first, events
        return None


def _left_waiting(attempt: Attempt) -> bool:
    """The attempt was still waiting for its answer when the call ended: its client left."""
    return attempt.ended is None and attempt.error is None


async def close_stream(events: AsyncIterator[StreamEvent]) -> None:
    """Close a stream of events (and so its upstream request) if it can be closed."""
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()
