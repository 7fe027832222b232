"""(a) aiohttp.web server + aiohttp ClientSession (uvloop unless RELAY_LOOP=asyncio)."""

from __future__ import annotations

import asyncio
import os

from aiohttp import web
from common import PORT, aiohttp_session, relay_aiohttp


async def chat(request: web.Request) -> web.Response:
    status, data = await relay_aiohttp(request.app["session"], await request.read())
    return web.Response(body=data, status=status, content_type="application/json")


async def session_ctx(app: web.Application):
    app["session"] = aiohttp_session()
    yield
    await app["session"].close()


def main() -> None:
    if os.environ.get("RELAY_LOOP", "uvloop") == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    app = web.Application()
    app.cleanup_ctx.append(session_ctx)
    app.router.add_post("/v1/chat/completions", chat)
    web.run_app(app, host="127.0.0.1", port=PORT, access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    main()
