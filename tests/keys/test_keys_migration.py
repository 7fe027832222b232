"""Migration 0002: the key tables, on top of the ledger's chain, exactly as the code uses them."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from polyroute.keys import schema as keys_schema
from polyroute.ledger import create_ledger_engine, migrate
from polyroute.ledger import schema as ledger_schema
from polyroute.ledger.database import alembic_config, current_revision


def _everything() -> MetaData:
    combined = MetaData()
    for source in (ledger_schema.metadata, keys_schema.metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


def test_head_creates_exactly_the_key_tables(database_url: str) -> None:
    engine = create_ledger_engine(database_url)
    try:
        migrate(engine)
        assert current_revision(engine) == "0003"  # head; the key tables came in 0002
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [
                d
                for d in compare_metadata(context, _everything())
                if "alembic_version" not in str(d)
            ]
        assert differences == []

        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        tables = set(inspect(engine).get_table_names())
        assert "ledger_calls" in tables and not {"virtual_keys", "provider_keys"} & tables
        migrate(engine)
        assert {"virtual_keys", "provider_keys"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
