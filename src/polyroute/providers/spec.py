"""A provider is data: where it lives, how it authenticates, which protocol it speaks and
how its dialect of that protocol differs from the protocol's reference.

Core code never names a provider; every difference lives in a ``ProviderSpec`` row
(see ``providers/registry.py``), so a provider quirk is found in one guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Protocol = Literal["openai", "anthropic", "gemini"]
AuthScheme = Literal["bearer", "x-api-key", "x-goog-api-key", "none"]


@dataclass(frozen=True, slots=True)
class ToolCallIdRule:
    """A provider that accepts only tool-call ids of one exact form."""

    length: int
    alphabet: str


@dataclass(frozen=True, slots=True)
class OpenAIDialect:
    """How one provider's OpenAI-compatible API differs from OpenAI's own.

    The defaults are OpenAI's behaviour; each provider row declares only its deltas.
    """

    seed_field: str = "seed"
    max_tokens_field: str = "max_completion_tokens"
    required_tool_choice: str = "required"
    """What the provider calls OpenAI's ``tool_choice: "required"``."""
    tool_call_ids: ToolCallIdRule | None = None
    stream_usage_opt_in: bool = True
    """Usage must be asked for with ``stream_options.include_usage`` (else it never comes);
    False for providers that always send it and reject ``stream_options``."""
    accepts_unknown_fields: bool = False
    """Forward request fields outside ``known_fields`` instead of dropping them."""
    known_fields: frozenset[str] = frozenset()
    """Provider-specific top-level chat request fields forwarded from the client's request."""
    embedding_fields: frozenset[str] = frozenset()
    """The same for embeddings requests (each endpoint takes its own fields)."""
    fim_fields: frozenset[str] = frozenset()
    """The same for fill-in-the-middle requests."""
    unsupported: frozenset[str] = frozenset()
    """Canonical fields the provider rejects; dropped (and reported) rather than sent."""
    embedding_dimensions_field: str | None = "dimensions"
    embedding_accepts_user: bool = True
    fim_path: str | None = None
    """Path of a fill-in-the-middle endpoint, relative to the base URL, if any."""
    message_name_field: bool = True
    """Messages may carry ``name``."""
    assistant_prefix: bool = False
    """A trailing assistant message can be continued with ``prefix: true`` (Mistral)."""
    assistant_prefix_echoed: bool = False
    """The answer to a ``prefix`` message repeats the prefix before continuing it."""


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    protocol: Protocol
    base_url: str
    """Default API root; ``providers.<name>.base_url`` in config overrides it."""
    auth: AuthScheme = "bearer"
    key_env: str | None = None
    """Environment variable the provider key is read from when config names none."""
    requires_key: bool = True
    openai: OpenAIDialect = field(default_factory=OpenAIDialect)
    """Deltas from OpenAI's API (used when ``protocol == "openai"``)."""
    description: str = ""
