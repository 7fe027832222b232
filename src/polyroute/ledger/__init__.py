"""The accounting ledger: a record of every call and attempt, what it cost, and its sums.

The request path hands ``CallRecord`` / ``AttemptRecord`` values to ``Ledger.submit``
(O(1), never raises); a writer thread stores them in batches in SQLite or PostgreSQL;
the usage API and ``polyroute usage`` read them back through ``query``.
"""

from polyroute.ledger.config import LedgerConfig
from polyroute.ledger.database import create_ledger_engine, migrate
from polyroute.ledger.export import (
    ATTEMPT_COLUMNS,
    CALL_COLUMNS,
    call_json,
    format_usd,
    record_json,
    summary_columns,
    summary_json,
    to_csv,
)
from polyroute.ledger.query import (
    DIMENSIONS,
    MAX_LIMIT,
    CallFilter,
    CallPage,
    Dimension,
    InvalidCursor,
    SummaryRow,
)
from polyroute.ledger.recorder import LedgerRecorder, call_records
from polyroute.ledger.records import AttemptRecord, CallRecord, Record, Status, usage_fields
from polyroute.ledger.retention import RetentionPolicy, prune
from polyroute.ledger.service import Ledger
from polyroute.ledger.writer import LedgerWriter, WriterStats

__all__ = [
    "ATTEMPT_COLUMNS",
    "CALL_COLUMNS",
    "DIMENSIONS",
    "MAX_LIMIT",
    "AttemptRecord",
    "CallFilter",
    "CallPage",
    "CallRecord",
    "Dimension",
    "InvalidCursor",
    "Ledger",
    "LedgerConfig",
    "LedgerRecorder",
    "LedgerWriter",
    "Record",
    "RetentionPolicy",
    "Status",
    "SummaryRow",
    "WriterStats",
    "call_json",
    "call_records",
    "create_ledger_engine",
    "format_usd",
    "migrate",
    "prune",
    "record_json",
    "summary_columns",
    "summary_json",
    "to_csv",
    "usage_fields",
]
