"""(c) Raw ASGI callable + aiohttp client (RELAY_CLIENT=rnet: rnet's); served by uvicorn
(or granian)."""

from __future__ import annotations

import os

from common import aiohttp_session, relay_aiohttp, relay_rnet, rnet_client

RNET = os.environ.get("RELAY_CLIENT") == "rnet"

HEADERS = [(b"content-type", b"application/json")]
state: dict = {}


async def read_body(receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            state["session"] = rnet_client() if RNET else aiohttp_session()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if not RNET:
                await state["session"].close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["method"] != "POST" or scope["path"] != "/v1/chat/completions":
        await send({"type": "http.response.start", "status": 404, "headers": HEADERS})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    relay = relay_rnet if RNET else relay_aiohttp
    status, data = await relay(state["session"], await read_body(receive))
    await send({"type": "http.response.start", "status": status, "headers": HEADERS})
    await send({"type": "http.response.body", "body": data})
