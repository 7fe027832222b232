"""Non-streaming calls are cancelled when their client goes, and watching costs nothing after."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from polyroute.gateway.calls import CallInfo
from polyroute.inbound.http import ClientGone, DisconnectWatch


class _Connection:
    """A request whose client disconnects when told to."""

    def __init__(self) -> None:
        self.gone = asyncio.Event()
        self.receives = 0

    async def receive(self) -> dict[str, Any]:
        self.receives += 1
        await self.gone.wait()
        return {"type": "http.disconnect"}


async def test_a_long_call_is_cancelled_when_its_client_goes() -> None:
    watch, client, info = DisconnectWatch(after=0.02), _Connection(), CallInfo("req_1")
    upstream = asyncio.Event()

    async def provider() -> str:
        await upstream.wait()  # never answers
        return "late"

    call = asyncio.create_task(watch.run(client, info, provider()))  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    assert client.receives == 1  # watched once old enough
    client.gone.set()
    with pytest.raises(ClientGone):
        await call
    assert info.client_disconnected
    await asyncio.sleep(0.05)
    assert watch._calls == {} and watch._watchers == {} and watch._sweeper is None


async def test_a_quick_call_is_never_watched_and_the_sweep_stops() -> None:
    watch, client, info = DisconnectWatch(after=0.05), _Connection(), CallInfo("req_2")

    async def provider() -> str:
        return "answer"

    assert await watch.run(client, info, provider()) == "answer"  # type: ignore[arg-type]
    await asyncio.sleep(0.12)
    assert client.receives == 0
    assert watch._calls == {} and watch._sweeper is None


async def test_a_call_cancelled_for_another_reason_stays_cancelled() -> None:
    watch, client, info = DisconnectWatch(after=0.01), _Connection(), CallInfo("req_3")
    call = asyncio.create_task(watch.run(client, info, asyncio.sleep(10)))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert not info.client_disconnected
    assert watch._calls == {} and watch._watchers == {}
