"""What a client asked for, independent of the dialect it asked in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from polyroute.canonical.messages import Message


@dataclass(slots=True)
class ToolSpec:
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    """JSON Schema of the arguments."""
    strict: bool | None = None


@dataclass(slots=True)
class ToolChoice:
    mode: Literal["auto", "none", "required", "tool"]
    """``required``: the model must call some tool; ``tool``: it must call ``name``."""
    name: str | None = None
    disable_parallel: bool = False


@dataclass(slots=True)
class ResponseFormat:
    type: Literal["text", "json_object", "json_schema"]
    schema: dict[str, Any] | None = None
    name: str | None = None
    strict: bool | None = None
    description: str | None = None


@dataclass(slots=True)
class ChatRequest:
    model: str
    """The name the client sent: a route or ``provider/model-id``."""
    messages: list[Message]
    stream: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    n: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    tools: list[ToolSpec] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    user: str | None = None
    reasoning_effort: str | None = None
    include_usage: bool = False
    """The client asked to see usage in the stream (OpenAI ``stream_options``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields polyroute has no canonical slot for, forwarded to providers that accept them."""
    betas: tuple[str, ...] = ()
    """Anthropic beta features the client turned on (``anthropic-beta``): sent on to
    Anthropic targets with the fields they add; no other provider has them."""

    def has_images(self) -> bool:
        return any(m.has_images() for m in self.messages)


@dataclass(slots=True)
class FimRequest:
    """Fill-in-the-middle: generate what goes between ``prompt`` and ``suffix``."""

    model: str
    prompt: str
    suffix: str | None = None
    stream: bool = False
    max_tokens: int | None = None
    min_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    include_usage: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EmbeddingRequest:
    model: str
    inputs: list[str] | list[list[int]]
    dimensions: int | None = None
    encoding_format: Literal["float", "base64"] | None = None
    user: str | None = None
    input_was_list: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


AnyRequest = ChatRequest | FimRequest | EmbeddingRequest
"""Any request an adapter is sent."""
