"""The adapter for Anthropic's Messages API (``POST {base}/v1/messages``).

Requests, responses, stream events and errors are translated by ``polyroute.wire.anthropic``;
this module only moves bytes: auth headers, timeouts, and the stream guarantees every
adapter gives (a cut, stalled, malformed or ``error``-carrying stream ends in
``StreamFailure``, never in a silently truncated success).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn

import orjson

from polyroute.adapters.http import HttpClient, Upstream, UpstreamStream, transport_errors
from polyroute.adapters.prefill import (
    prefix_text,
    strip_echo,
    strip_echo_response,
    trailing_space,
)
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
from polyroute.wire.anthropic import (
    ANTHROPIC_BETA_FIELDS,
    AnthropicStreamDecoder,
    anthropic_fields,
    decode_error,
    decode_messages_response,
    encode_messages_request,
    json_tool_name,
    parse_betas,
)
from polyroute.wire.sse import IdleTimeout, read_sse

API_VERSION = "2023-06-01"
_COUNT_FIELDS = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "cache_control",
     "output_config"}
)  # fmt: skip
_BETA_COUNT_FIELDS = _COUNT_FIELDS | (ANTHROPIC_BETA_FIELDS - {"user_profile_id"})
"""What the beta API's ``count_tokens`` takes: its Messages fields but ``user_profile_id``."""
# Canonical fields Anthropic has no parameter for, and when they count as set.
_UNSUPPORTED: dict[str, Callable[[ChatRequest], bool]] = {
    "seed": lambda r: r.seed is not None,
    "presence_penalty": lambda r: r.presence_penalty is not None,
    "frequency_penalty": lambda r: r.frequency_penalty is not None,
    "logprobs": lambda r: bool(r.logprobs),
    "top_logprobs": lambda r: r.top_logprobs is not None,
}
_STOP_GRACE = 0.5
"""Seconds to wait for ``message_stop`` once ``message_delta`` arrived."""


class AnthropicAdapter:
    def __init__(
        self, provider: ResolvedProvider, session: HttpClient, timeouts: TimeoutConfig
    ) -> None:
        self.provider = provider.name
        self._base = provider.base_url.rstrip("/")
        self._headers = {
            "content-type": "application/json",
            "anthropic-version": API_VERSION,
            **provider.headers,
        }
        if provider.api_key:
            self._headers["x-api-key"] = provider.api_key
        configured = (v for k, v in self._headers.items() if k.lower() == "anthropic-beta")
        self._betas = parse_betas(*configured)
        """Betas the operator turned on for this provider (its ``headers``)."""
        self._timeouts = timeouts
        self._upstream = Upstream(self.provider, session, self._headers, timeouts, decode_error)

    def unsupported_params(self, request: AnyRequest) -> list[str]:
        if not isinstance(request, ChatRequest):
            return []  # no embeddings or fill-in-the-middle here: refused, not trimmed
        dropped = [name for name, is_set in _UNSUPPORTED.items() if is_set(request)]
        accepted = anthropic_fields(request)
        dropped.extend(k for k in request.extra if k not in accepted)
        return sorted(dropped)

    # -- messages ------------------------------------------------------------------------

    async def chat(self, request: ChatRequest, model: str) -> ChatResponse:
        body = encode_messages_request(request, model, stream=False)
        data = await self._post_json("/v1/messages", body, request)
        try:
            response = decode_messages_response(data, json_tool_name(request))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._error(f"unexpected response shape ({type(exc).__name__})") from None
        prefix = prefix_text(request)
        return strip_echo_response(response, trailing_space(prefix)) if prefix else response

    def chat_stream(self, request: ChatRequest, model: str) -> AsyncIterator[StreamEvent]:
        body = encode_messages_request(request, model, stream=True)
        decoder = AnthropicStreamDecoder(self.provider, json_tool_name(request))
        events = self._stream(body, decoder, request)
        prefix = prefix_text(request)
        return strip_echo(events, trailing_space(prefix)) if prefix else events

    async def count_tokens(self, request: ChatRequest, model: str) -> int:
        """Anthropic's own count of the request's input tokens."""
        encoded = encode_messages_request(request, model)
        fields = _BETA_COUNT_FIELDS if request.betas else _COUNT_FIELDS
        body = {k: v for k, v in encoded.items() if k in fields}
        data = await self._post_json("/v1/messages/count_tokens", body, request)
        count = data.get("input_tokens") if isinstance(data, dict) else None
        if not isinstance(count, int):
            raise self._error("unexpected count_tokens response")
        return count

    # -- what Anthropic does not have ----------------------------------------------------

    async def embed(self, request: EmbeddingRequest, model: str) -> EmbeddingResponse:
        self._no_endpoint("embeddings")

    async def fim(self, request: FimRequest, model: str) -> ChatResponse:
        self._no_endpoint("fill-in-the-middle")

    def fim_stream(self, request: FimRequest, model: str) -> AsyncIterator[StreamEvent]:
        self._no_endpoint("fill-in-the-middle")

    def _no_endpoint(self, what: str) -> NoReturn:
        raise InvalidRequest(f"provider {self.provider} has no {what} endpoint", param="model")

    # -- transport -----------------------------------------------------------------------

    def _error(self, what: str, kind: UpstreamKind = UpstreamKind.SERVER) -> UpstreamError:
        return UpstreamError(kind, f"{self.provider}: {what}", self.provider, 502)

    async def _post_json(self, path: str, body: dict[str, Any], request: ChatRequest) -> Any:
        url, headers = self._beta(self._base + path, request)
        return await self._upstream.post_json(url, body, headers)

    def _stream(
        self, body: dict[str, Any], decoder: AnthropicStreamDecoder, request: ChatRequest
    ) -> AsyncIterator[StreamEvent]:
        url, headers = self._beta(self._base + "/v1/messages", request)
        return self._upstream.stream(url, body, lambda r: self._events(r, decoder), headers)

    def _beta(self, url: str, request: ChatRequest) -> tuple[str, dict[str, str] | None]:
        """The beta API (the spec's ``?beta=true``, as the Anthropic SDK calls it) with the
        client's betas, after any the operator configured for this provider."""
        if not request.betas:
            return url, None
        betas = ",".join(parse_betas(*self._betas, *request.betas))
        return f"{url}?beta=true", {"anthropic-beta": betas}

    async def _events(
        self, response: UpstreamStream, decoder: AnthropicStreamDecoder
    ) -> AsyncIterator[StreamEvent]:
        idle = IdleTimeout(self._timeouts.stream_idle, first=self._timeouts.first_byte)
        try:
            with transport_errors(self.provider, started=True):
                async for sse in read_sse(response.chunks(), idle):
                    try:
                        data = orjson.loads(sse.data)
                        events = decoder.decode(data) if isinstance(data, dict) else None
                    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                        events = None
                    if events is None:
                        yield self._broken("sent a malformed stream event")
                        return
                    for event in events:
                        yield event
                    if decoder.stopped or any(isinstance(e, StreamFailure) for e in events):
                        return
                    if decoder.finished:
                        idle.seconds = _STOP_GRACE  # don't hang on a missing message_stop
        except UpstreamError as exc:
            if not decoder.finished:
                yield StreamFailure(exc)
            return
        if not decoder.finished:
            yield self._broken("ended the stream before the answer was complete")

    def _broken(self, what: str) -> StreamFailure:
        return StreamFailure(self._error(what, UpstreamKind.STREAM_BROKEN))
