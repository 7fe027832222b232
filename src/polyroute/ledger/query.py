"""Reading the ledger: one call with its attempts, pages of calls, sums by group.

Every query takes a ``principal``: ``None`` for the master key, which sees every call, or
a key id, which sees only the calls made with that key (never the master's, never another
key's). Calls come newest first, paged by an opaque cursor over ``(ts, request_id)``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select

from polyroute.ledger.records import AttemptRecord, CallRecord
from polyroute.ledger.schema import attempts, calls

Dimension = Literal["key", "model", "provider", "route", "day"]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
MAX_LIMIT = 1000
TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cached_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
)

_GROUPS: dict[Dimension, ColumnElement[Any]] = {
    "key": calls.c.key_id,
    "model": calls.c.model,
    "provider": calls.c.provider,
    "route": calls.c.route,
    "day": func.date(calls.c.ts),  # the UTC day, on SQLite and PostgreSQL alike
}


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which calls to read; every field set narrows the selection. ``end`` is exclusive."""

    key_id: str | None = None
    model: str | None = None
    provider: str | None = None
    route: str | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self, principal: str | None) -> list[ColumnElement[bool]]:
        wanted: list[ColumnElement[bool]] = []
        if principal is not None:
            wanted.append(calls.c.key_id == principal)
        for column, value in (
            (calls.c.key_id, self.key_id),
            (calls.c.model, self.model),
            (calls.c.provider, self.provider),
            (calls.c.route, self.route),
            (calls.c.status, self.status),
        ):
            if value is not None:
                wanted.append(column == value)
        if self.start is not None:
            wanted.append(calls.c.ts >= self.start)
        if self.end is not None:
            wanted.append(calls.c.ts < self.end)
        return wanted


@dataclass(frozen=True, slots=True)
class CallPage:
    calls: list[CallRecord]
    next_cursor: str | None
    """Pass back as ``cursor`` for the next (older) page; ``None`` on the last page."""


@dataclass(frozen=True, slots=True)
class SummaryRow:
    group: dict[str, str | None]
    """The value of each ``group_by`` dimension (``day`` as ``YYYY-MM-DD``, UTC)."""
    calls: int = 0
    errors: int = 0
    """Calls whose status is not ``ok``."""
    tokens: dict[str, int] = field(default_factory=dict)
    cost_usd: Decimal = Decimal(0)
    estimated_calls: int = 0
    """Calls whose tokens (and so cost) are partly the gateway's estimate."""


def get_call(
    engine: Engine, request_id: str, principal: str | None = None
) -> tuple[CallRecord, list[AttemptRecord]] | None:
    """The call and its attempts (in order), or ``None`` if unknown or not the principal's."""
    query = select(calls).where(calls.c.request_id == request_id)
    if principal is not None:
        query = query.where(calls.c.key_id == principal)
    with engine.connect() as connection:
        row = connection.execute(query).one_or_none()
        if row is None:
            return None
        tries = connection.execute(
            select(attempts).where(attempts.c.request_id == request_id).order_by(attempts.c.attempt)
        )
        return CallRecord(**row._mapping), [AttemptRecord(**r._mapping) for r in tries]


def list_calls(
    engine: Engine,
    where: CallFilter = CallFilter(),
    principal: str | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> CallPage:
    limit = max(1, min(limit, MAX_LIMIT))
    conditions = where.conditions(principal)
    if cursor is not None:
        ts, request_id = decode_cursor(cursor)
        conditions.append(
            or_(calls.c.ts < ts, and_(calls.c.ts == ts, calls.c.request_id < request_id))
        )
    query = (
        select(calls)
        .where(*conditions)
        .order_by(calls.c.ts.desc(), calls.c.request_id.desc())
        .limit(limit + 1)
    )
    with engine.connect() as connection:
        records = [CallRecord(**row._mapping) for row in connection.execute(query)]
    more = len(records) > limit
    records = records[:limit]
    last = records[-1] if more else None
    return CallPage(records, encode_cursor(last.ts, last.request_id) if last else None)


def summarize(
    engine: Engine,
    where: CallFilter = CallFilter(),
    principal: str | None = None,
    group_by: Sequence[Dimension] = (),
) -> list[SummaryRow]:
    """Sums per group, ordered by group; with no ``group_by``, one row of totals."""
    groups = [_GROUPS[d].label(d) for d in group_by]
    aggregates = [
        func.count().label("calls"),
        func.sum(case((calls.c.status != "ok", 1), else_=0)).label("errors"),
        *(func.sum(calls.c[name]).label(name) for name in TOKEN_FIELDS),
        func.sum(calls.c.cost_usd).label("cost_usd"),
        func.sum(case((calls.c.usage_estimated, 1), else_=0)).label("estimated_calls"),
    ]
    query = select(*groups, *aggregates).where(*where.conditions(principal))
    if groups:
        query = query.group_by(*(_GROUPS[d] for d in group_by)).order_by(
            *(_GROUPS[d] for d in group_by)
        )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        SummaryRow(
            group={d: None if row._mapping[d] is None else str(row._mapping[d]) for d in group_by},
            calls=row.calls,
            errors=int(row.errors or 0),
            tokens={name: int(row._mapping[name] or 0) for name in TOKEN_FIELDS},
            cost_usd=row.cost_usd if row.cost_usd is not None else Decimal(0),
            estimated_calls=int(row.estimated_calls or 0),
        )
        for row in rows
    ]


def encode_cursor(ts: datetime, request_id: str) -> str:
    raw = f"{ts.isoformat()}|{request_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts, request_id = raw.split("|", 1)
        return datetime.fromisoformat(ts), request_id
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise InvalidCursor("the cursor is not one this API returned") from None
