"""The adapter for Google Gemini's native API.

``POST {base}/models/{model}:generateContent``, ``:streamGenerateContent?alt=sse`` and
``:batchEmbedContents``, authenticated with the ``x-goog-api-key`` header (never the
``?key=`` query, so keys stay out of URLs and logs). Translation lives in
``polyroute.wire.gemini``; this module is transport and stream guarantees:

* a body that ends after every started candidate finished is whole; one that ends sooner is
  truncated → ``StreamFailure`` (Gemini sends no ``[DONE]``);
* a stall longer than ``timeouts.stream_idle``, a malformed chunk, or an ``{"error": …}``
  chunk after the stream started → ``StreamFailure``;
* a blocked prompt or an error before the first event raises from the first ``__anext__``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import orjson

from polyroute.adapters.http import HttpClient, Upstream, UpstreamStream, transport_errors
from polyroute.adapters.openai_compat import auth_headers
from polyroute.canonical import (
    AnyRequest,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    FimRequest,
    StreamEvent,
    StreamFailure,
)
from polyroute.config import ResolvedProvider, TimeoutConfig
from polyroute.errors import InvalidRequest, UpstreamError, UpstreamKind
from polyroute.wire.gemini import (
    GeminiStreamDecoder,
    decode_embed_response,
    decode_error,
    decode_generate_response,
    encode_embed_request,
    encode_generate_request,
    forwarded_extra,
    model_resource,
    stream_error,
)
from polyroute.wire.gemini.embeddings import EXTRA_FIELDS as EMBED_EXTRA_FIELDS
from polyroute.wire.sse import IdleTimeout, read_sse

_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


class GeminiAdapter:
    def __init__(
        self, provider: ResolvedProvider, session: HttpClient, timeouts: TimeoutConfig
    ) -> None:
        self.provider = provider.name
        self._base = provider.base_url.rstrip("/")
        self._timeouts = timeouts
        self._upstream = Upstream(
            self.provider, session, auth_headers(provider), timeouts, decode_error
        )

    def unsupported_params(self, request: AnyRequest) -> list[str]:
        """Set fields Gemini has no slot for; they are not sent."""
        if isinstance(request, EmbeddingRequest):
            dropped = [key for key in request.extra if key not in EMBED_EXTRA_FIELDS]
            return sorted([*dropped, "user"] if request.user is not None else dropped)
        if isinstance(request, FimRequest):
            return []  # no fill-in-the-middle here: refused, not trimmed
        dropped = [key for key in request.extra if key not in forwarded_extra(request)]
        if request.user is not None:
            dropped.append("user")
        if request.parallel_tool_calls is False or (
            request.tool_choice is not None and request.tool_choice.disable_parallel
        ):
            dropped.append("parallel_tool_calls")  # Gemini cannot forbid parallel calls
        return sorted(dropped)

    def _url(self, model: str, method: str) -> str:
        return f"{self._base}/{quote(model_resource(model), safe='/')}:{method}"

    # -- chat ---------------------------------------------------------------------------

    async def chat(self, request: ChatRequest, model: str) -> ChatResponse:
        body = encode_generate_request(request, model)
        data = await self._post_json(self._url(model, "generateContent"), body)
        return self._decode(lambda d: decode_generate_response(d, self.provider), data)

    def chat_stream(self, request: ChatRequest, model: str) -> AsyncIterator[StreamEvent]:
        body = encode_generate_request(request, model)
        return self._stream(self._url(model, "streamGenerateContent") + "?alt=sse", body)

    # -- fill in the middle --------------------------------------------------------------

    async def fim(self, request: FimRequest, model: str) -> ChatResponse:
        raise self._no_fim()

    def fim_stream(self, request: FimRequest, model: str) -> AsyncIterator[StreamEvent]:
        raise self._no_fim()

    def _no_fim(self) -> InvalidRequest:
        return InvalidRequest(
            f"provider {self.provider} has no fill-in-the-middle endpoint", param="model"
        )

    # -- embeddings ----------------------------------------------------------------------

    async def embed(self, request: EmbeddingRequest, model: str) -> EmbeddingResponse:
        body = encode_embed_request(request, model)
        data = await self._post_json(self._url(model, "batchEmbedContents"), body)
        return self._decode(lambda d: decode_embed_response(d, request, model), data)

    # -- transport -----------------------------------------------------------------------

    def _decode(self, decoder: Callable[[Any], Any], data: Any) -> Any:
        if not isinstance(data, dict):
            raise self._shape_error("response is not an object")
        try:
            return decoder(data)
        except _SHAPE_ERRORS as exc:
            raise self._shape_error(type(exc).__name__) from None

    def _shape_error(self, what: str) -> UpstreamError:
        return UpstreamError(
            UpstreamKind.SERVER,
            f"{self.provider}: unexpected response shape ({what})",
            self.provider,
            502,
        )

    async def _post_json(self, url: str, body: dict[str, Any]) -> Any:
        return await self._upstream.post_json(url, body)

    def _stream(self, url: str, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        return self._upstream.stream(url, body, self._events)

    async def _events(self, response: UpstreamStream) -> AsyncIterator[StreamEvent]:
        decoder = GeminiStreamDecoder(self.provider)
        idle = IdleTimeout(self._timeouts.stream_idle, first=self._timeouts.first_byte)
        try:
            with transport_errors(self.provider, started=True):
                async for sse in read_sse(response.chunks(), idle):
                    for event in decoder.decode(self._chunk(sse.data)):
                        yield event
            if not decoder.finished:
                # The body ended with candidates unfinished: a truncated answer must not
                # pass for a whole one.
                raise self._broken("ended the stream before the answer was complete")
        except UpstreamError as exc:
            if not decoder.started:
                raise  # nothing was streamed yet: the router may still retry or fail over
            yield StreamFailure(exc)
            return
        for event in decoder.end():
            yield event

    def _chunk(self, data: str) -> dict[str, Any]:
        """One SSE event's chunk; raises ``UpstreamError`` for garbage or an error chunk."""
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise self._broken("sent a malformed stream chunk") from None
        if not isinstance(chunk, dict):
            raise self._broken("sent a stream chunk that is not an object")
        error = stream_error(chunk)
        if error is not None:
            raise decode_error(error[0], error[1], self.provider, {})
        return chunk

    def _broken(self, what: str) -> UpstreamError:
        return UpstreamError(
            UpstreamKind.STREAM_BROKEN, f"{self.provider}: {what}", self.provider, 502
        )
