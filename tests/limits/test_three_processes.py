"""Three gateway processes, one PostgreSQL and one Redis, one key: never over its budget."""

from __future__ import annotations

import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import redis

from polyroute.keys import KeyStore
from polyroute.ledger import create_ledger_engine, migrate
from polyroute.limits import to_units

ROOT = Path(__file__).resolve().parents[2]
COST = Decimal("0.013")
FITS = 11  # the budget holds 11 worst-case reservations of COST


def test_three_processes_never_overspend(
    postgres_url: str, redis_url: str, redis_prefix: str
) -> None:
    engine = create_ledger_engine(postgres_url)
    try:
        migrate(engine)
        key, secret = KeyStore(engine).create(
            "shared", budget_total_usd=COST * FITS + Decimal("0.01")
        )
    finally:
        engine.dispose()
    start_at = time.time() + 2.5  # after the three interpreters have started
    args = [postgres_url, redis_url, redis_prefix, secret, "40", f"{start_at}", str(COST)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.limits.hammer", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    admitted = []
    for proc in procs:
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        admitted.append(int(out.strip()))
    assert sum(admitted) == FITS  # 120 tries, exactly the budget's worth admitted

    client = redis.Redis.from_url(redis_url)
    try:
        spent = int(client.get(f"{redis_prefix}{{{key.id}}}:total") or 0)
    finally:
        client.close()
    assert spent == FITS * to_units(COST) <= to_units(key.budget_total_usd or Decimal(0))
