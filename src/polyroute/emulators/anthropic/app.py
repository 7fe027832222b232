"""The Anthropic Messages API emulator (aiohttp): routes, auth, faults, answers.

Base URL is the server origin (the ``anthropic`` SDK appends ``/v1/...``). Endpoints:
``POST /v1/messages`` (stream or not), ``POST /v1/messages/count_tokens``, ``GET /v1/models``,
``GET /v1/models/{id}``; plus the shared ``/_emulator/*`` control routes (see faults.py).

Auth: ``x-api-key`` (Bearer is refused as Anthropic does). With ``api_key`` set only that key
passes; otherwise any key not starting with ``invalid`` passes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from polyroute.emulators.anthropic import catalog, generation, streaming, validation
from polyroute.emulators.anthropic.errors import (
    AnthropicError,
    common_headers,
    error_response,
    for_status,
    invalid,
    request_id,
)
from polyroute.emulators.faults import (
    EmulatorState,
    Fault,
    apply_before_headers,
    control_routes,
    read_json,
    send_stream,
)

VERSION_RE = re.compile(r"^20\d\d-\d\d-\d\d$")
"""Any dated version from 2023-01-01 on passes (the installed SDK sends ``2026-10-21``)."""
MAX_BODY = 32 * 1024 * 1024
Endpoint = Callable[[Any, Fault | None, web.Request, str], Awaitable[web.StreamResponse]]


class AnthropicEmulator:
    def __init__(self, state: EmulatorState, api_key: str | None, models: list[str] | None) -> None:
        self.state = state
        self.api_key = api_key
        self.table = catalog.select(models)

    def _auth(self, request: web.Request) -> AnthropicError | None:
        key = request.headers.get("x-api-key", "")
        if not key:
            bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
            msg = "OAuth authentication is currently not supported." if bearer else None
            return AnthropicError(401, msg or "x-api-key header is required")
        bad = key != self.api_key if self.api_key is not None else key.startswith("invalid")
        if bad:
            return AnthropicError(401, "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if version is None:
            return invalid("anthropic-version: header is required")
        if not VERSION_RE.match(version) or version < "2023-01-01":
            return invalid(f"anthropic-version: invalid version '{version}'")
        return None

    def route(self, endpoint: Endpoint, *, has_body: bool = True) -> Callable[..., Any]:
        async def handler(request: web.Request) -> web.StreamResponse:
            rid = request_id()
            too_large = (request.content_length or 0) > MAX_BODY
            body, parsed = (None, True) if too_large or not has_body else await read_json(request)
            self.state.log.record(request, body)
            denied = self._auth(request)
            if denied is not None:
                return error_response(denied, rid)
            model = body.get("model") if isinstance(body, dict) else None
            fault = self.state.faults.take(request.path, model)
            early = await apply_before_headers(request, fault, self.state, for_status)
            if early is not None:
                return early
            if too_large:
                return error_response(AnthropicError(413, "Request exceeds the maximum allowed "
                                                          "number of bytes."), rid)  # fmt: skip
            if not parsed:
                return error_response(invalid("There was an error parsing the body of your "
                                              "request: invalid JSON"), rid)  # fmt: skip
            try:
                return await endpoint(body, fault, request, rid)
            except AnthropicError as err:
                return error_response(err, rid)

        return handler

    def _check_context(self, model: catalog.ClaudeModel, body: Any, fault: Fault | None) -> None:
        n = generation.count_tokens(body)
        if (fault and fault.context_length) or n > model.max_input_tokens:
            shown = max(n, model.max_input_tokens + 8_310)
            raise invalid(f"prompt is too long: {shown} tokens > {model.max_input_tokens} maximum")

    async def messages(
        self, body: Any, fault: Fault | None, request: web.Request, rid: str
    ) -> web.StreamResponse:
        beta = request.query.get("beta") == "true"
        model = validation.validate(body, self.table, beta=beta)
        self._check_context(model, body, fault)
        reply = generation.answer(body, model, refusal=bool(fault and fault.content_filter))
        headers = common_headers(rid)
        if not body.get("stream"):
            payload = orjson.dumps(reply.message())
            return web.Response(body=payload, content_type="application/json", headers=headers)
        response = web.StreamResponse(headers={**headers, "cache-control": "no-cache"})
        response.content_type = "text/event-stream"
        response.charset = "utf-8"
        plan = streaming.stream_plan(reply, drop_stop=bool(fault and fault.no_done))
        await send_stream(request, response, plan, fault, self.state)
        return response

    async def count_tokens(
        self, body: Any, fault: Fault | None, request: web.Request, rid: str
    ) -> web.StreamResponse:
        beta = request.query.get("beta") == "true"
        model = validation.validate(body, self.table, count_tokens=True, beta=beta)
        self._check_context(model, body, fault)
        payload = {"input_tokens": generation.count_tokens(body)}
        return web.json_response(payload, headers=common_headers(rid))

    async def models(
        self, body: Any, fault: Fault | None, request: web.Request, rid: str
    ) -> web.StreamResponse:
        model_id = request.match_info.get("model_id")
        if model_id is not None:
            found = catalog.find(model_id, self.table)
            if found is None:
                raise AnthropicError(404, f"model: {model_id}")
            return web.json_response(catalog.model_info(found), headers=common_headers(rid))
        try:
            limit = int(request.query.get("limit", "20"))
        except ValueError:
            raise invalid("limit: Input should be a valid integer") from None
        if not 1 <= limit <= 1000:
            raise invalid("limit: Input should be less than or equal to 1000")
        listing = catalog.listing(self.table, limit, request.query.get("after_id"))
        return web.json_response(listing, headers=common_headers(rid))

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/messages", self.route(self.messages)),
            web.post("/v1/messages/count_tokens", self.route(self.count_tokens)),
            web.get("/v1/models", self.route(self.models, has_body=False)),
            web.get("/v1/models/{model_id}", self.route(self.models, has_body=False)),
        ]


def build_app(
    profile_name: str = "anthropic",
    state: EmulatorState | None = None,
    *,
    api_key: str | None = None,
    models: list[str] | None = None,
) -> tuple[web.Application, str]:
    """The Anthropic emulator app and its base path (``""``: the SDK appends ``/v1``)."""
    state = state or EmulatorState()
    app = web.Application(client_max_size=MAX_BODY + 1024 * 1024)
    app.add_routes(control_routes(state))
    app.add_routes(AnthropicEmulator(state, api_key, models).routes())
    return app, ""
