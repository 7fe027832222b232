"""Shared helpers for the Anthropic codec tests: recorded examples and SSE parsing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

# The specs folder lives beside the clone: <repo>/../shared/specs.
SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
EXAMPLES = SPECS / "examples" / "anthropic"


def example(name: str) -> Path:
    if not EXAMPLES.is_dir():
        pytest.skip(f"recorded examples not found at {EXAMPLES} (../shared/specs is absent)")
    return EXAMPLES / name


def interactions(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load(example(name).read_text())["interactions"]


def sse_events(text: str) -> list[tuple[str | None, dict[str, Any]]]:
    """(event name, parsed data) for each event of an SSE body."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    name: str | None = None
    for line in re.split(r"\r\n|\r|\n", text):  # SSE line ends only (not str.splitlines)
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            out.append((name, orjson.loads(line[5:].strip())))
            name = None
    return out
