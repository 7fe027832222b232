"""Alembic environment for the ledger's tables.

Run by ``polyroute.ledger.database.migrate`` with a connection in ``config.attributes``,
or from the command line (``alembic -c alembic.ini -x url=sqlite:///x.db upgrade head``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from polyroute.ledger.database import VERSION_TABLE, create_ledger_engine


def _run(connection: Connection) -> None:
    context.configure(connection=connection, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database: -x url=sqlite:///polyroute.db")
    engine = create_ledger_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the ledger's migrations run online only")
run()
