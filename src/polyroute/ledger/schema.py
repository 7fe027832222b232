"""The ledger's tables, as SQLAlchemy Core (no ORM: rows go in by the batch, out by the page).

``ledger_calls`` holds one row per call, ``ledger_attempts`` one per attempt. Money is an
integer count of 1e-10 USD (``UsdAmount``): exact on SQLite, which has no exact decimal
type, and summed exactly by both databases. Times are stored as naive UTC (``UtcDateTime``)
and come back timezone-aware. The migrations in ``migrations/versions`` create exactly this.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

COST_SCALE = 10
"""Decimal places of stored costs: amounts are kept as integers of 10**-COST_SCALE USD."""
_QUANTUM = Decimal(1).scaleb(-COST_SCALE)


def quantize_usd(amount: Decimal) -> Decimal:
    """An amount rounded (half-even) to what the ledger stores."""
    return amount.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


class UsdAmount(TypeDecorator[Decimal]):
    """A ``Decimal`` dollar amount stored as a BIGINT of 1e-10 USD (max ~9.2e8 USD a row)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(quantize_usd(Decimal(value)).scaleb(COST_SCALE))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # SUM() of a BIGINT is NUMERIC on PostgreSQL (a Decimal), an int on SQLite.
        return quantize_usd(Decimal(value).scaleb(-COST_SCALE))


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware ``datetime`` stored as naive UTC, read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        # The text SQLAlchemy's SQLite DATETIME writes ("2026-11-25 15:48:45.123456"),
        # written by ``isoformat`` in one step: 0.9 µs a value against 1.9 through this
        # type and DATETIME's formatter, twice per call on the ledger's hot path.
        return _sqlite_utc_text


def _sqlite_utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is UTC:  # the ledger's own times: the text without its "+00:00"
        return value.isoformat(" ", "microseconds")[:26]
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


# Column lengths; longer values are clipped by the writer, never rejected.
ID_LEN, NAME_LEN, MODEL_LEN, LABEL_LEN = 64, 64, 160, 32

metadata = MetaData()


def _usage_columns() -> list[Column[Any]]:
    return [
        Column("input_tokens", Integer, nullable=False, default=0),
        Column("output_tokens", Integer, nullable=False, default=0),
        Column("cached_read_tokens", Integer, nullable=False, default=0),
        Column("cache_write_tokens", Integer, nullable=False, default=0),
        Column("reasoning_tokens", Integer, nullable=False, default=0),
        Column(
            "cost_usd", UsdAmount, nullable=False, default=Decimal(0), comment="units of 1e-10 USD"
        ),
        Column("catalog_version", String(ID_LEN)),  # e.g. "2026-08-28+litellm.8943af58bf9f+config"
        Column("priced", Boolean, nullable=False, default=True),
        Column("usage_estimated", Boolean, nullable=False, default=False, server_default=false()),
        Column("latency_ms", Integer),
        Column("ttft_ms", Integer),
    ]


calls = Table(
    "ledger_calls",
    metadata,
    Column("request_id", String(ID_LEN), primary_key=True),
    Column("ts", UtcDateTime, nullable=False, comment="UTC"),
    Column("key_id", String(ID_LEN)),
    Column("route", String(NAME_LEN)),
    Column("decision", String(ID_LEN)),  # e.g. "route=auto;strategy=tiered;tier=code"
    Column("provider", String(NAME_LEN)),
    Column("model", String(MODEL_LEN)),
    Column("status", String(LABEL_LEN), nullable=False),
    Column("error_kind", String(LABEL_LEN)),
    Column("http_status", SmallInteger),
    *_usage_columns(),
    Column("overhead_ms", Integer),
    Column("attempts", SmallInteger, nullable=False, default=1),
    Column("client_disconnected", Boolean, nullable=False, default=False),
    Column("stream", Boolean, nullable=False, default=False),
    Index("ix_ledger_calls_ts", "ts", "request_id"),
    Index("ix_ledger_calls_key_ts", "key_id", "ts"),
    Index("ix_ledger_calls_model_ts", "model", "ts"),
    Index("ix_ledger_calls_provider_ts", "provider", "ts"),
)

attempts = Table(
    "ledger_attempts",
    metadata,
    Column("request_id", String(ID_LEN), primary_key=True),
    Column("attempt", SmallInteger, primary_key=True),
    Column("ts", UtcDateTime, nullable=False, comment="UTC"),
    Column("provider", String(NAME_LEN), nullable=False),
    Column("model", String(MODEL_LEN), nullable=False),
    Column("status", String(LABEL_LEN), nullable=False),
    Column("error_kind", String(LABEL_LEN)),
    Column("http_status", SmallInteger),
    *_usage_columns(),
    Column("stream", Boolean, nullable=False, default=False),
    Index("ix_ledger_attempts_ts", "ts"),
)
