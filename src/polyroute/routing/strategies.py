"""Ordering a route's (already screened) targets: each strategy returns the attempt order
and a short reason. ``fastest`` lives with its data in ``latency.py``; ``tiered`` picks a
target list in ``classifier.py`` and then orders it like ``ordered``."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from polyroute.gateway.targets import Target

Ordering = tuple[tuple[Target, ...], str]


def ordered(targets: Sequence[Target]) -> Ordering:
    return tuple(targets), "ordered: as configured"


def weighted(
    targets: Sequence[Target], weights: Mapping[Target, float], rng: random.Random
) -> Ordering:
    """One target drawn by share first; the rest follow as fallbacks in configured order.

    Shares are renormalised over the targets still in play, so a skipped target's share is
    spread over the others. With no positive share left, the order is as configured.
    """
    shares = [max(weights.get(t, 0.0), 0.0) for t in targets]
    total = sum(shares)
    if total <= 0:
        return tuple(targets), "weighted: no share left, as configured"
    point = rng.random() * total
    chosen = targets[-1]
    for target, share in zip(targets, shares, strict=True):
        if share > 0 and point < share:
            chosen = target
            break
        point -= share
    else:  # float rounding at the very top of the range
        chosen = next(t for t, s in zip(reversed(targets), reversed(shares), strict=True) if s)
    share = weights.get(chosen, 0.0) / total
    rest = tuple(t for t in targets if t != chosen)
    return (chosen, *rest), f"weighted: drew {chosen.name} ({share:.0%})"


def cheapest(targets: Sequence[Target], price: Callable[[Target], Decimal | None]) -> Ordering:
    """Cheapest expected cost first; unpriced targets last, in configured order."""
    priced = [(price(t), i, t) for i, t in enumerate(targets)]
    known = sorted((p, i, t) for p, i, t in priced if p is not None)
    unknown = [t for p, _, t in priced if p is None]
    order = tuple(t for _, _, t in known) + tuple(unknown)
    if not known:
        return order, "cheapest: no target priced, as configured"
    best = known[0][0]
    return order, f"cheapest: {known[0][2].name} ~${best:.6f}"
