"""What the ledger keeps: one ``CallRecord`` per call and one ``AttemptRecord`` per attempt.

Rows are narrow on purpose — ids, short labels and numbers. No prompt, no payload, no copy
of a price: the cost is the amount the catalog computed, with the catalog's version, so a
cost can be re-derived later from the dated catalog rather than from the row.

A call's tokens and cost are the totals of all its attempts (a stream cut short after
output still costs what it produced); its attempts keep the per-target detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from polyroute.canonical import Usage

Status = Literal["ok", "error", "client_disconnected", "stream_broken"]
"""How a call or attempt ended. Stored as short text; new values need no migration."""


def utcnow() -> datetime:
    return datetime.now(UTC)


# Not frozen: a frozen dataclass sets each of its ~25 fields through ``object.__setattr__``,
# 2.0 µs a record against 0.5 (measured), and two records are made per call. Records are
# built, turned into rows and dropped on the request's thread; nothing shares them.
@dataclass(slots=True)
class CallRecord:
    """One client call, as the caller saw it, whatever number of targets it took."""

    request_id: str
    """The ``x-request-id`` the client was given; the primary key."""
    ts: datetime
    """When the call arrived (timezone-aware; stored as UTC)."""
    status: Status | str
    key_id: str | None = None
    """The polyroute key that made the call; ``None`` for the master key."""
    route: str | None = None
    """The route name the client sent as ``model``, or ``None`` for ``provider/model``."""
    decision: str | None = None
    """How the route chose, as in ``x-polyroute-decision`` (``route=auto;strategy=tiered;...``)."""
    provider: str | None = None
    """The provider of the last attempt (the one that answered, on success)."""
    model: str | None = None
    error_kind: str | None = None
    """An ``UpstreamKind`` value or a request error's code, when ``status`` is not ``ok``."""
    http_status: int | None = None
    """The HTTP status the client was sent."""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    """Stored to 10 decimal places (0.1 nano-dollar): exact for every price with up to 4
    decimals per million tokens (the whole catalog today); finer ones round half-even."""
    catalog_version: str | None = None
    priced: bool = True
    """False when the catalog had no price for the model (``cost_usd`` is then 0)."""
    usage_estimated: bool = False
    """Some attempt's tokens are the gateway's estimate: its stream ended (cut, stalled, the
    client gone), or its client hung up before the answer came, before the provider reported
    usage. See ``AttemptRecord.usage_estimated``."""
    latency_ms: int | None = None
    ttft_ms: int | None = None
    """Time to the first byte sent to the client (streams) or to the response."""
    overhead_ms: int | None = None
    """Time spent in the gateway itself, outside upstream calls."""
    attempts: int = 1
    client_disconnected: bool = False
    stream: bool = False


@dataclass(slots=True)
class AttemptRecord:
    """One try of one target within a call; ``attempt`` counts from 1."""

    request_id: str
    attempt: int
    ts: datetime
    status: Status | str
    provider: str
    model: str
    error_kind: str | None = None
    http_status: int | None = None
    """The provider's HTTP status, when it sent one."""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    catalog_version: str | None = None
    priced: bool = True
    usage_estimated: bool = False
    """The tokens are estimated locally (the prompt, and the output that reached the client),
    the provider having never reported them: it most likely billed that much."""
    latency_ms: int | None = None
    ttft_ms: int | None = None
    stream: bool = False


Record = CallRecord | AttemptRecord


def usage_fields(usage: Usage | None) -> dict[str, int]:
    """A canonical ``Usage`` as record keyword arguments: ``CallRecord(..., **usage_fields(u))``."""
    if usage is None:
        return {}
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cached_read_tokens": usage.cached_input_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }
