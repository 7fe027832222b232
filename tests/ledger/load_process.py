"""A process that submits ledger records non-stop, logging each one, until it is killed.

    python load_process.py writer <database_url> <log>   a bare Ledger (for SIGKILL)
    python load_process.py app <database_url> <log>      the real gateway under uvicorn
                                                         (for SIGTERM: the lifespan drains)

Each submission is logged as ``<request_id> <unix time before submit>`` with one
``os.write`` (unbuffered, so the log survives SIGKILL); ``ready`` marks the start.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

from polyroute.ledger import CallRecord, Ledger, LedgerConfig


class Producer:
    def __init__(self, log_path: str) -> None:
        self._log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._n = 0

    def ready(self) -> None:
        os.write(self._log, b"ready\n")

    def submit(self, ledger: Ledger) -> None:
        started = time.time()
        request_id = f"req_{os.getpid()}_{self._n:08d}"
        self._n += 1
        ledger.submit(
            CallRecord(
                request_id,
                datetime.fromtimestamp(started, UTC),
                "ok",
                provider="mistral",
                model="mistral-small-latest",
                input_tokens=120,
                output_tokens=30,
                cost_usd=Decimal("0.0000210000"),
            )
        )
        os.write(self._log, f"{request_id} {started:.6f}\n".encode())


def run_writer(database_url: str, log_path: str) -> None:
    ledger = Ledger.open(database_url, LedgerConfig(flush_interval_ms=20))
    producer = Producer(log_path)
    producer.ready()
    while True:  # about 5,000 records a second, until SIGKILL
        for _ in range(5):
            producer.submit(ledger)
        time.sleep(0.001)


async def run_app(database_url: str, log_path: str) -> None:
    import uvicorn

    from polyroute.app import create_app
    from polyroute.config import Settings

    app = create_app(Settings(database_url=database_url))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    )
    producer = Producer(log_path)

    async def produce() -> None:
        while not server.started:  # noqa: ASYNC110  # uvicorn exposes a flag, no event
            await asyncio.sleep(0.005)
        producer.ready()
        while not server.should_exit:  # SIGTERM sets it; the lifespan then drains the ledger
            for _ in range(5):
                producer.submit(app.state.ledger)
            await asyncio.sleep(0.001)

    task = asyncio.create_task(produce())
    await server.serve()
    await task


if __name__ == "__main__":
    mode, url, log = sys.argv[1:4]
    if mode == "writer":
        run_writer(url, log)
    else:
        asyncio.run(run_app(url, log))
