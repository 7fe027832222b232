"""The Gemini native API emulator (aiohttp): ``/v1beta/models/{model}:<method>``.

Base URL ``<origin>/v1beta``. Methods: ``generateContent``, ``streamGenerateContent`` (``?alt=sse``
→ ``data: {...}\\r\\n\\r\\n`` events; otherwise one streamed JSON array), ``countTokens``,
``embedContent``, ``batchEmbedContents``; ``GET /v1beta/models[/{model}]``.

Auth: ``x-goog-api-key`` or ``?key=``. Missing → 403 PERMISSION_DENIED (unregistered callers);
wrong (``api_key`` set and different, or a key starting with ``invalid``) → 400 API_KEY_INVALID.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from typing import Any

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
from polyroute.emulators.gemini import catalog, errors, generation, validation
from polyroute.emulators.gemini.errors import GoogleError, dump, invalid

BASE = "/v1beta"
SSE_SEP = b"\r\n\r\n"
METHODS = ("generateContent", "streamGenerateContent", "countTokens", "embedContent",
           "batchEmbedContents")  # fmt: skip


def sse_json(payload: Any) -> bytes:
    """Compact JSON with ``": "`` after keys, as Google's SSE chunks are written."""
    return json.dumps(payload, separators=(",", ": "), ensure_ascii=False).encode()


