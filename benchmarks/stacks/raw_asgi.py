"""(c) Raw ASGI callable + aiohttp client (RELAY_CLIENT=rnet: rnet's; RELAY_CLIENT=polyroute:
polyroute's own whole-answer client); served by uvicorn (or granian)."""

from __future__ import annotations

import os

from common import (
    aiohttp_session,
    polyroute_client,
    relay_aiohttp,
    relay_polyroute,
    relay_rnet,
    rnet_client,
)

CLIENT = os.environ.get("RELAY_CLIENT", "aiohttp")
CLIENTS = {
    "aiohttp": (aiohttp_session, relay_aiohttp),
    "rnet": (rnet_client, relay_rnet),
    "polyroute": (polyroute_client, relay_polyroute),
}

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
            state["session"] = CLIENTS[CLIENT][0]()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if CLIENT == "aiohttp":
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
    status, data = await CLIENTS[CLIENT][1](state["session"], await read_body(receive))
    await send({"type": "http.response.start", "status": status, "headers": HEADERS})
    await send({"type": "http.response.body", "body": data})
