"""Ledger fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

PostgreSQL comes from ``tests/services.py``: a schema of the test's own, dropped afterwards;
skipped with the reason when unreachable, a failure under ``CI=true``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from polyroute.ledger import CallRecord, Ledger, LedgerConfig
from tests.services import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    postgres_admin,
    postgres_url,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:  # noqa: F811  (the fixture)
    ledger = Ledger.open(database_url, LedgerConfig(flush_interval_ms=20))
    yield ledger
    assert ledger.close()


_ids = count()


@pytest.fixture
def make_call() -> Any:
    """``make_call(key_id="k1", n=3)`` → a ``CallRecord`` with plausible defaults."""
    return _call


def _call(**fields: Any) -> CallRecord:
    """A call record with plausible defaults; ``n`` offsets its time by n minutes from T0."""
    n = fields.pop("n", next(_ids))
    defaults: dict[str, Any] = {
        "request_id": f"req_{os.urandom(6).hex()}",
        "ts": T0 + timedelta(minutes=n),
        "status": "ok",
        "provider": "mistral",
        "model": "mistral-small-latest",
        "input_tokens": 100 + n,
        "output_tokens": 20 + n,
        "cost_usd": Decimal("0.0000123456") * (n + 1),
        "catalog_version": "2025-03-01",
        "latency_ms": 350,
    }
    return CallRecord(**{**defaults, **fields})
