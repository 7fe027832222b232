"""The usage API: what calls cost — one call, a page of calls, or sums by group.

    GET /v1/usage/calls/{request_id}  the call with its attempts
    GET /v1/usage/calls               a page of calls, newest first
    GET /v1/usage/summary             calls, errors, tokens and cost per group

Filters (list and summary): ``key``, ``model``, ``provider``, ``route``, ``status``,
``start`` (inclusive) and ``end`` (exclusive) as ISO 8601 times (UTC when no offset).
Paging: ``limit`` (default 100, at most 1000) and the ``cursor`` a page returned.
Summary: ``group_by`` = key|model|provider|route|day, comma-separated or repeated.
``?format=csv`` or ``Accept: text/csv`` answers in CSV. Costs are exact decimal strings.

Every answer is scoped to the caller's *principal*: ``None`` (the master key) sees every
call; a key id sees only its own calls, and another key's call is a 404 like an unknown
one. Failures use OpenAI's error envelope.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from polyroute.errors import InvalidRequest, PolyrouteError
from polyroute.inbound.http import json_response
from polyroute.ledger import (
    CALL_COLUMNS,
    DIMENSIONS,
    MAX_LIMIT,
    CallFilter,
    Dimension,
    InvalidCursor,
    Ledger,
    call_json,
    summary_columns,
    summary_json,
    to_csv,
)
from polyroute.wire.openai import encode_error

log = logging.getLogger("polyroute.usage")

PrincipalResolver = Callable[[Request], Awaitable[str | None]]
"""Authenticates the caller: ``None`` for the master key, else the caller's key id."""
Handler = Callable[[Request, Ledger, str | None], Awaitable[Response]]


async def master_principal(request: Request) -> str | None:
    """The master key sees everything; a virtual key sees only its own calls."""
    return (await request.app.state.gateway.auth.authenticate(request)).key_id


def usage_routes(principal_of: PrincipalResolver = master_principal) -> list[Route]:
    def route(path: str, handler: Handler) -> Route:
        return Route(path, _endpoint(handler, principal_of), methods=["GET"])

    return [
        route("/v1/usage/calls/{request_id}", get_call),
        route("/v1/usage/calls", list_calls),
        route("/v1/usage/summary", summary),
    ]


def _endpoint(
    handler: Handler, principal_of: PrincipalResolver
) -> Callable[..., Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            principal = await principal_of(request)
            return await handler(request, request.app.state.ledger, principal)
        except PolyrouteError as exc:
            return json_response(encode_error(exc), exc.status)
        except Exception:
            log.exception("usage API failure on %s", request.url.path)
            failure = PolyrouteError("The gateway failed to read the usage ledger.")
            return json_response(encode_error(failure), failure.status)

    return endpoint


async def get_call(request: Request, ledger: Ledger, principal: str | None) -> Response:
    request_id = request.path_params["request_id"]
    found = await ledger.get_call(request_id, principal)
    if found is None:
        raise InvalidRequest(
            f"No call with request id {request_id!r}.", status=404, code="not_found"
        )
    return json_response(call_json(*found))


async def list_calls(request: Request, ledger: Ledger, principal: str | None) -> Response:
    params = request.query_params
    try:
        page = await ledger.list_calls(
            _filter(params), principal, limit=_limit(params), cursor=params.get("cursor") or None
        )
    except InvalidCursor as exc:
        raise InvalidRequest(str(exc), param="cursor") from None
    rows = [call_json(record) for record in page.calls]
    if _wants_csv(request):
        headers = {"x-next-cursor": page.next_cursor} if page.next_cursor else None
        return _csv(to_csv(rows, CALL_COLUMNS), headers)
    body = {
        "object": "list",
        "data": rows,
        "has_more": page.next_cursor is not None,
        "next_cursor": page.next_cursor,
    }
    return json_response(body)


async def summary(request: Request, ledger: Ledger, principal: str | None) -> Response:
    params = request.query_params
    group_by = _group_by(params)
    rows = [summary_json(r) for r in await ledger.summarize(_filter(params), principal, group_by)]
    if _wants_csv(request):
        return _csv(to_csv(rows, summary_columns(group_by)))
    return json_response({"object": "usage.summary", "group_by": list(group_by), "data": rows})


# -- parameters ----------------------------------------------------------------------------


def _filter(params: QueryParams) -> CallFilter:
    return CallFilter(
        key_id=params.get("key") or None,
        model=params.get("model") or None,
        provider=params.get("provider") or None,
        route=params.get("route") or None,
        status=params.get("status") or None,
        start=_time(params, "start"),
        end=_time(params, "end"),
    )


def _time(params: QueryParams, name: str) -> datetime | None:
    value = params.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))  # an unencoded "+" is a space
    except ValueError:
        raise InvalidRequest(
            f"`{name}` must be an ISO 8601 time such as 2025-01-31T00:00:00Z, got {value!r}.",
            param=name,
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _limit(params: QueryParams) -> int:
    value = params.get("limit")
    if value is None:
        return 100
    if not value.isdigit() or int(value) < 1:
        raise InvalidRequest(f"`limit` must be a positive integer, got {value!r}.", param="limit")
    return min(int(value), MAX_LIMIT)


def _group_by(params: QueryParams) -> tuple[Dimension, ...]:
    wanted: list[Dimension] = []
    for value in params.getlist("group_by"):
        for name in filter(None, (part.strip() for part in value.split(","))):
            if name not in DIMENSIONS:
                raise InvalidRequest(
                    f"`group_by` takes {', '.join(DIMENSIONS)}; got {name!r}.", param="group_by"
                )
            if name not in wanted:
                wanted.append(name)  # type: ignore[arg-type]  # checked against DIMENSIONS
    return tuple(wanted)


def _wants_csv(request: Request) -> bool:
    wanted = request.query_params.get("format")
    if wanted is not None:
        if wanted not in ("csv", "json"):
            raise InvalidRequest(f"`format` is csv or json, got {wanted!r}.", param="format")
        return wanted == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text, 200, headers, media_type="text/csv; charset=utf-8")
