"""The adapter for every provider that speaks OpenAI's Chat Completions protocol.

One adapter serves openai, mistral, groq, cerebras, deepinfra, xai, openrouter and
self-hosted servers; what differs between them is the provider's declared dialect
(``providers/registry.py``), applied by ``adapters/dialect.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson

from polyroute.adapters.dialect import (
    apply_chat_dialect,
    apply_embedding_dialect,
    apply_fim_dialect,
    dropped_embedding_params,
    dropped_fim_params,
    dropped_params,
)
from polyroute.adapters.http import HttpClient, Upstream, UpstreamStream, transport_errors
from polyroute.adapters.prefill import prefix_text, strip_echo, strip_echo_response
from polyroute.canonical import (
    AnyRequest,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    FimRequest,
    Finish,
    StreamEvent,
    StreamFailure,
    UsageReport,
)
from polyroute.config import ResolvedProvider, TimeoutConfig
from polyroute.errors import InvalidRequest, UpstreamError, UpstreamKind
from polyroute.wire.openai import (
    ChunkDecoder,
    decode_chat_response,
    decode_embedding_response,
    decode_error,
    encode_chat_request,
    encode_embedding_request,
    encode_fim_request,
)
from polyroute.wire.sse import IdleTimeout, read_sse


def auth_headers(provider: ResolvedProvider) -> dict[str, str]:
    headers = {"Content-Type": "application/json", **provider.headers}
    key = provider.api_key
    if key:
        scheme = provider.spec.auth
        if scheme == "bearer":
            headers["Authorization"] = f"Bearer {key}"
        elif scheme != "none":
            headers[scheme] = key
    return headers


class OpenAICompatAdapter:
    def __init__(
        self, provider: ResolvedProvider, session: HttpClient, timeouts: TimeoutConfig
    ) -> None:
        self.provider = provider.name
        self._dialect = provider.spec.openai
        self._base = provider.base_url
        self._timeouts = timeouts
        self._upstream = Upstream(
            self.provider, session, auth_headers(provider), timeouts, decode_error
        )

    def unsupported_params(self, request: AnyRequest) -> list[str]:
        if isinstance(request, EmbeddingRequest):
            return dropped_embedding_params(request, self._dialect)
        if isinstance(request, FimRequest):
            return dropped_fim_params(request, self._dialect)
        return dropped_params(request, self._dialect)

    # -- chat ---------------------------------------------------------------------------

    def _chat_body(self, request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
        body = encode_chat_request(request, model)
        return apply_chat_dialect(body, request, self._dialect, stream=stream)

    async def chat(self, request: ChatRequest, model: str) -> ChatResponse:
        data = await self._post_json(
            "/chat/completions", self._chat_body(request, model, stream=False)
        )
        response: ChatResponse = self._decode(decode_chat_response, data)
        echo = self._echoed_prefix(request)
        return strip_echo_response(response, echo) if echo else response

    def chat_stream(self, request: ChatRequest, model: str) -> AsyncIterator[StreamEvent]:
        events = self._stream("/chat/completions", self._chat_body(request, model, stream=True))
        echo = self._echoed_prefix(request)
        return strip_echo(events, echo) if echo else events

    def _echoed_prefix(self, request: ChatRequest) -> str | None:
        if not self._dialect.assistant_prefix_echoed:
            return None
        return prefix_text(request)

    # -- fill in the middle --------------------------------------------------------------

    def _fim_body(
        self, request: FimRequest, model: str, *, stream: bool
    ) -> tuple[str, dict[str, Any]]:
        if self._dialect.fim_path is None:
            raise InvalidRequest(
                f"provider {self.provider} has no fill-in-the-middle endpoint", param="model"
            )
        body = encode_fim_request(request, model)
        apply_fim_dialect(body, request.extra, self._dialect)
        if stream:
            body["stream"] = True
        else:
            body.pop("stream", None)
        return self._dialect.fim_path, body

    async def fim(self, request: FimRequest, model: str) -> ChatResponse:
        path, body = self._fim_body(request, model, stream=False)
        return self._decode(decode_chat_response, await self._post_json(path, body))

    def fim_stream(self, request: FimRequest, model: str) -> AsyncIterator[StreamEvent]:
        path, body = self._fim_body(request, model, stream=True)
        return self._stream(path, body)

    # -- embeddings ----------------------------------------------------------------------

    async def embed(self, request: EmbeddingRequest, model: str) -> EmbeddingResponse:
        body = encode_embedding_request(request, model)
        apply_embedding_dialect(body, request.extra, self._dialect)
        return self._decode(decode_embedding_response, await self._post_json("/embeddings", body))

    # -- transport -----------------------------------------------------------------------

    def _decode(self, decoder: Any, data: Any) -> Any:
        try:
            return decoder(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UpstreamError(
                UpstreamKind.SERVER,
                f"{self.provider}: unexpected response shape ({type(exc).__name__})",
                self.provider,
                502,
            ) from None

    async def _post_json(self, path: str, body: dict[str, Any]) -> Any:
        return await self._upstream.post_json(self._base + path, body)

    def _stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        return self._upstream.stream(self._base + path, body, self._events)

    async def _events(self, response: UpstreamStream) -> AsyncIterator[StreamEvent]:
        decoder = ChunkDecoder(self.provider)
        progress = _Progress()
        idle = IdleTimeout(self._timeouts.stream_idle, first=self._timeouts.first_byte)
        try:
            with transport_errors(self.provider, started=True):
                async for sse in read_sse(response.chunks(), idle):
                    if sse.data == "[DONE]":
                        break
                    try:
                        chunk = orjson.loads(sse.data)
                    except orjson.JSONDecodeError:
                        yield self._broken("sent a malformed stream chunk")
                        return
                    if not isinstance(chunk, Mapping):
                        yield self._broken("sent a stream chunk that is not an object")
                        return
                    for event in decoder.decode(dict(chunk)):
                        progress.see(event)
                        yield event
                        if isinstance(event, StreamFailure):
                            return
                    if progress.complete:
                        # Everything is in: don't hang on a missing [DONE].
                        idle.seconds = _DONE_GRACE
        except UpstreamError as exc:
            if not progress.complete:
                yield StreamFailure(exc)
            return
        if not progress.finished:
            # The body ended with choices unfinished: the answer is truncated and must not
            # pass for a whole one.
            yield self._broken("ended the stream before the answer was complete")

    def _broken(self, what: str) -> StreamFailure:
        return StreamFailure(
            UpstreamError(
                UpstreamKind.STREAM_BROKEN, f"{self.provider}: {what}", self.provider, 502
            )
        )


_DONE_GRACE = 0.5
"""Seconds to wait for ``[DONE]`` once every choice finished and usage arrived."""


class _Progress:
    """Which choices of a stream have started and finished, and whether usage arrived."""

    __slots__ = ("finished_choices", "open_choices", "usage")

    def __init__(self) -> None:
        self.open_choices: set[int] = set()
        self.finished_choices: set[int] = set()
        self.usage = False

    def see(self, event: StreamEvent) -> None:
        if isinstance(event, Finish):
            self.finished_choices.add(event.choice)
        elif isinstance(event, UsageReport):
            self.usage = True
        else:
            choice = getattr(event, "choice", None)
            if choice is not None:
                self.open_choices.add(choice)

    @property
    def finished(self) -> bool:
        return bool(self.finished_choices) and self.open_choices <= self.finished_choices

    @property
    def complete(self) -> bool:
        return self.usage and self.finished
