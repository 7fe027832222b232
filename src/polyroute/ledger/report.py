"""``polyroute usage``: the usage summary of a config's database, as a table or CSV."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TextIO

from rich.console import Console
from rich.table import Table

from polyroute.ledger.database import create_ledger_engine, migrate
from polyroute.ledger.export import summary_columns, summary_json, to_csv
from polyroute.ledger.query import DIMENSIONS, CallFilter, Dimension, summarize

_RELATIVE = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_HEADINGS = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cached_read_tokens": "cached",
    "cache_write_tokens": "cache wr",
    "reasoning_tokens": "reasoning",
    "cost_usd": "USD",
    "estimated_calls": "estimated",
}


def parse_time(value: str, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` ago, or an ISO 8601 date or time (UTC by default)."""
    match = _RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"expected 7d, 12h, 30m, 2w (ago) or an ISO date or time; got {value!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def parse_group_by(values: Sequence[str]) -> tuple[Dimension, ...]:
    wanted: list[Dimension] = []
    for value in values:
        for name in filter(None, (part.strip() for part in value.split(","))):
            if name not in DIMENSIONS:
                raise ValueError(f"--group-by takes {', '.join(DIMENSIONS)}; got {name!r}")
            if name not in wanted:
                wanted.append(name)  # type: ignore[arg-type]  # checked against DIMENSIONS
    return tuple(wanted)


def usage_report(
    database_url: str,
    group_by: Sequence[Dimension] = (),
    where: CallFilter | None = None,
    *,
    csv: bool = False,
    out: TextIO | None = None,
) -> None:
    out = out or sys.stdout
    engine = create_ledger_engine(database_url)
    try:
        migrate(engine)  # an empty or older database reads as an empty ledger
        rows = [
            summary_json(row) for row in summarize(engine, where or CallFilter(), None, group_by)
        ]
    finally:
        engine.dispose()
    columns = summary_columns(group_by)
    if csv:
        out.write(to_csv(rows, columns))
        return
    console = Console(file=out)
    cells = [[_cell(c, row[c]) for c in columns] for row in rows]
    detail = {"cached_read_tokens", "cache_write_tokens", "reasoning_tokens", "estimated_calls"}
    shown = [  # token details that are zero everywhere only take room
        i for i, c in enumerate(columns) if c not in detail or any(cell[i] != "0" for cell in cells)
    ]
    table = Table(title="polyroute usage")
    widths = []
    for i in shown:
        heading = _HEADINGS.get(columns[i], columns[i])
        widths.append(max([len(heading), *(len(cell[i]) for cell in cells)]))
        numeric = columns[i] not in DIMENSIONS
        table.add_column(
            heading, justify="right" if numeric else "left", no_wrap=True, min_width=widths[-1]
        )
    for cell in cells:
        table.add_row(*(cell[i] for i in shown))
    # Never cut a number or a name short: widen past the terminal if the table needs it.
    console.width = max(console.width, sum(widths) + 3 * len(widths) + 1)
    console.print(table)


def _cell(column: str, value: object) -> str:
    if value is None:
        return "(master)" if column == "key" else "—"
    return str(value)
