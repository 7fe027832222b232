"""Turning the ``model`` a client sent into the provider targets that may serve it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from polyroute.catalog import Catalog
from polyroute.config import Settings
from polyroute.errors import ModelNotFound


class Target(NamedTuple):
    """One provider's model. A named tuple rather than a frozen dataclass: targets key the
    catalog, health and latency books several times a request, and a tuple hashes and
    compares in C (a dataclass's ``__hash__``/``__eq__`` are Python functions)."""

    provider: str
    model: str
    """The provider's own model id: everything after the first ``/``."""

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a call may go, in the order it is tried."""

    route: str | None
    targets: tuple[Target, ...]


class TargetResolver:
    """Resolves a client's ``model``: a route name, or ``provider/model-id``.

    A bare model id is not guessed at (which provider, at what price, is the caller's
    choice), but the error names the configured providers whose catalog has it.
    """

    def __init__(self, settings: Settings, catalog: Catalog | None = None) -> None:
        self._providers = frozenset(settings.providers)
        self._kinds = {name: p.spec.name for name, p in settings.providers.items()}
        self._catalog = catalog
        self._routes = {
            name: Plan(name, tuple(_split(t) for t in route.targets))
            for name, route in settings.routes.items()
        }

    def resolve(self, model: str) -> Plan:
        route = self._routes.get(model)
        if route is not None:
            return route
        provider, sep, model_id = model.partition("/")
        if sep and model_id:
            if provider in self._providers:
                return Plan(None, (Target(provider, model_id),))
            raise ModelNotFound(
                f"The model `{model}` does not exist: provider `{provider}` is not configured.",
                param="model",
            )
        raise ModelNotFound(
            f"The model `{model}` does not exist: it is neither a route nor "
            f"`<provider>/<model-id>`.{self._did_you_mean(model)}",
            param="model",
        )

    def _did_you_mean(self, model: str) -> str:
        if self._catalog is None:
            return ""
        found = [
            f"`{name}/{model}`"
            for name, kind in self._kinds.items()
            if self._catalog.get(kind, model) is not None
        ]
        return f" Did you mean {' or '.join(found[:3])}?" if found else ""


def _split(target: str) -> Target:
    provider, _, model = target.partition("/")
    return Target(provider, model)
