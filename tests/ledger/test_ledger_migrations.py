"""Migrations: from an empty database to head, idempotently, with the indexes the queries use."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from polyroute.cli import main
from polyroute.ledger import create_ledger_engine, migrate
from polyroute.ledger.database import (
    VERSION_TABLE,
    SchemaTooNew,
    check_schema,
    current_revision,
    engine_url,
)


def test_upgrade_from_empty_creates_tables_and_indexes(database_url: str) -> None:
    engine = create_ledger_engine(database_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        migrate(engine)  # a second start is a no-op
        assert current_revision(engine) == "0003"  # head: ledger, key tables, estimated flag
        tables = set(inspect(engine).get_table_names())
        assert {"ledger_calls", "ledger_attempts", VERSION_TABLE} <= tables
        indexes = {
            ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("ledger_calls")
        }
        assert indexes["ix_ledger_calls_ts"] == ["ts", "request_id"]
        assert indexes["ix_ledger_calls_key_ts"] == ["key_id", "ts"]
        assert indexes["ix_ledger_calls_model_ts"] == ["model", "ts"]
        assert indexes["ix_ledger_calls_provider_ts"] == ["provider", "ts"]
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(database_url: str) -> None:
    engine = create_ledger_engine(database_url)
    try:
        migrate(engine)
        from alembic import command

        from polyroute.ledger.database import alembic_config

        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert "ledger_calls" not in inspect(engine).get_table_names()
        migrate(engine)
        assert "ledger_calls" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_rows_written_before_the_estimated_flag_upgrade_as_reported(database_url: str) -> None:
    from alembic import command

    from polyroute.ledger.database import alembic_config

    engine = create_ledger_engine(database_url)
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
            connection.exec_driver_sql(
                "INSERT INTO ledger_calls (request_id, ts, status, input_tokens, output_tokens,"
                " cached_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, priced,"
                " attempts, client_disconnected, stream)"
                " VALUES ('req_old', '2026-11-01 10:00:00.000000', 'ok', 10, 5, 0, 0, 0, 1234,"
                " true, 1, false, false)"
            )
        migrate(engine)
        assert current_revision(engine) == "0003"
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT input_tokens, cost_usd, usage_estimated FROM ledger_calls"
            ).one()
        assert (row[0], row[1], bool(row[2])) == (10, 1234, False)
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    engine = create_ledger_engine(f"sqlite:///{tmp_path}/sub/dir/ledger.db")  # dirs created
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()


def test_postgres_urls_use_psycopg() -> None:
    assert engine_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert engine_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert engine_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+asyncpg"
    assert engine_url("sqlite:///x.db").drivername == "sqlite"


def test_migrations_create_exactly_the_schema_the_code_uses(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import MetaData

    from polyroute.keys import schema as keys_schema
    from polyroute.ledger import schema as ledger_schema

    # One migration chain creates every table of the database: the ledger's and the keys'.
    metadata = MetaData()
    for source in (ledger_schema.metadata, keys_schema.metadata):
        for table in source.tables.values():
            table.to_metadata(metadata)
    engine = create_ledger_engine(database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [
                d for d in compare_metadata(context, metadata) if "alembic_version" not in str(d)
            ]
        assert differences == []
    finally:
        engine.dispose()


def _from_a_newer_polyroute(database_url: str) -> None:
    engine = create_ledger_engine(database_url)
    try:
        migrate(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"UPDATE {VERSION_TABLE} SET version_num = '0099'")
    finally:
        engine.dispose()


def test_a_database_a_newer_polyroute_migrated_is_refused_plainly(database_url: str) -> None:
    _from_a_newer_polyroute(database_url)
    engine = create_ledger_engine(database_url)
    try:
        with pytest.raises(SchemaTooNew, match="at schema revision 0099, which this polyroute"):
            migrate(engine)
        assert current_revision(engine) == "0099"  # and left as it was
    finally:
        engine.dispose()
    with pytest.raises(SchemaTooNew):
        check_schema(database_url)


def test_serve_and_usage_say_why_they_refuse_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    _from_a_newer_polyroute(url)
    config = tmp_path / "polyroute.yaml"
    config.write_text(f"database_url: {url}\n")
    assert main(["serve", "--config", str(config), "--port", "0"]) == 2
    assert main(["usage", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("a newer polyroute migrated it") == 2
    assert "Traceback" not in err


def test_an_unreachable_database_is_left_to_the_ledger_to_report() -> None:
    check_schema("postgresql://nobody@127.0.0.1:1/none")  # no error from the check itself
