from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from polyroute.ledger import create_ledger_engine, migrate
from tests.services import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    postgres_admin,
    postgres_url,
)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    migrated = create_ledger_engine(f"sqlite:///{tmp_path}/keys.db")
    migrate(migrated)
    yield migrated
    migrated.dispose()
