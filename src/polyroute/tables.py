"""Printing the CLI's tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

_UNBOUNDED = 10_000


def print_table(table: Table, console: Console | None = None) -> None:
    """Print ``table``: to a terminal, folded to its width; to a pipe or a file, which has no
    width to keep to, with every row on one line (rich would fold it to 80 columns), as
    ``grep`` and scripts want it."""
    console = console or Console()
    if not console.is_terminal:
        wanted = console.measure(table, options=console.options.update(max_width=_UNBOUNDED))
        console.width = max(console.width, wanted.maximum)
    console.print(table)
