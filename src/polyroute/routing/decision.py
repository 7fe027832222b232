"""What the router decided for one request, and why: small enough for a response header."""

from __future__ import annotations

from dataclasses import dataclass

from polyroute.gateway.targets import Target


@dataclass(frozen=True, slots=True)
class RouteDecision:
    route: str | None
    """The route name, or ``None`` when the client addressed ``provider/model`` directly."""
    strategy: str
    """``ordered | weighted | cheapest | fastest | tiered``, or ``direct``."""
    targets: tuple[Target, ...]
    """Where the call may go, in the order to try."""
    skipped: tuple[tuple[Target, str], ...] = ()
    """Targets that cannot serve this request, each with the reason."""
    reasons: tuple[str, ...] = ()
    """Why the order is what it is (strategy, tier cues, exploration, health)."""
    tier: str | None = None
    """For ``tiered``: the tier chosen (``small``, ``flagship`` or ``code``)."""

    def header_value(self) -> str:
        """E.g. ``route=auto;strategy=tiered;tier=code;skipped=1`` (no target names)."""
        parts = [f"route={self.route or '-'}", f"strategy={self.strategy}"]
        if self.tier:
            parts.append(f"tier={self.tier}")
        if self.skipped:
            parts.append(f"skipped={len(self.skipped)}")
        return ";".join(parts)
