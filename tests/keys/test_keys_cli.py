"""``polyroute keys create|list|revoke`` against the config's database."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyroute.cli import main


def test_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "polyroute.yaml"
    config.write_text(f"database_url: sqlite:///{tmp_path}/cli.db\n")
    args = ["--config", str(config)]
    assert (
        main(
            [
                "keys",
                "create",
                "ci",
                "--budget-daily",
                "5",
                "--rpm",
                "60",
                "--allow",
                "mistral/*",
                "--expires",
                "7d",
                *args,
            ]
        )
        == 0
    )
    created = capsys.readouterr().out
    secret = next(w for w in created.split() if w.startswith("pr-") and len(w) == 43)
    key_id = next(w for w in created.split() if w.startswith("vk_"))

    assert main(["keys", "list", *args]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "active" in listed and secret not in listed
    # Not a terminal: each key on one line, whatever the width (rich folded it to 80).
    (row,) = [line for line in listed.splitlines() if key_id in line]
    assert all(cell in row for cell in ("ci", "5/-/-", "60/-", "mistral/*", "active"))

    assert main(["keys", "revoke", key_id, *args]) == 0
    assert main(["keys", "list", *args]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "revoke", "vk_missing", *args]) == 1


def test_bad_amount_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["keys", "create", "x", "--budget-total", "lots"])
    assert raised.value.code == 2
