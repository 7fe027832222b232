"""The events a streamed answer is made of.

Adapters decode upstream bytes into these; inbound codecs encode them into their client's
dialect. Each event names the choice it belongs to, so ``n > 1`` streams stay separable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyroute.canonical.response import FinishReason, Usage
from polyroute.errors import UpstreamError


@dataclass(slots=True)
class StreamStart:
    """First event of every stream: identity of the answer."""

    id: str
    model: str
    created: int
    system_fingerprint: str | None = None
    openai_fields: dict[str, Any] | None = None
    """An OpenAI-dialect stream's identity fields polyroute has no place for, the same on
    every chunk (OpenAI's ``service_tier``, OpenRouter's ``provider``): read from its first
    chunk and written on every chunk to OpenAI-dialect clients."""


@dataclass(slots=True)
class TextDelta:
    text: str
    choice: int = 0
    logprobs: Any = None


@dataclass(slots=True)
class ReasoningDelta:
    text: str
    choice: int = 0
    signature: str | None = None


@dataclass(slots=True)
class ToolCallStart:
    index: int
    """Position of this call among the choice's tool calls."""
    id: str
    name: str
    choice: int = 0


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    arguments: str
    """A fragment of the call's JSON arguments."""
    choice: int = 0


@dataclass(slots=True)
class Finish:
    reason: FinishReason
    choice: int = 0


@dataclass(slots=True)
class UsageReport:
    usage: Usage


@dataclass(slots=True)
class StreamFailure:
    """The stream broke after it started; no more events follow."""

    error: UpstreamError


@dataclass(slots=True)
class DeltaFields:
    """An OpenAI-dialect delta's fields with no event of their own (a search model's
    ``annotations``, an audio model's ``audio``), sent on as they came, in a chunk of their
    own, to OpenAI-dialect clients; other dialects' encoders skip it."""

    fields: dict[str, Any]
    choice: int = 0


StreamEvent = (
    StreamStart
    | TextDelta
    | ReasoningDelta
    | ToolCallStart
    | ToolCallDelta
    | Finish
    | UsageReport
    | StreamFailure
    | DeltaFields
)
