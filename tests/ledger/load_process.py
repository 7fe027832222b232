"""A process that submits ledger records non-stop, logging each one, until it is killed.

    python load_process.py writer <database_url> <log>   a bare Ledger (for SIGKILL)
    python load_process.py recorder <database_url> <log> finished calls through the gateway's
                                                         recorder, on an event loop (SIGKILL)
    python load_process.py app <database_url> <log>      the real gateway under uvicorn,
                                                         records and calls (for SIGTERM: the
                                                         lifespan drains)

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

from polyroute.canonical import Usage
from polyroute.catalog import Cost
from polyroute.gateway.calls import CallInfo
from polyroute.gateway.targets import Target
from polyroute.ledger import CallRecord, Ledger, LedgerConfig, LedgerRecorder

TARGET = Target("mistral", "mistral-small-latest")


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

    def finish_call(self, recorder: LedgerRecorder) -> None:
        """A call that has just ended, handed to the recorder as the dispatcher does when
        other calls are in flight (so that its records wait to be made with theirs)."""
        started = time.time()
        request_id = f"req_{os.getpid()}_{self._n:08d}"
        self._n += 1
        info = CallInfo(request_id)
        attempt = info.begin(TARGET, [])
        attempt.usage = Usage(input_tokens=120, output_tokens=30)
        attempt.ended = info.ended = time.monotonic()
        recorder(info, True)
        os.write(self._log, f"{request_id} {started:.6f}\n".encode())


def _price(target: Target, usage: Usage) -> Cost:
    return Cost(Decimal("0.000021"), "test", True)


def run_writer(database_url: str, log_path: str) -> None:
    ledger = Ledger.open(database_url, LedgerConfig(flush_interval_ms=20))
    producer = Producer(log_path)
    producer.ready()
    while True:  # about 5,000 records a second, until SIGKILL
        for _ in range(5):
            producer.submit(ledger)
        time.sleep(0.001)


async def run_recorder(database_url: str, log_path: str) -> None:
    ledger = await Ledger.aopen(database_url, LedgerConfig(flush_interval_ms=20))
    recorder = LedgerRecorder(ledger, _price, delay=0.02)
    producer = Producer(log_path)
    producer.ready()
    while True:  # about 5,000 calls a second, until SIGKILL
        for _ in range(5):
            producer.finish_call(recorder)
        await asyncio.sleep(0.001)


async def run_app(database_url: str, log_path: str) -> None:
    import uvicorn

    from polyroute.app import create_app
    from polyroute.config import Settings

    # A flush interval longer than the test: the lifespan's shutdown, not a timer, has to
    # write what the recorder and the writer hold.
    settings = Settings(database_url=database_url, ledger=LedgerConfig(flush_interval_ms=10_000))
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    )
    producer = Producer(log_path)

    async def produce() -> None:
        while not server.started:  # noqa: ASYNC110  # uvicorn exposes a flag, no event
            await asyncio.sleep(0.005)
        producer.ready()
        recorder = app.state.gateway.dispatcher.recorder
        while not server.should_exit:  # SIGTERM sets it; the lifespan then drains the ledger
            for _ in range(5):
                producer.submit(app.state.ledger)
                producer.finish_call(recorder)
            await asyncio.sleep(0.001)

    task = asyncio.create_task(produce())
    await server.serve()
    await task


if __name__ == "__main__":
    mode, url, log = sys.argv[1:4]
    if mode == "writer":
        run_writer(url, log)
    elif mode == "recorder":
        asyncio.run(run_recorder(url, log))
    else:
        asyncio.run(run_app(url, log))
