"""The router: from a request and the ``model`` it named to an explained attempt order.

``decide`` is pure apart from the books it is given (and the ``fastest`` strategy's probe
bookkeeping): no I/O, tens of microseconds. Steps:

1. resolve the name: a configured route, the built-in ``auto`` (see ``tiers.py``), or
   ``provider/model`` (``ModelNotFound`` as ``TargetResolver`` raises it);
2. for ``tiered``, classify the request and put its tier's targets first;
3. skip targets the catalog says cannot serve the request (``InvalidRequest`` naming every
   reason when none is left; a directly addressed model is never skipped -- the provider has
   the last word -- but the reason is reported);
4. order the rest by the route's strategy;
5. move targets whose circuit is open behind the healthy ones.

The dispatcher must still call ``HealthBook.allow`` right before each attempt (that claims
the half-open probe) and feed ``record_success``/``record_failure`` and ``LatencyBook.observe``.
"""

from __future__ import annotations

import random
from decimal import Decimal

from polyroute.canonical import ChatRequest, FimRequest, Usage
from polyroute.catalog import Catalog, Cost, ModelEntry, estimate_cost
from polyroute.config import RouteConfig, Settings
from polyroute.errors import InvalidRequest
from polyroute.gateway.targets import Target, TargetResolver
from polyroute.routing import strategies
from polyroute.routing.capability import screen, unfit_reason
from polyroute.routing.classifier import classify
from polyroute.routing.decision import RouteDecision
from polyroute.routing.features import RequestFeatures, extract_features
from polyroute.routing.health import HealthBook
from polyroute.routing.latency import LatencyBook
from polyroute.routing.tiers import default_auto_route, tier_order

AUTO = "auto"
_ENTRY_CACHE = 4096


def _target(name: str) -> Target:
    provider, _, model = name.partition("/")
    return Target(provider, model)


class Router:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        latency_book: LatencyBook | None = None,
        health: HealthBook | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.catalog = catalog
        self.latency = latency_book or LatencyBook()
        self.health = health or HealthBook()
        self._rng = rng or random.Random()
        self._resolver = TargetResolver(settings, catalog)
        self._kinds = {name: p.spec.name for name, p in settings.providers.items()}
        self._entries: dict[Target, ModelEntry | None] = {}
        """Catalog lookups by target: several per request (screening, pricing, budgets)."""
        self.routes: dict[str, RouteConfig] = dict(settings.routes)
        if AUTO not in self.routes:
            auto = default_auto_route(settings.providers, catalog)
            if auto is not None:
                self.routes[AUTO] = auto

    def entry(self, target: Target) -> ModelEntry | None:
        """The catalog entry for a target, by provider name, then by provider kind."""
        try:
            return self._entries[target]
        except KeyError:
            pass
        found = self.catalog.get(target.provider, target.model)
        kind = self._kinds.get(target.provider)
        if found is None and kind is not None and kind != target.provider:
            found = self.catalog.get(kind, target.model)
        if len(self._entries) >= _ENTRY_CACHE:
            self._entries.clear()  # client-chosen model names must not grow it forever
        self._entries[target] = found
        return found

    def cost(self, target: Target, usage: Usage) -> Cost:
        """List-price cost of a call to ``target`` (by provider name, then provider kind)."""
        return self.catalog.price(self.entry(target), usage)

    def decide(self, request: ChatRequest | FimRequest, model_name: str) -> RouteDecision:
        features = extract_features(request)
        route = self.routes.get(model_name)
        if route is None:
            return self._direct(model_name, features)
        reasons: list[str] = []
        tier = None
        names: tuple[str, ...] = tuple(route.targets)
        if route.strategy == "tiered":
            choice = classify(request, features)
            tier, names = tier_order(route, choice.tier)
            used = tier if tier == choice.tier else f"{choice.tier}->{tier} (empty tier)"
            reasons.append(f"tier {used}: " + ", ".join(choice.reasons))
        screened = screen([_target(n) for n in names], features, self.entry)
        if not screened.kept:
            why = "; ".join(f"{t.name}: {r}" for t, r in screened.skipped)
            raise InvalidRequest(
                f"No target of route `{model_name}` can serve this request ({why}).",
                code="no_capable_target",
                param="model",
            )
        order, why = self._order(route, screened.kept, features, model_name)
        reasons.append(why)
        if screened.unknown:
            reasons.append(
                "not in catalog, unchecked: " + ",".join(t.name for t in screened.unknown)
            )
        order = self._health_order(order, reasons)
        return RouteDecision(
            model_name, route.strategy, order, screened.skipped, tuple(reasons), tier
        )

    def _direct(self, model_name: str, features: RequestFeatures) -> RouteDecision:
        plan = self._resolver.resolve(model_name)
        reasons = ["direct: provider/model"]
        for target in plan.targets:
            entry = self.entry(target)
            reason = unfit_reason(entry, features) if entry is not None else None
            if reason:
                reasons.append(f"catalog says {reason}; sent anyway (single target)")
        return RouteDecision(None, "direct", plan.targets, (), tuple(reasons))

    def _order(
        self,
        route: RouteConfig,
        targets: tuple[Target, ...],
        features: RequestFeatures,
        name: str,
    ) -> tuple[tuple[Target, ...], str]:
        if route.strategy == "weighted":
            shares = dict(zip(map(_target, route.targets), route.weights or (), strict=False))
            return strategies.weighted(targets, shares, self._rng)
        if route.strategy == "cheapest":
            return strategies.cheapest(targets, lambda t: self._price(t, features))
        if route.strategy == "fastest":
            order, explore = self.latency.rank(targets, features.output_tokens, self._rng)
            return order, "fastest: " + (explore or "by measured speed")
        return strategies.ordered(targets)

    def _price(self, target: Target, features: RequestFeatures) -> Decimal | None:
        entry = self.entry(target)
        if entry is None or entry.prices is None:
            return None
        return estimate_cost(entry.prices, features.input_tokens, features.output_tokens)

    def _health_order(self, order: tuple[Target, ...], reasons: list[str]) -> tuple[Target, ...]:
        down = [t for t in order if not self.health.available(t)]
        if not down:
            return order
        if len(down) == len(order):
            reasons.append("health: every circuit open, order kept")
            return order
        reasons.append("health: circuit open, tried last: " + ",".join(t.name for t in down))
        return tuple(t for t in order if t not in down) + tuple(down)
