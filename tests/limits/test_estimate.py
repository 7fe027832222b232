"""What a call reserves: the dearest target's list price for its expected tokens."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from polyroute.canonical import ChatRequest, EmbeddingRequest, Message, TextPart
from polyroute.catalog.model import Prices
from polyroute.gateway.targets import Target
from polyroute.limits.estimate import reservation

PRICES = {
    "cheap/small": Prices(input=Decimal("0.1"), output=Decimal("0.3")),
    "dear/large": Prices(input=Decimal(2), output=Decimal(6)),
    "self/hosted": None,
}


class _Router:
    def entry(self, target: Target) -> Any:
        return SimpleNamespace(prices=PRICES[target.name]) if target.name in PRICES else None


def _targets(*names: str) -> list[Target]:
    return [Target(*name.split("/", 1)) for name in names]


def test_chat_reserves_the_dearest_target_for_max_tokens() -> None:
    request = ChatRequest(
        model="auto", messages=[Message("user", [TextPart("x" * 400)])], max_tokens=1000
    )
    usd, tokens = reservation(
        _Router(), _targets("cheap/small", "dear/large", "self/hosted"), request
    )  # type: ignore[arg-type]
    assert tokens == 104 + 1000  # 100 text tokens + message overhead, plus max_tokens
    assert usd == (104 * Decimal(2) + 1000 * Decimal(6)) / 1_000_000


def test_unpriced_targets_reserve_nothing_and_embeddings_count_inputs() -> None:
    embed = EmbeddingRequest(model="e", inputs=["abcd" * 10, "efgh"])
    usd, tokens = reservation(_Router(), _targets("self/hosted", "un/known"), embed)  # type: ignore[arg-type]
    assert (usd, tokens) == (Decimal(0), 11)
