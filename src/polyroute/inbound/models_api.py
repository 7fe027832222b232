"""``GET /v1/models`` and ``GET /v1/models/{id}``, in the dialect the client speaks.

Both APIs use these paths: a request carrying ``anthropic-version`` (the Anthropic SDK sends
it always) gets Anthropic's shapes, cursor pages and error envelope; any other, OpenAI's.
Either way the caller sees the routes and models it may use: a virtual key, only those its
allow-list admits, and any other id is not found.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from polyroute.canonical import ModelInfo
from polyroute.errors import InvalidRequest, ModelNotFound
from polyroute.gateway.calls import CallInfo
from polyroute.inbound import anthropic_api, openai_api
from polyroute.inbound.http import json_response
from polyroute.inbound.state import GatewayState

_PAGE = 20
_MAX_PAGE = 1000
_UNKNOWN_RELEASE = "1970-01-01T00:00:00Z"
"""Anthropic's ``created_at`` where the release date is unknown (its spec says the epoch)."""


def models_endpoints() -> tuple[Callable[[Request], Awaitable[Response]], ...]:
    """The list and the retrieve endpoint, each answering in the client's dialect."""
    return (
        _by_dialect(
            openai_api.openai_endpoint(_openai_list),
            anthropic_api.anthropic_endpoint(_anthropic_list),
        ),
        _by_dialect(
            openai_api.openai_endpoint(_openai_retrieve),
            anthropic_api.anthropic_endpoint(_anthropic_retrieve),
        ),
    )


def _by_dialect(
    openai: Callable[[Request], Awaitable[Response]],
    anthropic: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if "anthropic-version" in request.headers:
            return await anthropic(request)
        return await openai(request)

    return endpoint


def _visible(state: GatewayState, info: CallInfo) -> list[ModelInfo]:
    principal = info.principal
    return [m for m in state.models if principal is None or principal.allows(m.id)]


def _found(state: GatewayState, info: CallInfo, model_id: str) -> ModelInfo:
    for model in _visible(state, info):
        if model.id == model_id:
            return model
    raise ModelNotFound(f"The model '{model_id}' does not exist", param="model")


# -- OpenAI ----------------------------------------------------------------------------------


async def _openai_list(request: Request, state: GatewayState, info: CallInfo) -> Response:
    data = [_openai_json(m, state) for m in _visible(state, info)]
    body = {"object": "list", "data": data}
    return json_response(body, headers={"x-request-id": info.request_id})


async def _openai_retrieve(request: Request, state: GatewayState, info: CallInfo) -> Response:
    model = _found(state, info, request.path_params["model"])
    return json_response(_openai_json(model, state), headers={"x-request-id": info.request_id})


def _openai_json(model: ModelInfo, state: GatewayState) -> dict[str, object]:
    created = int(state.started_at)
    return {"id": model.id, "object": "model", "created": created, "owned_by": model.owned_by}


# -- Anthropic -------------------------------------------------------------------------------


async def _anthropic_list(request: Request, state: GatewayState, info: CallInfo) -> Response:
    """One page of models: ``limit`` (1-1000, default 20) after ``after_id`` or before
    ``before_id``, with the ids that continue it either way."""
    params = request.query_params
    limit = _limit(params.get("limit"))
    after, before = params.get("after_id"), params.get("before_id")
    if after and before:
        raise InvalidRequest("Specify at most one of 'after_id' and 'before_id'.")
    models = _visible(state, info)
    ids = [m.id for m in models]
    if before:
        end = _position(ids, before, "before_id")
        start = max(0, end - limit)
        has_more = start > 0
    else:
        start = _position(ids, after, "after_id") + 1 if after else 0
        end = min(len(models), start + limit)
        has_more = end < len(models)
    page = [_anthropic_json(m) for m in models[start:end]]
    body = {
        "data": page,
        "has_more": has_more,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
    }
    return json_response(body, headers=_anthropic_headers(info))


async def _anthropic_retrieve(request: Request, state: GatewayState, info: CallInfo) -> Response:
    model = _found(state, info, request.path_params["model"])
    return json_response(_anthropic_json(model), headers=_anthropic_headers(info))


def _anthropic_json(model: ModelInfo) -> dict[str, object]:
    return {
        "type": "model",
        "id": model.id,
        "display_name": model.id,
        "created_at": _UNKNOWN_RELEASE,
        "capabilities": None,
        "max_input_tokens": model.context_window,
        "max_tokens": model.max_output,
    }


def _anthropic_headers(info: CallInfo) -> dict[str, str]:
    return {"request-id": info.request_id, "x-request-id": info.request_id}


def _limit(given: str | None) -> int:
    if given is None:
        return _PAGE
    if not given.isdigit() or not 1 <= int(given) <= _MAX_PAGE:
        raise InvalidRequest(f"limit: must be an integer from 1 to {_MAX_PAGE}.", param="limit")
    return int(given)


def _position(ids: list[str], cursor: str, name: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise InvalidRequest(f"{name}: no model with id {cursor!r}.", param=name) from None
