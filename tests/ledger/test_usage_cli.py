"""``polyroute usage``: the same sums as the API, from the database a config names."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from polyroute.cli import main
from polyroute.ledger import Ledger
from polyroute.ledger.report import parse_time


@pytest.fixture
def config(database_url: str, tmp_path: Path, make_call: Any) -> Path:
    now = datetime.now(UTC)
    with_costs = [
        make_call(ts=now - timedelta(hours=1), model="small", cost_usd=Decimal("0.0000000001")),
        make_call(ts=now - timedelta(hours=2), model="small", cost_usd=Decimal("0.25")),
        make_call(
            ts=now - timedelta(hours=3), model="large", cost_usd=Decimal("1.5"), status="error"
        ),
        make_call(ts=now - timedelta(days=10), model="large", cost_usd=Decimal("100")),
    ]
    ledger = Ledger.open(database_url)
    for record in with_costs:
        ledger.submit(record)
    assert ledger.close()
    path = tmp_path / "polyroute.yaml"
    path.write_text(f"database_url: '{database_url}'\n")
    return path


def test_csv_by_model_since_a_week(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["usage", "--config", str(config), "--group-by", "model", "--since", "7d", "--csv"])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["model"], r["calls"], r["errors"], r["cost_usd"]) for r in rows] == [
        ("large", "1", "1", "1.5000000000"),
        ("small", "2", "0", "0.2500000001"),
    ]


def test_table_of_totals(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["usage", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "polyroute usage" in out
    assert "101.7500000001" in out


def test_bad_arguments_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["usage", "--config", str(config), "--group-by", "week"]) == 2
    assert "--group-by takes" in capsys.readouterr().err
    assert main(["usage", "--config", str(config), "--since", "last tuesday"]) == 2
    assert capsys.readouterr().err == (
        "polyroute usage: --since: expected 7d, 12h, 30m, 2w (ago) or an ISO date or time; "
        "got 'last tuesday'\n"
    )
    assert main(["usage", "--config", str(config), "--until", "7x"]) == 2
    assert capsys.readouterr().err.startswith("polyroute usage: --until: expected 7d")


def test_since_forms() -> None:
    now = datetime(2025, 3, 10, tzinfo=UTC)
    assert parse_time("7d", now) == datetime(2025, 3, 3, tzinfo=UTC)
    assert parse_time("12h", now) == datetime(2025, 3, 9, 12, tzinfo=UTC)
    assert parse_time("2025-03-01") == datetime(2025, 3, 1, tzinfo=UTC)
    assert parse_time("2025-03-01T05:00:00+02:00") == datetime(2025, 3, 1, 3, tzinfo=UTC)
