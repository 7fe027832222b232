"""Conversation content in polyroute's own vocabulary.

Shaped like neither OpenAI nor Anthropic: inbound codecs translate into these types and
provider adapters translate out of them, so N dialects and M protocols need N + M codecs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(slots=True)
class TextPart:
    text: str
    kind: Literal["text"] = "text"
    provider_data: dict[str, Any] | None = None
    """Opaque per-provider fields that must round-trip (e.g. Anthropic cache_control)."""


@dataclass(slots=True)
class ImagePart:
    url: str
    """An ``https://`` URL or a ``data:<media type>;base64,<data>`` URL."""
    detail: str | None = None
    """OpenAI's ``low | high | auto`` hint; providers without one ignore it."""
    kind: Literal["image"] = "image"


@dataclass(slots=True)
class ReasoningPart:
    """Model reasoning ("thinking") the provider chose to show."""

    text: str
    signature: str | None = None
    """Provider proof that must be echoed back unchanged (Anthropic signature, Gemini
    thoughtSignature); never shown to clients of another dialect."""
    redacted: bool = False
    kind: Literal["reasoning"] = "reasoning"


Part = TextPart | ImagePart | ReasoningPart


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    """The call's arguments as a JSON text, exactly as the model produced it (it may be
    invalid JSON; the client decides what to do with that)."""
    provider_data: dict[str, Any] | None = None


@dataclass(slots=True)
class Message:
    role: Role
    parts: list[Part] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    """Calls an assistant message made."""
    tool_call_id: str | None = None
    """For ``role == "tool"``: the call this message answers."""
    name: str | None = None
    """OpenAI's optional participant name (or a tool result's function name)."""
    is_error: bool = False
    """For ``role == "tool"``: the tool failed (Anthropic ``is_error``)."""
    prefix: bool = False
    """An assistant message the model must continue (prefill), not answer after."""
    openai_fields: dict[str, Any] | None = None
    """An OpenAI-dialect answer's message fields with no place here (``annotations``,
    ``audio``), given back as they came to OpenAI-dialect clients; no other dialect's
    codec reads or fills it."""

    def text(self) -> str:
        """The message's plain text, parts joined (reasoning excluded)."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    def has_images(self) -> bool:
        return any(isinstance(p, ImagePart) for p in self.parts)
