"""(e) Starlette app + httpx.AsyncClient; served by uvicorn."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from common import UPSTREAM, UPSTREAM_HEADERS, dumps, loads
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

state: dict = {}


async def chat(request: Request) -> Response:
    payload = loads(await request.body())
    resp = await state["client"].post(UPSTREAM, content=dumps(payload), headers=UPSTREAM_HEADERS)
    return Response(dumps(loads(resp.content)), resp.status_code, media_type="application/json")


@asynccontextmanager
async def lifespan(_app: Starlette):
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=512)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        state["client"] = client
        yield


app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])], lifespan=lifespan)
