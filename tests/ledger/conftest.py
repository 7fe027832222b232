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
from sqlalchemy import Engine

from polyroute.ledger import CallRecord, Ledger, LedgerConfig, create_ledger_engine, migrate
from tests.services import postgres_admin, postgres_url  # noqa: F401  (fixtures)

BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database (no tables yet): a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_ledger_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
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
