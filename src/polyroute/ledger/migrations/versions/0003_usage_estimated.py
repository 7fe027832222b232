"""Flag the ledger rows whose tokens the gateway estimated (a stream that ended unreported).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TABLES = ("ledger_calls", "ledger_attempts")


def upgrade() -> None:
    # Rows written before this revision carry the provider's own counts (or none): false.
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column("usage_estimated", sa.Boolean, nullable=False, server_default=sa.false()),
        )


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("usage_estimated")
