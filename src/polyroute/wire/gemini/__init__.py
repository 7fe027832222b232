"""Google Gemini's native API (``generateContent``, ``streamGenerateContent?alt=sse``,
``batchEmbedContents``), outbound only: polyroute speaks it to Gemini, never to clients.

``contents`` turns canonical messages into Gemini turns, ``requests`` builds the request
body, ``responses`` and ``stream`` decode answers, ``embeddings`` and ``errors`` the rest.
"""

from polyroute.wire.gemini.contents import SIGNATURE_KEY, SKIP_SIGNATURE, encode_contents
from polyroute.wire.gemini.embeddings import decode_embed_response, encode_embed_request
from polyroute.wire.gemini.errors import decode_error
from polyroute.wire.gemini.requests import (
    EXTRA_FIELDS,
    REQUEST_FIELDS,
    THINKING_BUDGETS,
    encode_generate_request,
    forwarded_extra,
    model_resource,
)
from polyroute.wire.gemini.responses import (
    FINISH_REASONS,
    call_id,
    decode_generate_response,
    decode_usage,
)
from polyroute.wire.gemini.stream import GeminiStreamDecoder, stream_error

__all__ = [
    "EXTRA_FIELDS",
    "FINISH_REASONS",
    "REQUEST_FIELDS",
    "SIGNATURE_KEY",
    "SKIP_SIGNATURE",
    "THINKING_BUDGETS",
    "GeminiStreamDecoder",
    "call_id",
    "decode_embed_response",
    "decode_error",
    "decode_generate_response",
    "decode_usage",
    "encode_contents",
    "encode_embed_request",
    "encode_generate_request",
    "forwarded_extra",
    "model_resource",
    "stream_error",
]
