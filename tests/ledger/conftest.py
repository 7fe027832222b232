"""Ledger fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

PostgreSQL is ``POLYROUTE_TEST_POSTGRES_URL`` (default: the local server's ``test``
database); each test gets a schema of its own, dropped afterwards. When the server is
unreachable, PostgreSQL cases skip with the reason — except under ``CI=true``, where a
missing service is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from polyroute.ledger import CallRecord, Ledger, LedgerConfig, create_ledger_engine, migrate

PG_URL = os.environ.get("POLYROUTE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    engine = create_ledger_engine(
        make_url(PG_URL).update_query_dict({"connect_timeout": "3"}).render_as_string(False)
    )
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL unreachable at {PG_URL} ({exc.orig}); set POLYROUTE_TEST_POSTGRES_URL"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database (no tables yet): a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.db"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = "ledger_test_" + os.urandom(6).hex()
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


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
