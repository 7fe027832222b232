"""The contract between the gateway and one wire protocol.

An adapter is bound to one configured provider (its spec, key, base URL and pooled HTTP
session). It turns canonical requests into that provider's wire format and the provider's
answers back into canonical responses and stream events. It raises ``UpstreamError`` for
every failure; a stream that fails before its first event raises from the first
``__anext__``, one that fails later yields ``StreamFailure`` and stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from polyroute.canonical import (
    AnyRequest,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    FimRequest,
    StreamEvent,
)


class Adapter(Protocol):
    provider: str

    async def chat(self, request: ChatRequest, model: str) -> ChatResponse: ...

    def chat_stream(self, request: ChatRequest, model: str) -> AsyncIterator[StreamEvent]: ...

    async def embed(self, request: EmbeddingRequest, model: str) -> EmbeddingResponse: ...

    async def fim(self, request: FimRequest, model: str) -> ChatResponse: ...

    def fim_stream(self, request: FimRequest, model: str) -> AsyncIterator[StreamEvent]: ...

    def unsupported_params(self, request: AnyRequest) -> list[str]:
        """Request fields this provider cannot take, which the adapter will not send."""
        ...
