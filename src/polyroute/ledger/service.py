"""One gateway's ledger: its database, its writer, and the reads the usage API runs.

The app's lifespan opens it (``await Ledger.aopen(url, config)``: connect, migrate, start
the writer) and closes it (``await ledger.aclose()``: drain, stop). The request path only
ever calls ``ledger.submit(record)``; reads run the sync queries in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import Engine

from polyroute.ledger import query
from polyroute.ledger.config import LedgerConfig
from polyroute.ledger.database import create_ledger_engine, migrate
from polyroute.ledger.query import CallFilter, CallPage, Dimension, SummaryRow
from polyroute.ledger.records import AttemptRecord, CallRecord, Record
from polyroute.ledger.retention import RetentionPolicy
from polyroute.ledger.writer import LedgerWriter


class Ledger:
    def __init__(self, engine: Engine, writer: LedgerWriter) -> None:
        self.engine = engine
        self.writer = writer

    @classmethod
    def open(cls, database_url: str, config: LedgerConfig | None = None) -> Ledger:
        """Connect, bring the schema up to date and start the writer. Blocking."""
        config = config or LedgerConfig()
        engine = create_ledger_engine(database_url)
        try:
            migrate(engine)
        except Exception:
            engine.dispose()
            raise
        retention = RetentionPolicy(config.retention_days) if config.retention_days else None
        writer = LedgerWriter(
            engine,
            flush_interval=config.flush_interval_ms / 1000,
            batch_size=config.batch_size,
            max_pending=config.max_pending,
            retention=retention,
        )
        writer.start()
        return cls(engine, writer)

    @classmethod
    async def aopen(cls, database_url: str, config: LedgerConfig | None = None) -> Ledger:
        return await asyncio.to_thread(cls.open, database_url, config)

    def submit(self, record: Record) -> None:
        """Record a call or an attempt. O(1); never blocks, never raises."""
        self.writer.submit(record)

    async def get_call(
        self, request_id: str, principal: str | None = None
    ) -> tuple[CallRecord, list[AttemptRecord]] | None:
        return await asyncio.to_thread(query.get_call, self.engine, request_id, principal)

    async def list_calls(
        self,
        where: CallFilter,
        principal: str | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> CallPage:
        return await asyncio.to_thread(
            lambda: query.list_calls(self.engine, where, principal, limit=limit, cursor=cursor)
        )

    async def summarize(
        self, where: CallFilter, principal: str | None = None, group_by: Sequence[Dimension] = ()
    ) -> list[SummaryRow]:
        return await asyncio.to_thread(query.summarize, self.engine, where, principal, group_by)

    def close(self) -> bool:
        """Drain the writer and release the database; False if records were left unwritten."""
        try:
            return self.writer.close()
        finally:
            self.engine.dispose()

    async def aclose(self) -> bool:
        return await asyncio.to_thread(self.close)
