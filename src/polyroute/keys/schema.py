"""The key tables, in the ledger's database and migration chain (``0002_keys``).

``virtual_keys`` holds one row per polyroute key: never the secret, only its SHA-256
(``secret_hash``) and a short display prefix. ``provider_keys`` holds one Fernet token per
(tenant, provider): the provider's API key encrypted with ``POLYROUTE_ENCRYPTION_KEYS``.
The tables have their own ``MetaData``; the ledger's schema test compares both.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from polyroute.ledger.schema import ID_LEN, NAME_LEN, UsdAmount, UtcDateTime

metadata = MetaData()

virtual_keys = Table(
    "virtual_keys",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("name", String(NAME_LEN), nullable=False),
    Column("tenant", String(NAME_LEN), nullable=False),
    Column("prefix", String(16), nullable=False, comment="first characters, for display"),
    Column("secret_hash", String(64), nullable=False, comment="hex SHA-256 of the secret"),
    Column("budget_daily_usd", UsdAmount, comment="units of 1e-10 USD"),
    Column("budget_monthly_usd", UsdAmount, comment="units of 1e-10 USD"),
    Column("budget_total_usd", UsdAmount, comment="units of 1e-10 USD"),
    Column("rpm", Integer),
    Column("tpm", Integer),
    Column("allowed_models", Text, comment="JSON list of routes or provider/model globs"),
    Column("expires_at", UtcDateTime, comment="UTC"),
    Column("created_at", UtcDateTime, nullable=False, comment="UTC"),
    Column("revoked_at", UtcDateTime, comment="UTC"),
    Index("ux_virtual_keys_secret_hash", "secret_hash", unique=True),
    Index("ix_virtual_keys_tenant", "tenant"),
)

provider_keys = Table(
    "provider_keys",
    metadata,
    Column("tenant", String(NAME_LEN), primary_key=True),
    Column("provider", String(NAME_LEN), primary_key=True),
    Column("ciphertext", Text, nullable=False, comment="Fernet token"),
    Column("created_at", UtcDateTime, nullable=False, comment="UTC"),
    Column("updated_at", UtcDateTime, nullable=False, comment="UTC"),
)
