"""The Anthropic-dialect endpoints: ``POST /v1/messages`` and ``/v1/messages/count_tokens``.

Any provider serves them through the dispatcher (``model: "mistral/mistral-small-latest"``
works as well as ``anthropic/claude-...``). Bodies are decoded and encoded with
``polyroute.wire.anthropic``; every failure leaves in Anthropic's envelope and status, and a
stream that fails after it began ends with ``event: error``. ``anthropic-version`` and
``anthropic-beta`` turns on beta features for Anthropic targets (the header and the beta
fields go on to them); other providers have none.

``count_tokens`` asks the target's adapter when it can count (the Anthropic adapter forwards
to ``/v1/messages/count_tokens``); otherwise it answers a local estimate, with no network
and no tokenizer download: per message 4 tokens of framing, text at one token per 4 ASCII
characters plus one per non-ASCII character (CJK runs about one token per character),
tool calls and tool declarations by their JSON text, and 1,600 tokens per image (Anthropic's
figure for a full-size image, so an upper bound).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from polyroute.adapters.base import Adapter
from polyroute.canonical import ChatRequest, ImagePart, StreamEvent, StreamFailure
from polyroute.errors import InvalidRequest, PolyrouteError
from polyroute.gateway.calls import CallInfo
from polyroute.gateway.targets import Target
from polyroute.inbound.http import (
    Handler,
    api_endpoint,
    error_headers,
    json_response,
    read_json,
    sse_response,
)
from polyroute.inbound.state import GatewayState
from polyroute.wire.anthropic import (
    AnthropicStreamEncoder,
    decode_messages_request,
    encode_error,
    encode_messages_response,
    parse_betas,
)

_MESSAGE_FRAMING = 4
_IMAGE_TOKENS = 1600
_COUNT_MAX_TOKENS = 1 << 30
"""``count_tokens`` bodies carry no ``max_tokens``; this stands in for it when decoding."""


def anthropic_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, run the handler, and render any failure in Anthropic's envelope."""
    return api_endpoint(handler, error_response)


def _betas(request: Request) -> tuple[str, ...]:
    """The beta features the client turned on (``anthropic-beta``)."""
    return parse_betas(*request.headers.getlist("anthropic-beta"))


def _headers(info: CallInfo) -> dict[str, str]:
    return {**info.headers(), "request-id": info.request_id}


def error_response(exc: PolyrouteError, info: CallInfo) -> Response:
    headers = {**error_headers(exc, info), "request-id": info.request_id}
    return json_response(encode_error(exc, info.request_id), exc.status, headers)


async def messages(request: Request, state: GatewayState, info: CallInfo) -> Response:
    chat = decode_messages_request(await read_json(request, state.max_request_bytes))
    chat.betas = _betas(request)
    dispatcher = state.dispatcher
    if chat.stream:
        opening = dispatcher.stream(chat, info, lambda a, t: a.chat_stream(chat, t.model))
        events = await state.disconnects.run(request, info, opening)
        return sse_response(_frames(events, AnthropicStreamEncoder()), _headers(info))
    response = await state.disconnects.run(
        request, info, dispatcher.call(chat, info, lambda a, t: a.chat(chat, t.model))
    )
    return json_response(encode_messages_response(response), headers=_headers(info))


async def count_tokens(request: Request, state: GatewayState, info: CallInfo) -> Response:
    body = await read_json(request, state.max_request_bytes)
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    if "max_tokens" in body:
        raise InvalidRequest("max_tokens: Extra inputs are not permitted", param="max_tokens")
    chat = decode_messages_request({**body, "max_tokens": _COUNT_MAX_TOKENS})
    chat.max_tokens = None
    chat.betas = _betas(request)

    async def count(adapter: Adapter, target: Target) -> int:
        counter = getattr(adapter, "count_tokens", None)
        if counter is not None:
            result: int = await counter(chat, target.model)
            return result
        return estimate_tokens(chat)

    tokens = await state.dispatcher.call(chat, info, count, record=False)
    return json_response({"input_tokens": tokens}, headers=_headers(info))


async def _frames(
    events: AsyncIterator[StreamEvent], encoder: AnthropicStreamEncoder
) -> AsyncIterator[bytes]:
    async for event in events:
        frame = encoder.encode(event)
        if frame:
            yield frame
        if isinstance(event, StreamFailure):  # logged where the attempt failed (dispatch.py)
            return
    yield encoder.finish()


# -- local token estimate ---------------------------------------------------------------


def _text_tokens(text: str) -> int:
    ascii_chars = sum(1 for c in text if c < "\x80")
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def _json_tokens(value: Any) -> int:
    return _text_tokens(orjson.dumps(value).decode())


def estimate_tokens(chat: ChatRequest) -> int:
    """A tokenizer-free estimate of the input tokens of ``chat`` (see the module docstring)."""
    total = 0
    for message in chat.messages:
        total += _MESSAGE_FRAMING
        for part in message.parts:
            total += _IMAGE_TOKENS if isinstance(part, ImagePart) else _text_tokens(part.text)
        for call in message.tool_calls:
            total += _text_tokens(call.name) + _text_tokens(call.arguments)
    for tool in chat.tools or ():
        total += _text_tokens(tool.name) + _text_tokens(tool.description or "")
        total += _json_tokens(tool.parameters or {})
    return total
