"""Ledger rows as JSON objects and CSV text, for the usage API and the CLI.

Costs are decimal strings with the ledger's 10 places (``"0.0001234500"``), never floats;
times are ISO 8601 in UTC with a ``Z``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from polyroute.ledger.query import TOKEN_FIELDS, SummaryRow
from polyroute.ledger.records import AttemptRecord, CallRecord, Record
from polyroute.ledger.schema import quantize_usd

JsonObject = dict[str, Any]


def format_usd(amount: Decimal) -> str:
    return f"{quantize_usd(amount):f}"


def format_time(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _columns(record_type: type) -> list[str]:
    return ["time" if f.name == "ts" else f.name for f in fields(record_type)]


CALL_COLUMNS = _columns(CallRecord)
ATTEMPT_COLUMNS = _columns(AttemptRecord)
SUMMARY_VALUES = ["calls", "errors", *TOKEN_FIELDS, "cost_usd", "estimated_calls"]


def record_json(record: Record) -> JsonObject:
    out: JsonObject = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name == "ts":
            out["time"] = format_time(value)
        elif f.name == "cost_usd":
            out["cost_usd"] = format_usd(value)
        else:
            out[f.name] = value
    return out


def call_json(record: CallRecord, attempts: Sequence[AttemptRecord] | None = None) -> JsonObject:
    out = {"object": "usage.call", **record_json(record)}
    if attempts is not None:
        out["attempt_records"] = [record_json(a) for a in attempts]
    return out


def summary_json(row: SummaryRow) -> JsonObject:
    return {
        **row.group,
        "calls": row.calls,
        "errors": row.errors,
        **row.tokens,
        "cost_usd": format_usd(row.cost_usd),
        "estimated_calls": row.estimated_calls,
    }


def summary_columns(group_by: Sequence[str]) -> list[str]:
    return [*group_by, *SUMMARY_VALUES]


def to_csv(rows: Iterable[JsonObject], columns: Sequence[str]) -> str:
    """CSV with a header row; ``None`` is an empty cell, booleans are ``true``/``false``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_cell(row.get(c)) for c in columns)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
