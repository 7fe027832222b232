"""(b)/(d) Starlette app + aiohttp client; served by uvicorn or granian."""

from __future__ import annotations

from contextlib import asynccontextmanager

from common import aiohttp_session, relay_aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

state: dict = {}


async def chat(request: Request) -> Response:
    status, data = await relay_aiohttp(state["session"], await request.body())
    return Response(data, status_code=status, media_type="application/json")


@asynccontextmanager
async def lifespan(_app: Starlette):
    state["session"] = aiohttp_session()
    yield
    await state["session"].close()


app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])], lifespan=lifespan)
