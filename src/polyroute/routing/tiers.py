"""Tiers of a ``tiered`` route, and the built-in ``auto`` route's defaults.

When the config defines no route named ``auto``, it is built from ``DEFAULT_TIERS``: each
tier keeps the listed models whose provider is configured, in the order below (Mistral first:
the project's reference provider; then OpenAI, Gemini, Anthropic, and the open-weight hosts).
A tier left empty borrows the next tier in its fallback order, so one configured provider
is enough for a working ``auto``. Every listed id is in the shipped catalog (a test checks);
one the catalog marks deprecated on the day the route is built is left out, as
``/v1/models`` leaves it out, so a retired model does not stay in ``auto`` for good.

A request's tier is tried first; the other tiers' targets follow as fallbacks, in
``FALLBACK`` order (a code request that Codestral cannot take goes to the flagship, then the
small model).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from polyroute.catalog import Catalog
from polyroute.config import TIERS, RouteConfig

DEFAULT_TIERS: Mapping[str, tuple[str, ...]] = {
    "small": (
        "mistral/mistral-small-latest",
        "openai/gpt-4o-mini",
        "gemini/gemini-flash-latest",
        "anthropic/claude-haiku-4-5",
        "groq/openai/gpt-oss-20b",
        "cerebras/gpt-oss-120b",
        "deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "xai/grok-4.20-non-reasoning",
        "openrouter/openai/gpt-4o-mini",
    ),
    "flagship": (
        "mistral/mistral-large-latest",
        "openai/gpt-4o",
        "gemini/gemini-pro-latest",
        "anthropic/claude-sonnet-4-6",
        "groq/openai/gpt-oss-120b",
        "deepinfra/deepseek-ai/DeepSeek-V3.1",
        "xai/grok-4.3",
        "openrouter/openai/gpt-4o",
    ),
    "code": (
        "mistral/codestral-latest",
        "mistral/devstral-medium-latest",
        "deepinfra/Qwen/Qwen3-Coder-480B-A35B-Instruct-Turbo",
        "openrouter/mistralai/codestral-2508",
    ),
}

FALLBACK: Mapping[str, tuple[str, ...]] = {
    "small": ("small", "flagship", "code"),
    "flagship": ("flagship", "small", "code"),
    "code": ("code", "flagship", "small"),
}


def default_auto_route(
    providers: Iterable[str], catalog: Catalog | None = None, today: str | None = None
) -> RouteConfig | None:
    """The ``auto`` route for the configured ``providers``, or ``None`` if none has defaults;
    without the models ``catalog`` marks deprecated on ``today`` (ISO date; default: today)."""
    configured = set(providers)
    day = today or datetime.now(UTC).date().isoformat()

    def usable(target: str) -> bool:
        provider, _, model = target.partition("/")
        if provider not in configured:
            return False
        entry = catalog.get(provider, model) if catalog is not None else None
        return entry is None or not entry.deprecated(day)

    tiers = {tier: [t for t in DEFAULT_TIERS[tier] if usable(t)] for tier in TIERS}
    if not any(tiers.values()):
        return None
    return RouteConfig(strategy="tiered", tiers={k: v for k, v in tiers.items() if v})


def tier_order(route: RouteConfig, tier: str) -> tuple[str, tuple[str, ...]]:
    """The tier actually used (``tier``, or the first non-empty fallback) and the targets to
    try, that tier's first, then every other tier's, without repeats."""
    tiers = route.tiers or {}
    used = next((t for t in FALLBACK[tier] if tiers.get(t)), tier)
    order = [target for t in FALLBACK[used] for target in tiers.get(t, ())]
    order += route.targets  # targets listed outside any tier come last
    return used, tuple(dict.fromkeys(order))
