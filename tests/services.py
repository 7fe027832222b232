"""Fixtures for tests that need the machine's PostgreSQL or Redis.

PostgreSQL is ``POLYROUTE_TEST_POSTGRES_URL`` (a fresh schema per test, dropped afterwards),
Redis is ``POLYROUTE_TEST_REDIS_URL`` (a unique key prefix per test, deleted afterwards).
An unreachable service skips its tests with the reason, except under ``CI=true``, where a
missing service is a failure. Import the fixtures into a folder's ``conftest.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from polyroute.ledger import create_ledger_engine, migrate

PG_URL = os.environ.get("POLYROUTE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("POLYROUTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    url = make_url(PG_URL).update_query_dict({"connect_timeout": "3"})
    engine = create_ledger_engine(url.render_as_string(False))
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        unavailable(
            f"PostgreSQL unreachable at {PG_URL} ({exc.orig}); set POLYROUTE_TEST_POSTGRES_URL"
        )
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """An empty PostgreSQL schema of this test's own, as a database URL."""
    schema = "test_" + os.urandom(6).hex()
    with postgres_admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with postgres_admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {REDIS_URL} ({exc}); set POLYROUTE_TEST_REDIS_URL")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted afterwards."""
    prefix = f"polyroute-test:{os.urandom(6).hex()}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no tables yet): a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """``database_url`` with the ledger's tables migrated in."""
    engine = create_ledger_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()
