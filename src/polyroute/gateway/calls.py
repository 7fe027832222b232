"""What one call did: its route decision and every attempt, for headers and the ledger."""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from polyroute.canonical import Usage
from polyroute.errors import UpstreamError
from polyroute.gateway.targets import Target

if TYPE_CHECKING:
    from polyroute.catalog import Cost
    from polyroute.keys import Principal
    from polyroute.limits import Admission
    from polyroute.routing.decision import RouteDecision


# Request ids need to be unique, not secret: a PRNG seeded once from the OS is enough and
# saves a system call per request.
_ids = random.Random(os.urandom(16))


def new_request_id() -> str:
    """``req_`` + 48 bits of Unix milliseconds + 48 random bits, in hex.

    Time first, like a UUIDv7: ids sort by arrival, so the ledger's primary-key index grows
    at its right edge instead of taking inserts all over the tree (measured: a third less
    CPU per written call on SQLite, and a WAL a fraction of the size).
    """
    return f"req_{int(time.time() * 1000) & 0xFFFF_FFFF_FFFF:012x}{_ids.getrandbits(48):012x}"


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def _header_safe(name: str) -> str:
    """A client-chosen field name, fit for a header value (no CR/LF, no commas)."""
    return _UNSAFE.sub("?", name[:64])


@dataclass(slots=True)
class Attempt:
    """One request to one target."""

    target: Target
    started: float
    ended: float | None = None
    first_event: float | None = None
    """When the first stream event (or the whole answer) arrived."""
    error: UpstreamError | None = None
    usage: Usage | None = None
    continuation: bool = False
    """This attempt continued a stream another attempt had begun."""
    sent_tokens: int = 0
    """Output tokens (estimated locally) this attempt streamed on to the client."""
    usage_estimated: bool = False
    """``usage`` is the gateway's estimate: the call ended before the provider reported it
    (a stream cut, stalled or left by its client; an answer its client did not wait for)."""
    _priced: tuple[Usage | None, Cost] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def status(self) -> str:
        return "ok" if self.error is None else self.error.kind.value

    def estimate_usage(self, input_tokens: int, output_tokens: int) -> None:
        """Usage the provider billed but never reported, estimated locally and flagged."""
        self.usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
        self.usage_estimated = True

    def cost(self, price: Callable[[Target, Usage], Cost]) -> Cost:
        """What the attempt cost at ``price``, computed once for the usage it reported.

        A call is priced for its ``x-polyroute-cost-usd`` header and again for its ledger
        record; usage is replaced, never changed in place, when a stream reports more.
        """
        priced = self._priced
        if priced is None or priced[0] is not self.usage:
            priced = self._priced = (self.usage, price(self.target, self.usage or Usage()))
        return priced[1]


@dataclass(slots=True)
class CallInfo:
    """Everything known about a call while it runs; the response headers come from it."""

    request_id: str
    started: float = field(default_factory=time.monotonic)
    received_at: float = field(default_factory=time.time)
    key_id: str | None = None
    principal: Principal | None = None
    """Who is calling; None before authentication (and in tests that skip it)."""
    admission: Admission | None = None
    """What the caller's budgets and rate limits reserved for this call."""
    stream: bool = False
    decision: RouteDecision | None = None
    attempts: list[Attempt] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    usage: Usage | None = None
    """Usage of the answer the client received (all attempts that contributed to it)."""
    cost_usd: Decimal | None = None
    """What the call cost at list price, every attempt included (non-streaming calls)."""
    error: Exception | None = None
    client_disconnected: bool = False
    ended: float | None = None

    def begin(self, target: Target, dropped: list[str]) -> Attempt:
        attempt = Attempt(target, time.monotonic())
        self.attempts.append(attempt)
        self.dropped = dropped
        return attempt

    @property
    def answered_by(self) -> Target | None:
        for attempt in reversed(self.attempts):
            if attempt.error is None:
                return attempt.target
        return self.attempts[-1].target if self.attempts else None

    def headers(self) -> dict[str, str]:
        headers = {"x-request-id": self.request_id, "x-polyroute-attempts": str(len(self.attempts))}
        target = self.answered_by
        if target is not None:
            headers["x-polyroute-provider"] = target.provider
            headers["x-polyroute-model"] = target.model
        if self.decision is not None:
            if self.decision.route:
                headers["x-polyroute-route"] = self.decision.route
            headers["x-polyroute-decision"] = self.decision.header_value()
        if self.dropped:
            headers["x-polyroute-dropped-params"] = ",".join(map(_header_safe, self.dropped))
        if self.cost_usd is not None:
            headers["x-polyroute-cost-usd"] = f"{self.cost_usd.normalize():f}"
        return headers
