"""The OpenAI Chat Completions dialect, both directions.

Inbound (``POST /v1/chat/completions``, ``/v1/embeddings``, Mistral's ``/v1/fim/completions``)
decodes client requests and encodes responses and stream chunks; the outbound
OpenAI-compatible adapter encodes canonical requests and decodes every provider's responses,
chunks and errors. Provider dialect deltas are applied by the adapter on top of the
reference OpenAI bodies written here.
"""

from polyroute.wire.openai.embeddings import (
    decode_embedding_request,
    decode_embedding_response,
    encode_embedding_request,
    encode_embedding_response,
)
from polyroute.wire.openai.errors import (
    decode_error,
    decode_stream_error,
    encode_error,
    retry_after,
)
from polyroute.wire.openai.fim import decode_fim_request, encode_fim_request
from polyroute.wire.openai.requests import decode_chat_request, encode_chat_request
from polyroute.wire.openai.responses import (
    decode_chat_response,
    decode_usage,
    encode_chat_response,
    encode_usage,
)
from polyroute.wire.openai.stream import ChunkDecoder, ChunkEncoder

__all__ = [
    "ChunkDecoder",
    "ChunkEncoder",
    "decode_chat_request",
    "decode_chat_response",
    "decode_embedding_request",
    "decode_embedding_response",
    "decode_error",
    "decode_fim_request",
    "decode_stream_error",
    "decode_usage",
    "encode_chat_request",
    "encode_chat_response",
    "encode_embedding_request",
    "encode_embedding_response",
    "encode_error",
    "encode_fim_request",
    "encode_usage",
    "retry_after",
]
