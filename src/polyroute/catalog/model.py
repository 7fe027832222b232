"""What the catalog knows about one model: limits, capabilities and dated list prices."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import MAX_PREC, Context, Decimal, Inexact
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
    units: tuple[int, int, int, int, int, int] = field(
        init=False, repr=False, compare=False, default=(0, 0, 0, 0, 0, 0)
    )
    """``(scale, input, output, cached_input, cache_write, reasoning)``: each rate times
    ``10**scale``, an exact integer (fallbacks applied; no separate reasoning rate is 0), so
    that a call is priced in integer arithmetic."""

    def __post_init__(self) -> None:
        rates = (
            self.input,
            self.output,
            _or(self.cached_input, self.input),
            _or(self.cache_write, self.input),
            _or(self.reasoning, Decimal(0)),
        )
        if not all(r.is_finite() for r in rates):
            raise ValueError(f"prices must be finite numbers, got {rates}")
        scale = max(0, *(-int(r.as_tuple().exponent) for r in rates))
        units = tuple(int(r.scaleb(scale, _EXACT)) for r in rates)
        object.__setattr__(self, "units", (scale, *units))


def _or(value: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if value is None else value


_EXACT = Context(prec=MAX_PREC, traps=[Inexact])
"""``scaleb`` by whatever the price's digits need, never rounded."""


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

    def deprecated(self, today: str) -> bool:
        """Past its deprecation date on ``today`` (ISO ``YYYY-MM-DD``)."""
        return self.deprecation_date is not None and self.deprecation_date <= today

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
