"""aiohttp.web routes of one OpenAI-compatible provider emulator.

Request pipeline: log → auth → fault (latency / reset / status) → JSON → validation →
context window → deterministic answer → JSON body or SSE stream (with stream faults).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from polyroute.emulators.faults import (
    EmulatorState,
    Fault,
    StreamPlan,
    apply_before_headers,
    control_routes,
    read_json,
    send_stream,
)
from polyroute.emulators.openai_compat import errors, validation
from polyroute.emulators.openai_compat.catalog import PROFILES
from polyroute.emulators.openai_compat.errors import ApiError
from polyroute.emulators.openai_compat.generation import (
    Reply,
    generate_chat,
    generate_fim,
    prompt_tokens,
)
from polyroute.emulators.openai_compat.profiles import ModelCard, Profile
from polyroute.emulators.openai_compat.resources import embeddings_body, model_entry, models_body
from polyroute.emulators.openai_compat.shapes import REQUEST_IDS, Context, chat_body
from polyroute.emulators.openai_compat.streaming import stream_plan

Endpoint = Callable[[dict[str, Any], Fault | None, web.Request], Awaitable[web.StreamResponse]]


def with_models(profile: Profile, models: list[str] | None) -> Profile:
    """The profile serving exactly ``models`` (unknown ids become plain chat models)."""
    if models is None:
        return profile
    cards = []
    for model_id in models:
        card = profile.model(model_id)
        if card is None:
            embedding = "embed" in model_id
            card = ModelCard(
                model_id,
                kind="embedding" if embedding else "chat",
                dimensions=768 if embedding else 0,
            )
        cards.append(card)
    return dataclasses.replace(profile, models=tuple(cards))


class OpenAICompatEmulator:
    def __init__(self, profile: Profile, state: EmulatorState, api_key: str | None) -> None:
        self.profile = profile
        self.state = state
        self.api_key = api_key

    # -- plumbing -------------------------------------------------------------------------

    def _error(self, err: ApiError) -> web.Response:
        """The provider's error body, with its usual headers (rate limits, request id)."""
        response = errors.response(self.profile, err)
        response.headers.update(self._headers(None, time.monotonic()))
        return response

    def _auth(self, request: web.Request) -> ApiError | None:
        header = request.headers.get("Authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not key or (self.api_key is not None and key != self.api_key):
            return errors.unauthorized(self.profile, key or None)
        return None

    def _headers(self, ctx: Context | None, started: float) -> dict[str, str]:
        headers = dict(self.profile.headers)
        name = self.profile.request_id_header
        if name is not None:
            headers[name] = REQUEST_IDS[name](ctx.id if ctx else "")
        if self.profile.processing_ms_header:
            headers[self.profile.processing_ms_header] = str(
                int((time.monotonic() - started) * 1000) + 1
            )
        return headers

    def route(self, endpoint: Endpoint, *, has_body: bool = True) -> Callable[..., Any]:
        async def handler(request: web.Request) -> web.StreamResponse:
            body, parsed = await read_json(request) if has_body else (None, True)
            self.state.log.record(request, body)
            denied = self._auth(request)
            if denied is not None:
                return self._error(denied)
            model = body.get("model") if isinstance(body, dict) else None
            fault = self.state.faults.take(request.path, model)
            early = await apply_before_headers(
                request,
                fault,
                self.state,
                lambda status: self._error(errors.for_status(self.profile, status, model)),
            )
            if early is not None:
                return early
            if not parsed:
                return self._error(errors.invalid_json(self.profile))
            try:
                return await endpoint(body, fault, request)
            except ApiError as err:
                return self._error(err)

        return handler

    # -- endpoints ------------------------------------------------------------------------

    async def chat(
        self, body: Any, fault: Fault | None, request: web.Request
    ) -> web.StreamResponse:
        card = validation.validate_chat(self.profile, body)
        self._check_context(card, body, fault)
        filtered = bool(fault and fault.content_filter)
        reply = generate_chat(self.profile, card, body, content_filter=filtered)
        return await self._answer(card, body, reply, fault, request)

    async def fim(self, body: Any, fault: Fault | None, request: web.Request) -> web.StreamResponse:
        card = validation.validate_fim(self.profile, body)
        self._check_context(card, body, fault)
        reply = generate_fim(self.profile, card, body)
        return await self._answer(card, body, reply, fault, request)

    def _check_context(self, card: ModelCard, body: dict[str, Any], fault: Fault | None) -> None:
        tokens = prompt_tokens(body)
        if (fault and fault.context_length) or tokens > card.context_window:
            raise errors.context_length(
                self.profile, card.context_window, max(tokens, card.context_window + 1)
            )

    async def _answer(
        self,
        card: ModelCard,
        body: dict[str, Any],
        reply: Reply,
        fault: Fault | None,
        request: web.Request,
    ) -> web.StreamResponse:
        started = time.monotonic()
        ctx = Context.new(self.profile, card, body)
        headers = self._headers(ctx, started)
        if not body.get("stream"):
            payload = orjson.dumps(chat_body(ctx, reply))
            if fault is None or not fault.affects_stream:
                return web.Response(body=payload, content_type="application/json", headers=headers)
            # a JSON body under a stream fault: two "chunks" (halves), no terminator
            half = len(payload) // 2
            plan = StreamPlan(events=[payload[:half], payload[half:]], terminator=None)
            content_type = "application/json"
        else:
            plan, content_type = stream_plan(ctx, reply), "text/event-stream"
        response = web.StreamResponse(headers=headers)
        response.content_type = content_type
        response.charset = "utf-8"
        await send_stream(request, response, plan, fault, self.state)
        return response

    async def embeddings(
        self, body: Any, fault: Fault | None, request: web.Request
    ) -> web.StreamResponse:
        card = validation.validate_embeddings(self.profile, body)
        payload = orjson.dumps(embeddings_body(self.profile, card, body))
        headers = self._headers(None, time.monotonic())
        return web.Response(body=payload, content_type="application/json", headers=headers)

    async def models(
        self, body: Any, fault: Fault | None, request: web.Request
    ) -> web.StreamResponse:
        model_id = request.match_info.get("model")
        if model_id is None:
            payload: Any = models_body(self.profile)
        else:
            card = self.profile.model(model_id)
            if card is None:
                raise errors.model_not_found(self.profile, model_id)
            payload = model_entry(self.profile, card)
        return web.Response(body=orjson.dumps(payload), content_type="application/json")

    def routes(self) -> list[web.RouteDef]:
        base = self.profile.base_path
        defs = [
            web.post(f"{base}/chat/completions", self.route(self.chat)),
            web.post(f"{base}/embeddings", self.route(self.embeddings)),
            web.get(f"{base}/models", self.route(self.models, has_body=False)),
            web.get(f"{base}/models/{{model:.+}}", self.route(self.models, has_body=False)),
        ]
        if self.profile.fim_fields:
            defs.append(web.post(f"{base}/fim/completions", self.route(self.fim)))
        return defs


def build_app(
    profile_name: str,
    state: EmulatorState,
    *,
    api_key: str | None = None,
    models: list[str] | None = None,
) -> tuple[web.Application, str]:
    """The emulator app for ``profile_name`` and its base path."""
    profile = with_models(PROFILES[profile_name], models)
    emulator = OpenAICompatEmulator(profile, state, api_key)
    app = web.Application()
    app.add_routes(control_routes(state))
    app.add_routes(emulator.routes())
    return app, profile.base_path
