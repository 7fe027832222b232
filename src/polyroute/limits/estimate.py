"""What to reserve for a call before it runs: its worst-case cost and its token count.

The cost is the dearest of the decision's targets at list price for the request's
estimated input tokens and expected output tokens (``max_tokens``, else the default), since
failover may land the call on any of them. A target without a price reserves nothing, so
calls to unpriced (e.g. self-hosted) models are not held back by budgets.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from polyroute.canonical import ChatRequest, EmbeddingRequest, FimRequest
from polyroute.catalog import estimate_cost
from polyroute.routing.features import estimate_input_tokens, extract_features

if TYPE_CHECKING:
    from polyroute.gateway.targets import Target
    from polyroute.routing.router import Router


def reservation(
    router: Router, targets: Iterable[Target], request: ChatRequest | FimRequest | EmbeddingRequest
) -> tuple[Decimal, int]:
    """``(worst_case_usd, tokens)`` to pass to ``Gatekeeper.admit``."""
    if isinstance(request, EmbeddingRequest):
        input_tokens, output_tokens = estimate_input_tokens(request), 0
    else:
        features = extract_features(request)
        input_tokens, output_tokens = features.input_tokens, features.output_tokens
    worst = Decimal(0)
    for target in targets:
        entry = router.entry(target)
        if entry is not None and entry.prices is not None:
            worst = max(worst, estimate_cost(entry.prices, input_tokens, output_tokens))
    return worst, input_tokens + output_tokens
