"""Skipping targets that cannot serve a request, before any call, with the reason why.

Capabilities are read from the catalog, never from a model name. A model the catalog does
not know (a self-hosted one without an override) is kept: polyroute cannot tell, so the
provider decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from polyroute.catalog import Capability, ModelEntry
from polyroute.gateway.targets import Target
from polyroute.routing.features import RequestFeatures

Lookup = Callable[[Target], ModelEntry | None]


@dataclass(frozen=True, slots=True)
class Screened:
    kept: tuple[Target, ...]
    skipped: tuple[tuple[Target, str], ...]
    unknown: tuple[Target, ...] = ()
    """Kept targets the catalog has no entry for (capabilities unchecked)."""


def unfit_reason(entry: ModelEntry, features: RequestFeatures) -> str | None:
    """Why ``entry`` cannot serve a request with ``features``, or ``None`` if it can."""
    if features.fim:
        return None if entry.supports("fim") else "no fim"
    if entry.kind != "chat":
        return f"{entry.kind} model"
    needed = features.input_tokens + features.output_tokens
    if entry.context_window is not None and needed > entry.context_window:
        return f"context {entry.context_window} < ~{needed} tokens"
    if (
        features.explicit_max_tokens
        and entry.max_output is not None
        and features.output_tokens > entry.max_output
    ):
        return f"max output {entry.max_output} < max_tokens {features.output_tokens}"
    checks: tuple[tuple[bool, Capability], ...] = (
        (features.tools > 0, "tools"),
        (features.images, "images"),
        (features.json_schema, "json_schema"),
        (features.prefill, "prefill"),
    )
    for needed_cap, capability in checks:
        if needed_cap and not entry.supports(capability):
            return f"no {capability}"
    return None


def screen(targets: Sequence[Target], features: RequestFeatures, lookup: Lookup) -> Screened:
    kept: list[Target] = []
    skipped: list[tuple[Target, str]] = []
    unknown: list[Target] = []
    for target in targets:
        entry = lookup(target)
        if entry is None:
            kept.append(target)
            unknown.append(target)
            continue
        reason = unfit_reason(entry, features)
        if reason is None:
            kept.append(target)
        else:
            skipped.append((target, reason))
    return Screened(tuple(kept), tuple(skipped), tuple(unknown))
