"""CPU per call of the ledger's writer on SQLite: random vs time-ordered request ids.

    .venv/bin/python benchmarks/ledger_writer.py            # both, ~1 minute
    .venv/bin/python benchmarks/ledger_writer.py --calls 20000

Pre-fills a fresh database with 200,000 calls (so the indexes have their production
depth), then times ``LedgerWriter._write`` on batches of 220 calls (one call and one
attempt record each; 220 is a 100 ms flush at ~2,200 calls/s).
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
            cpu = measure(Path(tmp) / "ledger.db", ordered, args.prefill, args.calls)
        label = "time-ordered ids" if ordered else "random ids"
        print(f"{label:17} {cpu:6.1f} µs of CPU per call written")


def measure(path: Path, ordered: bool, prefill: int, calls: int) -> float:
    engine = create_ledger_engine(f"sqlite:///{path}")
    migrate(engine)
    writer = LedgerWriter(engine)
    ids = _ids(ordered)
    for _ in range(prefill // 500):
        writer._write(_records(ids, 500))
    batches = [_records(ids, BATCH) for _ in range(calls // BATCH)]
    started = time.process_time()
    for batch in batches:
        writer._write(batch)
    spent = time.process_time() - started
    engine.dispose()
    return spent / (len(batches) * BATCH) * 1e6


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
