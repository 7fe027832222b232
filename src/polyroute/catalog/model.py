"""What the catalog knows about one model: limits, capabilities and dated list prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args

Capability = Literal["tools", "images", "json_schema", "fim", "embeddings", "reasoning", "prefill"]
"""What a model can do. ``prefill``: it continues a trailing assistant message (Anthropic
prefill, Mistral ``prefix``); ``fim``: it serves fill-in-the-middle completions."""

CAPABILITIES: frozenset[str] = frozenset(get_args(Capability))

ModelKind = Literal["chat", "embedding"]

MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Prices:
    """List prices in USD per million tokens; ``None`` means the provider has no such rate."""

    input: Decimal
    output: Decimal = Decimal(0)
    cached_input: Decimal | None = None
    """Reading input from the prompt cache; unpriced falls back to ``input``."""
    cache_write: Decimal | None = None
    """Writing input to the prompt cache (Anthropic's 5-minute rate); unpriced -> ``input``."""
    reasoning: Decimal | None = None
    """Reasoning output, only where it is priced apart from ``output``."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    provider: str
    model: str
    """The provider's own model id."""
    kind: ModelKind = "chat"
    context_window: int | None = None
    """Most input tokens the model accepts (``None``: unknown, never checked)."""
    max_output: int | None = None
    capabilities: frozenset[Capability] = frozenset()
    prices: Prices | None = None
    """``None``: no list price known; such a model is never priced by guesswork."""
    aliases: tuple[str, ...] = ()
    """Other ids of the same model at the same price (dated snapshots)."""
    deprecation_date: str | None = None
    derived_from: str | None = None
    """The reference row the figures were copied from when the provider has none."""
    source: str = "catalog"
    """``catalog`` (shipped data) or ``config`` (an operator override)."""

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True, slots=True)
class Cost:
    """What a call cost at list price, and which catalog said so."""

    usd: Decimal
    catalog_version: str
    priced: bool
    """``False`` when the model has no known price: ``usd`` is then 0, not an estimate."""
