"""The Anthropic Messages API, both directions: requests, responses, streams and errors.

Inbound (``/v1/messages``) decodes requests and encodes responses; the Anthropic adapter
encodes requests and decodes responses. Design choices are documented in each module
(``requests``: max_tokens default, thinking, JSON mode; ``responses``: usage arithmetic,
stop reasons; ``stream``: event sequence).
"""

from polyroute.wire.anthropic.blocks import tool_use_id
from polyroute.wire.anthropic.errors import decode_error, decode_stream_error, encode_error
from polyroute.wire.anthropic.requests import (
    ANTHROPIC_BETA_FIELDS,
    ANTHROPIC_FIELDS,
    DEFAULT_MAX_TOKENS,
    anthropic_fields,
    decode_messages_request,
    encode_messages_request,
    json_tool_name,
    parse_betas,
)
from polyroute.wire.anthropic.responses import (
    FINISH_TO_STOP,
    STOP_TO_FINISH,
    decode_messages_response,
    decode_usage,
    encode_messages_response,
    encode_usage,
)
from polyroute.wire.anthropic.stream import AnthropicStreamDecoder, AnthropicStreamEncoder

__all__ = [
    "ANTHROPIC_BETA_FIELDS",
    "ANTHROPIC_FIELDS",
    "DEFAULT_MAX_TOKENS",
    "FINISH_TO_STOP",
    "STOP_TO_FINISH",
    "AnthropicStreamDecoder",
    "AnthropicStreamEncoder",
    "anthropic_fields",
    "decode_error",
    "decode_messages_request",
    "decode_messages_response",
    "decode_stream_error",
    "decode_usage",
    "encode_error",
    "encode_messages_request",
    "encode_messages_response",
    "encode_usage",
    "json_tool_name",
    "parse_betas",
    "tool_use_id",
]