def embedding(text: str, dims: int) -> list[float]:
    raw = b""
    block = text.encode()
    while len(raw) < dims * 4:
        block = hashlib.sha256(block).digest()
        raw += block
    values = [(v / 0xFFFFFFFF) * 2 - 1 for v in struct.unpack(f"<{dims}I", raw[: dims * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


class GeminiEmulator:
    def __init__(self, state: EmulatorState, api_key: str | None, models: list[str] | None) -> None:
        self.state = state
        self.api_key = api_key
        self.table = catalog.select(models)

    def _auth(self, request: web.Request) -> GoogleError | None:
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not key:
            return GoogleError(403, errors.UNREGISTERED)
        bad = key != self.api_key if self.api_key is not None else key.startswith("invalid")
        return errors.api_key_invalid() if bad else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "")
        model_id, _, method = name.partition(":")
        has_body = request.method == "POST"
        body, parsed = await read_json(request) if has_body else (None, True)
        self.state.log.record(request, body)
        denied = self._auth(request)
        if denied is not None:
            return errors.response(denied)
        fault = self.state.faults.take(request.path, model_id or None)
        early = await apply_before_headers(
            request, fault, self.state,
            lambda status: errors.response(errors.for_status(status, fault and fault.retry_after)),
        )  # fmt: skip
        if early is not None:
            return early
        if not parsed:
            return errors.response(invalid("Invalid JSON payload received. Unexpected token."))
        try:
            if not has_body:
                return self._models(model_id or None, request)
            if method not in METHODS:
                raise GoogleError(404, f"Method not found: {method}")
            return await self._dispatch(method, model_id, body, fault, request)
        except GoogleError as err:
            return errors.response(err)

    def _models(self, model_id: str | None, request: web.Request) -> web.Response:
        if model_id is None:
            size = int(request.query.get("pageSize", "50") or 50)
            payload = catalog.listing(
                self.table, max(1, min(size, 1000)), request.query.get("pageToken")
            )
        else:
            found = catalog.find(model_id, self.table)
            if found is None:
                raise GoogleError(404, f"models/{model_id} is not found for API version v1beta")
            payload = catalog.model_resource(found)
        return self._json(payload)

    @staticmethod
    def _json(payload: Any) -> web.Response:
        return web.Response(body=dump(payload), content_type="application/json", charset="UTF-8")

    def _model(self, model_id: str, method: str) -> catalog.GeminiModel:
        found = catalog.find(model_id, self.table)
        embed_method = method in ("embedContent", "batchEmbedContents")
        if found is None or (found.embedding != embed_method and method != "countTokens"):
            raise errors.model_not_found(model_id, "embedContent" if embed_method else method)
        return found

    async def _dispatch(
        self, method: str, model_id: str, body: Any, fault: Fault | None, request: web.Request
    ) -> web.StreamResponse:
        model = self._model(model_id, method)
        if method in ("embedContent", "batchEmbedContents"):
            return self._json(self._embed(method, model, body))
        if method == "countTokens":
            return self._json(self._count(body, model))
        req = validation.validate_generate(body, model)
        n_text, n_images = generation.prompt_tokens(req)
        if (fault and fault.context_length) or n_text + n_images > model.input_limit:
            shown = max(n_text + n_images, model.input_limit + 1)
            raise invalid(f"The input token count ({shown}) exceeds the maximum number of "
                          f"tokens allowed ({model.input_limit}).")  # fmt: skip
        reply = generation.answer(req, model, safety=bool(fault and fault.content_filter),
                                  prompt_blocked=bool(fault and fault.prompt_blocked))  # fmt: skip
        if method == "generateContent":
            return self._json(generation.response_body(reply))
        return await self._stream(reply, fault, request)

    async def _stream(
        self, reply: generation.Reply, fault: Fault | None, request: web.Request
    ) -> web.StreamResponse:
        chunks = generation.chunks(reply)
        error = errors.for_status(503).body()
        sse = request.query.get("alt") == "sse"
        response = web.StreamResponse(headers={"content-disposition": "attachment"})
        if sse:
            response.content_type = "text/event-stream"
            plan = StreamPlan(
                events=[b"data: " + sse_json(c) + SSE_SEP for c in chunks], terminator=None,
                error_event=b"data: " + sse_json(error) + SSE_SEP,
                malformed=b'data: {"candidates": [{"content": {"parts": [{"text": "bro' + SSE_SEP,
            )  # fmt: skip
        else:
            response.content_type = "application/json"
            response.charset = "UTF-8"
            plan = StreamPlan(
                events=[(b"[" if i == 0 else b",\r\n") + dump(c) for i, c in enumerate(chunks)],
                terminator=b"]", error_event=b",\r\n" + dump(error),
                malformed=b',\r\n{\n  "candidates": [\n    {\n      "content": {\n        "pa',
            )  # fmt: skip
        await send_stream(request, response, plan, fault, self.state)
        return response

    def _count(self, body: Any, model: catalog.GeminiModel) -> dict[str, Any]:
        req = validation.normalize(body if isinstance(body, dict) else {}, validation.COUNT_REQUEST)
        if "contents" in req and "generateContentRequest" in req:
            raise invalid("contents and generate_content_request cannot both be set.")
        inner = req.get("generateContentRequest") or {"contents": req.get("contents") or []}
        validation.check_contents(inner.get("contents"), "CountTokensRequest")
        n_text, n_images = generation.prompt_tokens(inner)
        cached = generation.cached_tokens(inner)
        out: dict[str, Any] = {"totalTokens": n_text + n_images + cached}
        if cached:
            out["cachedContentTokenCount"] = cached
        details = [{"modality": "TEXT", "tokenCount": n_text}]
        if n_images:
            details.append({"modality": "IMAGE", "tokenCount": n_images})
        out["promptTokensDetails"] = details
        return out

    def _embed(self, method: str, model: catalog.GeminiModel, body: Any) -> dict[str, Any]:
        if method == "embedContent":
            req = validation.normalize(
                body if isinstance(body, dict) else {}, validation.EMBED_REQUEST
            )
            return {"embedding": self._vector(req, model, "EmbedContentRequest")}
        batch = validation.normalize(body if isinstance(body, dict) else {}, validation.BATCH_EMBED)
        vectors = []
        for i, req in enumerate(batch.get("requests") or []):
            if req.get("model") != f"models/{model.id}":
                raise invalid(f"* BatchEmbedContentsRequest.requests[{i}].model: unexpected model "
                              "name format\n")  # fmt: skip
            vectors.append(self._vector(req, model, f"BatchEmbedContentsRequest.requests[{i}]"))
        return {"embeddings": vectors}

    def _vector(self, req: dict[str, Any], model: catalog.GeminiModel, loc: str) -> dict[str, Any]:
        content = req.get("content")
        if not content:
            raise invalid(f"* {loc}.content: content is not specified\n")
        validation.check_parts(content.get("parts"), f"{loc}.content")
        text = " ".join(str(p.get("text", "")) for p in content["parts"])
        dims = req.get("outputDimensionality") or model.dimensions
        return {"values": embedding(text, int(dims))}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{BASE}/models", self.handle),
            web.get(f"{BASE}/models/{{name}}", self.handle),
            web.post(f"{BASE}/models/{{name}}", self.handle),
        ]


def build_app(
    profile_name: str = "gemini",
    state: EmulatorState | None = None,
    *,
    api_key: str | None = None,
    models: list[str] | None = None,
) -> tuple[web.Application, str]:
    """The Gemini emulator app and its base path (``/v1beta``)."""
    state = state or EmulatorState()
    app = web.Application(client_max_size=100 * 1024 * 1024)
    app.add_routes(control_routes(state))
    app.add_routes(GeminiEmulator(state, api_key, models).routes())
    return app, BASE
