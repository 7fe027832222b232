"""``scripts/refresh_catalog.py``: exact price conversion, and the committed file is its output."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT.parent / "shared/specs/litellm/model_prices_and_context_window.json"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "refresh_catalog", ROOT / "scripts/refresh_catalog.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("per_token", "per_million"),
    [(3e-07, "0.3"), (1.25e-06, "1.25"), (3.75e-08, "0.0375"), (1.5e-05, "15"), (0.0, "0")],
)
def test_prices_convert_without_float_noise(per_token: float, per_million: str) -> None:
    assert _script().per_million(per_token) == per_million


@pytest.mark.spec
def test_committed_catalog_is_the_scripts_output(tmp_path: Path) -> None:
    if not TABLE.is_file():
        pytest.skip(f"reference table not found at {TABLE}")
    committed = json.loads((ROOT / "src/polyroute/catalog/models.json").read_text())
    out = tmp_path / "models.json"
    _script().main([str(TABLE), "--effective", committed["effective_date"], "--out", str(out)])
    assert out.read_text() == (ROOT / "src/polyroute/catalog/models.json").read_text()
