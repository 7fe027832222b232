"""What a request needs from a model, measured locally before any call.

Token counts are a heuristic, not a tokenizer: about 4 characters per token for ASCII text
and 3 bytes per token otherwise (CJK, accents), plus a few tokens of framing per message and
a flat charge per image. It errs high on purpose: it only decides which models are too small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from polyroute.canonical import (
    ChatRequest,
    EmbeddingRequest,
    FimRequest,
    ImagePart,
    Message,
    TextPart,
    ToolSpec,
)

DEFAULT_OUTPUT_TOKENS = 512
"""Expected output when the client sets no ``max_tokens``."""
IMAGE_TOKENS = 1_000
"""A high-detail image is ~765 tokens on OpenAI and ~1,600 at most on Anthropic."""
MESSAGE_OVERHEAD = 4


@dataclass(frozen=True, slots=True)
class RequestFeatures:
    input_tokens: int
    """Estimated input tokens (messages, tools, images)."""
    output_tokens: int
    """Expected output tokens: the client's ``max_tokens``, else ``DEFAULT_OUTPUT_TOKENS``."""
    explicit_max_tokens: bool = False
    tools: int = 0
    images: bool = False
    json_schema: bool = False
    fim: bool = False
    prefill: bool = False
    """The last message is an assistant message to continue."""
    messages: int = 0


def text_tokens(text: str) -> int:
    if not text:
        return 0
    if text.isascii():
        return (len(text) + 3) // 4
    return (len(text.encode("utf-8")) + 2) // 3


def _message_tokens(message: Message) -> int:
    total = MESSAGE_OVERHEAD
    for part in message.parts:
        if isinstance(part, TextPart):
            total += text_tokens(part.text)
        elif isinstance(part, ImagePart):
            total += IMAGE_TOKENS
        else:
            total += text_tokens(part.text)
    for call in message.tool_calls:
        total += text_tokens(call.name) + text_tokens(call.arguments) + MESSAGE_OVERHEAD
    return total


def _tool_tokens(tool: ToolSpec) -> int:
    schema = json.dumps(tool.parameters, separators=(",", ":")) if tool.parameters else ""
    return text_tokens(tool.name) + text_tokens(tool.description or "") + text_tokens(schema) + 8


def estimate_input_tokens(request: ChatRequest | FimRequest | EmbeddingRequest) -> int:
    """A local upper-leaning estimate of the request's input tokens (no tokenizer)."""
    if isinstance(request, EmbeddingRequest):  # texts, or token ids already
        return sum(len(i) if isinstance(i, list) else text_tokens(i) for i in request.inputs)
    if isinstance(request, FimRequest):
        return text_tokens(request.prompt) + text_tokens(request.suffix or "") + MESSAGE_OVERHEAD
    total = sum(_message_tokens(m) for m in request.messages)
    total += sum(_tool_tokens(t) for t in request.tools or ())
    if request.response_format is not None and request.response_format.schema:
        total += text_tokens(json.dumps(request.response_format.schema, separators=(",", ":")))
    return total


def extract_features(request: ChatRequest | FimRequest) -> RequestFeatures:
    output = request.max_tokens or DEFAULT_OUTPUT_TOKENS
    explicit = request.max_tokens is not None
    if isinstance(request, FimRequest):
        return RequestFeatures(estimate_input_tokens(request), output, explicit, fim=True)
    uses_tools = bool(request.tools) and not (
        request.tool_choice is not None and request.tool_choice.mode == "none"
    )
    last = request.messages[-1] if request.messages else None
    return RequestFeatures(
        input_tokens=estimate_input_tokens(request),
        output_tokens=output,
        explicit_max_tokens=explicit,
        tools=len(request.tools or ()) if uses_tools else 0,
        images=request.has_images(),
        json_schema=request.response_format is not None
        and request.response_format.type == "json_schema",
        prefill=last is not None and last.role == "assistant" and last.prefix,
        messages=len(request.messages),
    )
