"""Opening the ledger's database and bringing its schema up to date.

``database_url`` is the config's: ``sqlite:///path.db`` (the default; WAL journal,
``synchronous=NORMAL``: a committed batch survives a process crash, and at worst the last
commits are lost on power failure) or ``postgresql://user@host/db`` (driven by psycopg 3).
Migrations ship inside the package and run at startup; on PostgreSQL an advisory lock lets
several replicas start at once. A database a newer polyroute has migrated is refused with a
plain reason (``SchemaTooNew``) rather than Alembic's "can't locate revision".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

VERSION_TABLE = "ledger_alembic_version"
"""The ledger's own Alembic version table, so other components can migrate independently."""
_SCRIPTS = "polyroute.ledger:migrations"
_PG_LOCK = 0x706F6C79_6C656467  # "polyledg": serialises migrations across replicas

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def engine_url(database_url: str) -> URL:
    """The config's URL with a driver chosen: psycopg 3 for PostgreSQL, pysqlite for SQLite."""
    url = make_url(database_url)
    return url.set(drivername=_DRIVERS.get(url.drivername, url.drivername))


class SchemaTooNew(Exception):
    """The database was migrated by a newer polyroute than this one."""


def create_ledger_engine(database_url: str) -> Engine:
    url = engine_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if url.database in (None, "", ":memory:"):
        # In memory (tests, throwaway demos): a single connection, or each would see a
        # database of its own, lent to one thread at a time (the writer, or a reader).
        kwargs.update(poolclass=QueuePool, pool_size=1, max_overflow=0, pool_recycle=-1)
    else:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPTS)
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the ledger's tables to ``revision`` (creating them in an empty database)."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        config.attributes["connection"] = connection
        _refuse_a_newer_schema(connection, config)
        command.upgrade(config, revision)


def check_schema(database_url: str) -> None:
    """Raise ``SchemaTooNew`` if ``database_url`` was migrated by a newer polyroute. A database
    it cannot reach is left for opening the ledger to report, as it always has."""
    engine = create_ledger_engine(database_url)
    try:
        with engine.connect() as connection:
            _refuse_a_newer_schema(connection, alembic_config())
    except DBAPIError:
        return
    finally:
        engine.dispose()


def _refuse_a_newer_schema(connection: Connection, config: Config) -> None:
    current = _revision(connection)
    scripts = ScriptDirectory.from_config(config)
    if current is None or current in {script.revision for script in scripts.walk_revisions()}:
        return
    head = scripts.get_current_head()
    raise SchemaTooNew(
        f"the ledger database is at schema revision {current}, which this polyroute (schema "
        f"{head}) does not know: a newer polyroute migrated it. Run that version, or restore "
        "the database from before that upgrade."
    )


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision(connection)


def _revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()
