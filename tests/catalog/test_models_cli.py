"""``polyroute models``: the catalog as a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyroute.cli import main


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def test_models_table_for_one_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--provider", "anthropic"]) == 0
    out = capsys.readouterr().out
    assert "anthropic/claude-sonnet-4-5" in out
    assert "openai/" not in out


def test_models_with_config_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "polyroute.yaml"
    config.write_text(
        "providers:\n  local: {type: openai-compatible, base_url: 'http://127.0.0.1:8000/v1'}\n"
        "catalog:\n  local:\n    llama: {context_window: 8192, prices: {input: 0, output: 0}}\n"
    )
    assert main(["models", "--provider", "local", "--config", str(config)]) == 0
    assert "local/llama" in capsys.readouterr().out


def test_unknown_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--provider", "nope"]) == 1
    assert "known: mistral" in capsys.readouterr().err
