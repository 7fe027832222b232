"""Records go in and come back exactly: every field, costs as exact decimals, times in UTC."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from polyroute.canonical import Usage
from polyroute.ledger import AttemptRecord, CallRecord, Ledger, usage_fields
from polyroute.ledger import query as q
from polyroute.ledger.schema import UtcDateTime, calls


def _full_call() -> CallRecord:
    return CallRecord(
        request_id="req_roundtrip",
        ts=datetime(2025, 3, 1, 13, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1))),
        status="stream_broken",
        key_id="key_team_a",
        route="auto",
        decision="tiered:code",
        provider="openai",
        model="gpt-4.1-mini",
        error_kind="stream_broken",
        http_status=200,
        cost_usd=Decimal("0.0123456789"),
        catalog_version="2025-02-15",
        priced=True,
        latency_ms=1234,
        ttft_ms=210,
        overhead_ms=3,
        attempts=2,
        client_disconnected=True,
        stream=True,
        **usage_fields(
            Usage(
                input_tokens=1200,
                output_tokens=345,
                cached_input_tokens=1024,
                cache_write_tokens=7,
                reasoning_tokens=100,
            )
        ),
    )


def _attempts() -> list[AttemptRecord]:
    ts = datetime(2025, 3, 1, 12, 30, 15, tzinfo=UTC)
    return [
        AttemptRecord(
            request_id="req_roundtrip",
            attempt=1,
            ts=ts,
            status="error",
            provider="mistral",
            model="codestral-latest",
            error_kind="rate_limited",
            http_status=429,
            latency_ms=40,
            priced=False,
        ),
        AttemptRecord(
            request_id="req_roundtrip",
            attempt=2,
            ts=ts + timedelta(milliseconds=45),
            status="stream_broken",
            provider="openai",
            model="gpt-4.1-mini",
            input_tokens=1200,
            output_tokens=345,
            cost_usd=Decimal("0.0123456789"),
            catalog_version="2025-02-15",
            latency_ms=1180,
            ttft_ms=160,
            stream=True,
        ),
    ]


def test_call_and_attempts_round_trip_exactly(ledger: Ledger) -> None:
    record = _full_call()
    attempts = _attempts()
    for attempt in reversed(attempts):  # attempts may arrive before their call, in any order
        ledger.submit(attempt)
    ledger.submit(record)
    assert ledger.writer.flush(5)
    found = q.get_call(ledger.engine, "req_roundtrip")
    assert found is not None
    stored, stored_attempts = found
    assert stored == record  # dataclass equality: every field, the time as the same instant
    assert stored.ts.tzinfo is UTC
    assert stored.cost_usd == Decimal("0.0123456789")
    assert isinstance(stored.cost_usd, Decimal)
    assert stored_attempts == attempts
    assert q.get_call(ledger.engine, "req_unknown") is None


def test_the_writer_stores_what_sqlalchemy_would(ledger: Ledger) -> None:
    """The writer's own row conversion (bools as they are, fast SQLite times) leaves in the
    database exactly the values SQLAlchemy's insert of the same record leaves there."""
    record = _full_call()
    ledger.submit(record)
    assert ledger.writer.flush(5)
    twin = {**asdict(record), "request_id": "req_twin"}
    with ledger.engine.begin() as connection:
        connection.execute(calls.insert(), twin)
    with ledger.engine.connect() as connection:
        raw = connection.exec_driver_sql(
            "SELECT * FROM ledger_calls WHERE request_id IN ('req_roundtrip', 'req_twin')"
            " ORDER BY request_id"
        ).all()
    written, by_sqlalchemy = (tuple(row)[1:] for row in raw)  # all but the request id
    assert written == by_sqlalchemy


def test_costs_keep_ten_places_and_sum_exactly(ledger: Ledger, make_call: Any) -> None:
    # Floats could not add these up exactly: 0.1 + 0.2 style drift at every row.
    costs = [Decimal("0.1"), Decimal("0.2"), Decimal("0.0000000001"), Decimal("123456.7890123456")]
    for cost in costs:
        ledger.submit(make_call(cost_usd=cost))
    ledger.submit(make_call(cost_usd=Decimal("0.00000000015")))  # rounds half-even to 2e-10
    assert ledger.writer.flush(5)
    (total,) = q.summarize(ledger.engine)
    assert total.cost_usd == sum(costs) + Decimal("0.0000000002")
    assert str(total.cost_usd) == "123457.0890123459"


def test_duplicate_submissions_are_stored_once(ledger: Ledger, make_call: Any) -> None:
    record = make_call()
    ledger.submit(record)
    assert ledger.writer.flush(5)
    ledger.submit(record)
    assert ledger.writer.flush(5)
    assert q.summarize(ledger.engine)[0].calls == 1


def test_long_labels_are_clipped_not_rejected(ledger: Ledger, make_call: Any) -> None:
    record = make_call(model="m" * 500, decision="d" * 100)
    ledger.submit(record)
    assert ledger.writer.flush(5)
    found = q.get_call(ledger.engine, record.request_id)
    assert found is not None
    assert found[0].model == "m" * 160
    assert found[0].decision == "d" * 64
    assert ledger.writer.stats.dropped == 0


@given(
    when=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offset_minutes=st.none() | st.just(0) | st.integers(-23 * 60, 23 * 60),
)
def test_sqlite_times_are_written_as_sqlalchemy_writes_them(
    when: datetime, offset_minutes: int | None
) -> None:
    """``UtcDateTime``'s SQLite fast path writes the text SQLAlchemy's own DATETIME would."""
    if offset_minutes == 0:
        when = when.replace(tzinfo=UTC)  # the ledger's own times
    elif offset_minutes is not None:
        when = when.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    dialect = sqlite.dialect()
    column_type = UtcDateTime().dialect_impl(dialect)  # as the writer and SQLAlchemy use it
    fast = column_type.bind_processor(dialect)
    generic = TypeDecorator.bind_processor(column_type, dialect)
    assert fast is not None and generic is not None
    assert fast(when) == generic(when)
    assert fast(None) is None
