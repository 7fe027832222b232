"""Reading the ledger: filters, pages, scoping by principal, sums that add up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from polyroute.ledger import CallFilter, CallRecord, InvalidCursor, LedgerWriter
from polyroute.ledger import query as q

T0 = datetime(2025, 3, 1, 22, 0, tzinfo=UTC)
KEYS = [None, "key_a", "key_b"]
TARGETS = [("mistral", "mistral-small-latest"), ("openai", "gpt-4.1-mini"), ("groq", "llama")]


@pytest.fixture
def records(engine: Engine, make_call: Any) -> Iterator[list[CallRecord]]:
    """36 calls over three keys, three targets, two routes and two UTC days; some errors."""
    made = []
    for i in range(36):
        provider, model = TARGETS[i % 3]
        made.append(
            make_call(
                n=i,
                ts=T0 + timedelta(minutes=10 * i) if i % 7 else T0,  # several share one instant
                key_id=KEYS[(i // 3) % 3],
                provider=provider,
                model=model,
                route="auto" if i % 2 else None,
                status="error" if i % 5 == 0 else "ok",
                cost_usd=Decimal("0.0000001") * (i + 1) + Decimal("0.0000000003"),
            )
        )
    writer = LedgerWriter(engine)
    for record in made:
        writer.submit(record)
    assert writer.close()
    yield made


def _ids(calls: list[CallRecord]) -> list[str]:
    return [c.request_id for c in calls]


def _newest_first(records: list[CallRecord]) -> list[str]:
    return _ids(sorted(records, key=lambda c: (c.ts, c.request_id), reverse=True))


def test_filters(engine: Engine, records: list[CallRecord]) -> None:
    cases: list[tuple[CallFilter, Any]] = [
        (CallFilter(model="gpt-4.1-mini"), lambda c: c.model == "gpt-4.1-mini"),
        (CallFilter(provider="groq"), lambda c: c.provider == "groq"),
        (CallFilter(status="error"), lambda c: c.status == "error"),
        (CallFilter(key_id="key_b"), lambda c: c.key_id == "key_b"),
        (CallFilter(route="auto"), lambda c: c.route == "auto"),
        (
            CallFilter(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=3)),
            lambda c: T0 + timedelta(hours=1) <= c.ts < T0 + timedelta(hours=3),
        ),
        (
            CallFilter(provider="openai", status="ok", start=T0 + timedelta(hours=2)),
            lambda c: (
                c.provider == "openai" and c.status == "ok" and c.ts >= T0 + timedelta(hours=2)
            ),
        ),
    ]
    for where, wanted in cases:
        expected = _newest_first([c for c in records if wanted(c)])
        assert expected, where
        assert _ids(q.list_calls(engine, where, limit=1000).calls) == expected, where


def test_pages_cover_every_call_once_newest_first(
    engine: Engine, records: list[CallRecord]
) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = q.list_calls(engine, limit=5, cursor=cursor)
        assert len(page.calls) <= 5
        seen += _ids(page.calls)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == _newest_first(records)


def test_limit_is_capped_and_bad_cursors_refused(engine: Engine, records: list[CallRecord]) -> None:
    assert len(q.list_calls(engine, limit=10**6).calls) == 36  # capped at MAX_LIMIT, not an error
    with pytest.raises(InvalidCursor):
        q.list_calls(engine, cursor="not-a-cursor!")


def test_a_key_sees_only_its_own_calls(engine: Engine, records: list[CallRecord]) -> None:
    for key in ("key_a", "key_b"):
        own = [c for c in records if c.key_id == key]
        assert _ids(q.list_calls(engine, principal=key, limit=1000).calls) == _newest_first(own)
        assert (
            q.list_calls(
                engine, CallFilter(key_id="key_a" if key == "key_b" else "key_b"), principal=key
            ).calls
            == []
        )
        (total,) = q.summarize(engine, principal=key)
        assert total.calls == len(own)
        assert total.cost_usd == sum(c.cost_usd for c in own)
        assert {
            row.group["key"] for row in q.summarize(engine, principal=key, group_by=["key"])
        } == {key}
        for other in records:
            visible = q.get_call(engine, other.request_id, principal=key)
            assert (visible is not None) == (other.key_id == key)
    assert len(q.list_calls(engine, limit=1000).calls) == 36  # the master sees everything


def _group_value(record: CallRecord, dimension: str) -> str | None:
    if dimension == "day":
        return record.ts.date().isoformat()
    return getattr(record, {"key": "key_id"}.get(dimension, dimension))


GROUPINGS: list[tuple[Any, ...]] = [
    (),
    ("key",),
    ("model",),
    ("provider",),
    ("route",),
    ("day",),
    ("key", "day"),
    ("provider", "model"),
]


def test_summaries_equal_the_sum_of_their_parts(engine: Engine, records: list[CallRecord]) -> None:
    where = CallFilter(start=T0, end=T0 + timedelta(hours=5))
    chosen = [c for c in records if T0 <= c.ts < T0 + timedelta(hours=5)]
    for group_by in GROUPINGS:
        expected: dict[tuple[str | None, ...], list[CallRecord]] = defaultdict(list)
        for record in chosen:
            expected[tuple(_group_value(record, d) for d in group_by)].append(record)
        rows = q.summarize(engine, where, group_by=group_by)
        assert len(rows) == len(expected), group_by
        for row in rows:
            parts = expected[tuple(row.group[d] for d in group_by)]
            assert row.calls == len(parts), group_by
            assert row.errors == sum(c.status != "ok" for c in parts), group_by
            assert row.cost_usd == sum(c.cost_usd for c in parts), group_by
            assert row.tokens["input_tokens"] == sum(c.input_tokens for c in parts), group_by
            assert row.tokens["output_tokens"] == sum(c.output_tokens for c in parts), group_by
        assert sum(r.cost_usd for r in rows) == sum(c.cost_usd for c in chosen), group_by
        assert sum(r.calls for r in rows) == len(chosen), group_by


def test_day_groups_are_utc_days(engine: Engine, records: list[CallRecord]) -> None:
    days = [row.group["day"] for row in q.summarize(engine, group_by=["day"])]
    assert days == ["2025-03-01", "2025-03-02"]


def test_an_empty_ledger_sums_to_zero(engine: Engine) -> None:
    (total,) = q.summarize(engine)
    assert (total.calls, total.errors, total.cost_usd) == (0, 0, Decimal(0))
    assert q.summarize(engine, group_by=["model"]) == []
    assert q.list_calls(engine).calls == []
