"""Shared helpers for the wire codec tests: the recorded examples in ``../shared/specs``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

# The specs folder lives beside the clone: <repo>/../shared/specs.
SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
EXAMPLES = SPECS / "examples"


def _require_specs() -> None:
    if not EXAMPLES.is_dir():
        pytest.skip(f"recorded examples not found at {EXAMPLES} (../shared/specs is absent)")


def load_cassette(name: str) -> list[dict[str, Any]]:
    """The interactions of ``examples/<name>``."""
    _require_specs()
    return yaml.safe_load((EXAMPLES / name).read_text())["interactions"]


def load_text(name: str) -> str:
    _require_specs()
    return (EXAMPLES / name).read_text()


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The JSON payloads of an SSE body's ``data:`` lines (comments and ``[DONE]`` skipped)."""
    chunks = []
    for line in text.splitlines():
        if line.startswith("data:"):
            data = line[5:].strip()
            if data != "[DONE]":
                chunks.append(orjson.loads(data))
    return chunks


@pytest.fixture
def cassette() -> Any:
    """``cassette("openai/embeddings.cassette.yaml")`` → its interactions."""
    return load_cassette


@pytest.fixture
def example_text() -> Any:
    return load_text


@pytest.fixture
def sse_chunks() -> Any:
    return parse_sse
