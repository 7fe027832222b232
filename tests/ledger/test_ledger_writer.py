"""The writer: O(1) submits that never fail a request, batches that lose nothing."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from polyroute.ledger import AttemptRecord, Ledger, LedgerWriter, RetentionPolicy, prune
from polyroute.ledger import query as q
from polyroute.ledger.records import utcnow


async def test_no_record_lost_under_concurrent_load(ledger: Ledger, make_call: Any) -> None:
    """5,000 submits from 40 tasks on the loop and 4 threads, interleaved with the writer."""
    submitted: list[Any] = []

    async def task(i: int) -> None:
        for j in range(100):
            record = make_call(key_id=f"key_{i % 5}", cost_usd=Decimal("0.0000000007") * (j + 1))
            submitted.append(record)
            ledger.submit(record)
            if j % 10 == 0:
                await asyncio.sleep(0)

    def thread() -> None:
        for _ in range(250):
            record = make_call(key_id="key_thread")
            submitted.append(record)
            ledger.submit(record)

    threads = [threading.Thread(target=thread) for _ in range(4)]
    for t in threads:
        t.start()
    await asyncio.gather(*(task(i) for i in range(40)))
    for t in threads:
        t.join()
    assert await ledger.writer.aflush()
    assert len(submitted) == 5000
    (total,) = q.summarize(ledger.engine)
    assert total.calls == 5000
    assert total.cost_usd == sum(r.cost_usd for r in submitted)
    assert ledger.writer.stats.written == 5000
    assert ledger.writer.stats.dropped == 0
    assert ledger.writer.pending == 0


def test_submit_never_blocks_while_the_database_is_locked(tmp_path: Path, make_call: Any) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path}/locked.db")
    blocker = ledger.engine.raw_connection()
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # the writer now waits on SQLite's busy timeout
        ledger.submit(make_call())
        time.sleep(0.15)  # let the worker reach the lock
        started = time.perf_counter()
        for _ in range(2000):
            ledger.submit(make_call())
        assert time.perf_counter() - started < 0.5
        blocker.rollback()
    finally:
        blocker.close()
    assert ledger.writer.flush(15)
    assert q.summarize(ledger.engine)[0].calls == 2001
    assert ledger.close()


def test_a_failed_batch_is_retried_until_the_database_is_back(
    engine: Engine, make_call: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = LedgerWriter(engine, flush_interval=0.01)
    real_write = writer._write
    outages = iter(range(3))

    def flaky(records: list[Any]) -> None:
        if next(outages, None) is not None:
            raise OperationalError("INSERT", {}, ConnectionError("connection refused"))
        real_write(records)

    monkeypatch.setattr(writer, "_write", flaky)
    writer.start()
    records = [make_call() for _ in range(50)]
    for record in records:
        writer.submit(record)
    assert writer.flush(10)
    assert writer.stats.failures == 3
    assert q.summarize(engine)[0].calls == 50
    assert writer.close()


def test_rows_the_database_rejects_are_isolated(engine: Engine, make_call: Any) -> None:
    writer = LedgerWriter(engine, flush_interval=0.01)
    writer.start()
    good = [make_call() for _ in range(10)]
    for record in good[:5]:
        writer.submit(record)
    writer.submit(make_call(cost_usd=Decimal("1e12")))  # beyond BIGINT in 1e-10 USD units
    writer.submit(object())  # type: ignore[arg-type]  # not a record at all
    for record in good[5:]:
        writer.submit(record)
    assert writer.flush(10)
    assert q.summarize(engine)[0].calls == 10
    assert (writer.stats.written, writer.stats.dropped) == (10, 2)
    assert writer.close()


def test_close_drains_and_later_submits_are_counted_not_raised(
    engine: Engine, make_call: Any
) -> None:
    writer = LedgerWriter(engine, flush_interval=5.0)  # only close() will write these
    writer.start()
    for _ in range(1234):
        writer.submit(make_call())
    assert writer.close()
    assert q.summarize(engine)[0].calls == 1234
    writer.submit(make_call())
    assert writer.stats.dropped == 1
    assert writer.close()  # idempotent


def test_a_full_batch_is_written_without_waiting_for_the_interval(
    engine: Engine, make_call: Any
) -> None:
    writer = LedgerWriter(engine, flush_interval=30.0, batch_size=100)
    writer.start()
    for _ in range(100):
        writer.submit(make_call())
    deadline = time.monotonic() + 5
    while writer.stats.written < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.stats.written == 100
    assert writer.close()


def test_queue_limit_drops_instead_of_growing(engine: Engine, make_call: Any) -> None:
    writer = LedgerWriter(engine, max_pending=10)  # not started: nothing drains
    for _ in range(15):
        writer.submit(make_call())
    assert (writer.pending, writer.stats.dropped) == (10, 5)
    assert writer.close()
    assert q.summarize(engine)[0].calls == 10


def _attempt(request_id: str, ts: datetime) -> AttemptRecord:
    return AttemptRecord(request_id, 1, ts, "ok", "mistral", "mistral-small-latest")


def test_retention_prunes_only_old_rows_in_batches(engine: Engine, make_call: Any) -> None:
    now = utcnow()
    old = [make_call(ts=now - timedelta(days=40, minutes=i)) for i in range(7)]
    new = [make_call(ts=now - timedelta(days=1, minutes=i)) for i in range(3)]
    writer = LedgerWriter(engine)
    for record in old + new:
        writer.submit(record)
        writer.submit(_attempt(record.request_id, record.ts))
    assert writer.close()
    assert prune(engine, now - timedelta(days=30), batch=3) == 14
    assert {c.request_id for c in q.list_calls(engine).calls} == {c.request_id for c in new}
    assert prune(engine, now - timedelta(days=30), batch=3) == 0


def test_the_writer_prunes_periodically(engine: Engine, make_call: Any) -> None:
    now = datetime.now(UTC)
    writer = LedgerWriter(engine, flush_interval=0.01)
    for i in range(5):
        writer.submit(make_call(ts=now - timedelta(days=10, minutes=i)))
    writer.submit(make_call(ts=now))
    assert writer.close()
    writer = LedgerWriter(
        engine, flush_interval=0.01, retention=RetentionPolicy(days=7, batch=2, delay_s=0)
    )
    writer.start()
    deadline = time.monotonic() + 5
    while q.summarize(engine)[0].calls > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert q.summarize(engine)[0].calls == 1
    assert writer.close()


def test_an_in_memory_ledger_is_shared_by_the_writer_and_readers(make_call: Any) -> None:
    ledger = Ledger.open("sqlite://")
    readers = [
        threading.Thread(target=lambda: [q.summarize(ledger.engine) for _ in range(30)])
        for _ in range(3)
    ]
    for reader in readers:
        reader.start()
    for _ in range(2000):
        ledger.submit(make_call())
    assert ledger.writer.flush(10)
    for reader in readers:
        reader.join()
    assert q.summarize(ledger.engine)[0].calls == 2000
    assert ledger.close()


def test_rows_hold_only_the_types_each_driver_takes_as_they_are(
    engine: Engine, make_call: Any
) -> None:
    """sqlite3 adapts anything but an exact int, float, str, bytes or None by looking for an
    adapter first (an AttributeError raised and swallowed per value): its rows hold none of
    that, booleans included. psycopg takes booleans as they are."""
    writer = LedgerWriter(engine)
    call = make_call(stream=True, usage_estimated=True)
    attempt = AttemptRecord(call.request_id, 1, call.ts, "ok", "mistral", "m", stream=True)
    for record in (call, attempt):
        target = writer._targets[type(record)]
        row = target.row(record)
        kinds = {type(value) for value in row}
        if engine.dialect.name == "sqlite":
            assert kinds <= {int, float, str, bytes, type(None)}, kinds
        else:
            assert bool in kinds
