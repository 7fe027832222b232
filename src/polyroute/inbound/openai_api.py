"""The OpenAI-dialect endpoints: chat completions, embeddings, and Mistral's FIM.

Each handler decodes the body with the OpenAI wire codec, hands the canonical request to
the dispatcher and encodes what comes back; every failure leaves in OpenAI's envelope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response

from polyroute.canonical import (
    ChatRequest,
    ChatResponse,
    FimRequest,
    StreamEvent,
    StreamFailure,
)
from polyroute.errors import PolyrouteError
from polyroute.gateway.calls import CallInfo
from polyroute.gateway.dispatch import OpenStream, Send
from polyroute.inbound.http import (
    Handler,
    api_endpoint,
    error_headers,
    json_response,
    read_json,
    sse_response,
)
from polyroute.inbound.state import GatewayState
from polyroute.wire.openai import (
    ChunkEncoder,
    decode_chat_request,
    decode_embedding_request,
    decode_fim_request,
    encode_chat_response,
    encode_embedding_response,
    encode_error,
)


def openai_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, run the handler, and render any failure in OpenAI's envelope."""
    return api_endpoint(handler, error_response)


def error_response(exc: PolyrouteError, info: CallInfo) -> Response:
    return json_response(encode_error(exc), exc.status, error_headers(exc, info))


async def chat_completions(request: Request, state: GatewayState, info: CallInfo) -> Response:
    chat = decode_chat_request(await read_json(request, state.max_request_bytes))
    return await _completion(
        request,
        state,
        info,
        chat,
        lambda a, t: a.chat_stream(chat, t.model),
        lambda a, t: a.chat(chat, t.model),
    )


async def fim_completions(request: Request, state: GatewayState, info: CallInfo) -> Response:
    fim = decode_fim_request(await read_json(request, state.max_request_bytes))
    return await _completion(
        request,
        state,
        info,
        fim,
        lambda a, t: a.fim_stream(fim, t.model),
        lambda a, t: a.fim(fim, t.model),
    )


async def _completion(
    request: Request,
    state: GatewayState,
    info: CallInfo,
    body: ChatRequest | FimRequest,
    open_stream: OpenStream,
    send: Send[ChatResponse],
) -> Response:
    """A chat completion, streamed or whole: what both chat and FIM answer with."""
    dispatcher = state.dispatcher
    if body.stream:
        events = await state.disconnects.run(
            request, info, dispatcher.stream(body, info, open_stream)
        )
        frames = _openai_frames(
            events, ChunkEncoder(body.include_usage), lambda: dispatcher.cost_usd(info)
        )
        return sse_response(frames, info.headers())
    response = await state.disconnects.run(request, info, dispatcher.call(body, info, send))
    return json_response(encode_chat_response(response), headers=info.headers())


async def embeddings(request: Request, state: GatewayState, info: CallInfo) -> Response:
    embed = decode_embedding_request(await read_json(request, state.max_request_bytes))
    sending = state.dispatcher.call(embed, info, lambda a, t: a.embed(embed, t.model))
    response = await state.disconnects.run(request, info, sending)
    return json_response(encode_embedding_response(response), headers=info.headers())


async def _openai_frames(
    events: AsyncIterator[StreamEvent], encoder: ChunkEncoder, cost: Callable[[], Decimal]
) -> AsyncIterator[bytes]:
    async for event in events:
        frame = encoder.encode(event)
        if frame:
            yield frame
        if isinstance(event, StreamFailure):  # logged where the attempt failed (dispatch.py)
            return
    yield encoder.done(f"{cost().normalize():f}" if encoder.wants_usage else None)
