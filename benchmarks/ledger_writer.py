"""CPU per call of the ledger's writer on SQLite: random vs time-ordered request ids.

    .venv/bin/python benchmarks/ledger_writer.py            # both, ~1 minute
    .venv/bin/python benchmarks/ledger_writer.py --calls 20000

Pre-fills a fresh database with 200,000 calls (so the indexes have their production
depth), then times, per call (one call and one attempt record), what runs on the request's
thread (``submit``: the records become rows) and what the writer thread does (writing
them in transactions of 220 calls, a 50 ms flush at ~4,400 calls/s).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from polyroute.ledger.database import create_ledger_engine, migrate
from polyroute.ledger.records import AttemptRecord, CallRecord, Record
from polyroute.ledger.writer import LedgerWriter

BATCH = 220


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40_000)
    parser.add_argument("--prefill", type=int, default=200_000)
    args = parser.parse_args()
    for ordered in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            submit, write = measure(Path(tmp) / "ledger.db", ordered, args.prefill, args.calls)
        label = "time-ordered ids" if ordered else "random ids"
        print(f"{label:17} µs of CPU per call: submit {submit:5.1f}, write {write:5.1f}")


def measure(path: Path, ordered: bool, prefill: int, calls: int) -> tuple[float, float]:
    """CPU µs per call of ``submit`` and of the writer's transactions (the worker thread is
    not started: the script drains the queue itself, to time it alone)."""
    engine = create_ledger_engine(f"sqlite:///{path}")
    migrate(engine)
    writer = LedgerWriter(engine, batch_size=2 * BATCH, max_pending=4 * prefill)
    ids = _ids(ordered)
    for record in _records(ids, prefill):
        writer.submit(record)
    writer._drain()
    records = _records(ids, calls)
    started = time.process_time()
    for record in records:
        writer.submit(record)
    submitted = time.process_time()
    writer._drain()
    written = time.process_time()
    assert writer.stats.written == 2 * (prefill + calls), writer.stats
    engine.dispose()
    return (submitted - started) / calls * 1e6, (written - submitted) / calls * 1e6


def _ids(ordered: bool):  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    while True:
        if ordered:  # the shape of polyroute.gateway.calls.new_request_id
            yield f"req_{int(time.time() * 1000):012x}{rng.getrandbits(48):012x}"
        else:  # what it was before: 96 random bits
            yield f"req_{rng.getrandbits(96):024x}"


def _records(ids, n: int) -> list[Record]:  # type: ignore[no-untyped-def]
    out: list[Record] = []
    for _ in range(n):
        request_id, now = next(ids), datetime.now(UTC)
        common = dict(
            ts=now, status="ok", provider="bench", model="some-model", http_status=200,
            input_tokens=20, output_tokens=9, cost_usd=Decimal("0.0000123"),
            catalog_version="2026-08-28+bench", latency_ms=1, ttft_ms=1,
        )  # fmt: skip
        out.append(AttemptRecord(request_id=request_id, attempt=1, **common))  # type: ignore[arg-type]
        out.append(CallRecord(request_id=request_id, overhead_ms=0, **common))  # type: ignore[arg-type]
    return out


if __name__ == "__main__":
    main()
