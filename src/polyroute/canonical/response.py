"""What a provider answered, in polyroute's own vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from polyroute.canonical.messages import Message

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


@dataclass(slots=True)
class Usage:
    """Token counts with one meaning whatever the provider.

    ``input_tokens`` is *all* input, cached or not (OpenAI's ``prompt_tokens`` meaning;
    Anthropic's ``input_tokens`` excludes cache reads and writes, so its adapter adds them).
    ``output_tokens`` is all output including reasoning (Gemini's ``candidatesTokenCount``
    excludes thoughts, so its adapter adds them). The detail fields are subsets of those.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    """Input read from the provider's prompt cache (a subset of ``input_tokens``)."""
    cache_write_tokens: int = 0
    """Input written to the prompt cache (a subset of ``input_tokens``)."""
    reasoning_tokens: int = 0
    """Output spent on reasoning (a subset of ``output_tokens``)."""
    openai_fields: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    """An OpenAI-shaped usage's fields that are not counted above (OpenAI's audio and
    prediction tokens, OpenRouter's ``cost``, Groq's timings), as sent, for OpenAI-API
    clients; under ``prompt_tokens_details`` / ``completion_tokens_details``, the fields of
    those objects. Describes one provider's answer: usage that is combined drops it."""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(slots=True)
class Choice:
    index: int
    message: Message
    finish_reason: FinishReason | None
    logprobs: Any = None
    """Provider log-probabilities in OpenAI's shape, passed through untouched."""
    openai_fields: dict[str, Any] | None = None
    """An OpenAI-dialect choice's other fields (vLLM's ``stop_reason``, OpenRouter's
    ``native_finish_reason``): see ``ChatResponse.openai_fields``."""


@dataclass(slots=True)
class ChatResponse:
    id: str
    model: str
    """The model that actually answered, as the provider named it."""
    created: int
    choices: list[Choice]
    usage: Usage | None = None
    system_fingerprint: str | None = None
    openai_fields: dict[str, Any] | None = None
    """The fields of an OpenAI-dialect provider's answer that polyroute has no place for
    (OpenAI's ``service_tier``, Cerebras's ``time_info``, OpenRouter's ``provider``), given
    back as they came to OpenAI-dialect clients (exact wire compatibility, the provider's
    extensions included); an Anthropic-dialect client is answered without them."""


@dataclass(slots=True)
class Embedding:
    index: int
    vector: list[float] | str
    """Floats, or a base64 string when the client asked for ``encoding_format=base64``."""


@dataclass(slots=True)
class EmbeddingResponse:
    model: str
    data: list[Embedding]
    usage: Usage = field(default_factory=Usage)
    id: str | None = None
    """The provider's response id, where it sends one (Mistral does; OpenAI doesn't)."""


@dataclass(slots=True)
class ModelInfo:
    id: str
    owned_by: str
    created: int = 0
    kind: Literal["route", "model"] = "model"
    context_window: int | None = None
    max_output: int | None = None
