"""Deleting ledger rows older than the retention period, a small batch at a time.

Each batch is its own short transaction, selected through the time index, so neither
database holds a long lock and the writer's inserts interleave with the pruning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, tuple_

from polyroute.ledger.records import utcnow
from polyroute.ledger.schema import attempts, calls


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    days: int
    interval_s: float = 3600.0
    """How often a pruning pass starts."""
    batch: int = 1000
    """Rows deleted per transaction."""
    delay_s: float = 60.0
    """The first pass starts this long after the writer, once startup traffic has settled."""

    def cutoff(self, now: datetime | None = None) -> datetime:
        return (now or utcnow()) - timedelta(days=self.days)


def prune_batch(engine: Engine, cutoff: datetime, batch: int = 1000) -> int:
    """Delete up to ``batch`` calls and ``batch`` attempts older than ``cutoff``; rows deleted."""
    old_calls = select(calls.c.request_id).where(calls.c.ts < cutoff).limit(batch)
    old_attempts = (
        select(attempts.c.request_id, attempts.c.attempt).where(attempts.c.ts < cutoff).limit(batch)
    )
    with engine.begin() as connection:
        deleted = connection.execute(
            delete(calls).where(calls.c.request_id.in_(old_calls.scalar_subquery()))
        ).rowcount
        deleted += connection.execute(
            delete(attempts).where(
                tuple_(attempts.c.request_id, attempts.c.attempt).in_(old_attempts)
            )
        ).rowcount
    return deleted


def prune(engine: Engine, cutoff: datetime, batch: int = 1000) -> int:
    """Delete everything older than ``cutoff``, batch by batch; rows deleted."""
    total = 0
    while (deleted := prune_batch(engine, cutoff, batch)) > 0:
        total += deleted
    return total
