"""Create the call and attempt ledger.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _usage() -> list[sa.Column]:
    return [
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("cached_read_tokens", sa.Integer, nullable=False),
        sa.Column("cache_write_tokens", sa.Integer, nullable=False),
        sa.Column("reasoning_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.BigInteger, nullable=False, comment="units of 1e-10 USD"),
        sa.Column("catalog_version", sa.String(64)),
        sa.Column("priced", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Integer),
        sa.Column("ttft_ms", sa.Integer),
    ]


def upgrade() -> None:
    op.create_table(
        "ledger_calls",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("ts", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("key_id", sa.String(64)),
        sa.Column("route", sa.String(64)),
        sa.Column("decision", sa.String(64)),
        sa.Column("provider", sa.String(64)),
        sa.Column("model", sa.String(160)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("http_status", sa.SmallInteger),
        *_usage(),
        sa.Column("overhead_ms", sa.Integer),
        sa.Column("attempts", sa.SmallInteger, nullable=False),
        sa.Column("client_disconnected", sa.Boolean, nullable=False),
        sa.Column("stream", sa.Boolean, nullable=False),
    )
    op.create_index("ix_ledger_calls_ts", "ledger_calls", ["ts", "request_id"])
    op.create_index("ix_ledger_calls_key_ts", "ledger_calls", ["key_id", "ts"])
    op.create_index("ix_ledger_calls_model_ts", "ledger_calls", ["model", "ts"])
    op.create_index("ix_ledger_calls_provider_ts", "ledger_calls", ["provider", "ts"])
    op.create_table(
        "ledger_attempts",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("attempt", sa.SmallInteger, primary_key=True),
        sa.Column("ts", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(160), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("http_status", sa.SmallInteger),
        *_usage(),
        sa.Column("stream", sa.Boolean, nullable=False),
    )
    op.create_index("ix_ledger_attempts_ts", "ledger_attempts", ["ts"])


def downgrade() -> None:
    op.drop_table("ledger_attempts")
    op.drop_table("ledger_calls")
