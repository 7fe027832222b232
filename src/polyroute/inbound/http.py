"""What every inbound API shares: authentication, bounded body reading, JSON responses."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from polyroute.errors import (
    InvalidRequest,
    PayloadTooLarge,
    PolyrouteError,
    Unauthorized,
    UpstreamError,
)
from polyroute.gateway.calls import CallInfo


class Authenticator:
    """Checks the caller's polyroute key (``Authorization: Bearer`` or ``x-api-key``)."""

    def __init__(self, master_key: str | None) -> None:
        self._master = master_key.encode() if master_key else None

    @property
    def open(self) -> bool:
        return self._master is None

    def authenticate(self, request: Request) -> None:
        if self._master is None:
            return
        key = _presented_key(request)
        if key is None:
            raise Unauthorized(
                "Missing API key: send `Authorization: Bearer <key>` or `x-api-key: <key>`."
            )
        if not hmac.compare_digest(key.encode(), self._master):
            raise Unauthorized("Incorrect API key provided.")


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return request.headers.get("x-api-key") or None


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON, refusing bodies over ``limit`` bytes before reading them."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body is larger than the {limit}-byte limit.")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body is larger than the {limit}-byte limit.")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        raise InvalidRequest("The request body is empty; expected a JSON object.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            f"We could not parse the JSON body of your request. ({exc.args[0]})"
        ) from None


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def sse_response(frames: AsyncIterator[bytes], headers: dict[str, str]) -> StreamingResponse:
    headers = {**headers, "cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(frames, headers=headers, media_type="text/event-stream")


def error_headers(exc: PolyrouteError, info: CallInfo) -> dict[str, str]:
    """The call's headers, plus the provider's ``Retry-After`` so clients back off as asked."""
    headers = info.headers()
    if isinstance(exc, UpstreamError) and exc.retry_after is not None:
        headers["retry-after"] = f"{exc.retry_after:g}"
    return headers


T = TypeVar("T")


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


async def cancel_on_disconnect(request: Request, info: CallInfo, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``, cancelling it (and so its upstream request) if the client disconnects.

    Streams get this from the server; a non-streaming call would otherwise keep the provider
    generating (and billing) an answer nobody will read.
    """
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            info.client_disconnected = True
            task.cancel()
        watcher.cancel()
    if task.cancelled():
        raise ClientGone
    return task.result()


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
