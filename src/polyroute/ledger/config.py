"""The ``ledger:`` section of the config file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LedgerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    retention_days: int | None = Field(default=None, gt=0)
    """Delete call and attempt rows older than this many days; ``None`` keeps them forever."""
    flush_interval_ms: int = Field(default=100, gt=0, le=10_000)
    """The longest a record waits in memory: the crash-loss bound."""
    batch_size: int = Field(default=500, gt=0, le=10_000)
    """Records per insert transaction; a full batch is written without waiting."""
    max_pending: int = Field(default=1_000_000, gt=0)
    """Records held in memory while the database is unreachable; beyond it, new ones drop."""
