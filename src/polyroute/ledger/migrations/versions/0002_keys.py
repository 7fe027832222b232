"""Virtual keys (hashed) and per-tenant provider keys (encrypted).

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "virtual_keys",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, comment="first characters, for display"),
        sa.Column(
            "secret_hash", sa.String(64), nullable=False, comment="hex SHA-256 of the secret"
        ),
        sa.Column("budget_daily_usd", sa.BigInteger, comment="units of 1e-10 USD"),
        sa.Column("budget_monthly_usd", sa.BigInteger, comment="units of 1e-10 USD"),
        sa.Column("budget_total_usd", sa.BigInteger, comment="units of 1e-10 USD"),
        sa.Column("rpm", sa.Integer),
        sa.Column("tpm", sa.Integer),
        sa.Column("allowed_models", sa.Text, comment="JSON list of routes or provider/model globs"),
        sa.Column("expires_at", sa.DateTime, comment="UTC"),
        sa.Column("created_at", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("revoked_at", sa.DateTime, comment="UTC"),
    )
    op.create_index("ux_virtual_keys_secret_hash", "virtual_keys", ["secret_hash"], unique=True)
    op.create_index("ix_virtual_keys_tenant", "virtual_keys", ["tenant"])
    op.create_table(
        "provider_keys",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("ciphertext", sa.Text, nullable=False, comment="Fernet token"),
        sa.Column("created_at", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("updated_at", sa.DateTime, nullable=False, comment="UTC"),
    )


def downgrade() -> None:
    op.drop_table("provider_keys")
    op.drop_table("virtual_keys")
