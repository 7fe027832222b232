"""Live speed of each target: EWMA of time to first token and of output tokens per second.

The ``fastest`` strategy ranks targets by the expected time to finish a request,
``ttft + output_tokens / tokens_per_s``. Two forms of exploration keep the ranking honest:

* **staleness**: a target never measured, or with no observation for ``stale_after`` seconds
  (a slow or failed target that was demoted, and so never measured again), is tried first
  by exactly one request per ``stale_after`` period, so a recovered target is noticed (a
  stale figure is replaced by the probe's, not averaged with it);
* **epsilon**: with probability ``epsilon`` a random other target goes first.

Both are deterministic under the injected clock and RNG.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from polyroute.gateway.targets import Target
from polyroute.routing.health import MAX_TARGETS

Clock = Callable[[], float]


@dataclass(slots=True)
class Speed:
    ttft: float
    """Seconds to the first token (EWMA)."""
    tokens_per_s: float
    """Output tokens per second after the first (EWMA)."""
    observed_at: float
    samples: int = 1


class LatencyBook:
    def __init__(
        self,
        alpha: float = 0.3,
        epsilon: float = 0.05,
        stale_after: float = 300.0,
        clock: Clock = time.monotonic,
        max_targets: int = MAX_TARGETS,
    ) -> None:
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self.epsilon = epsilon
        self.stale_after = stale_after
        self._clock = clock
        self._max_targets = max_targets
        self._speeds: dict[Target, Speed] = {}
        self._probed: dict[Target, float] = {}

    def observe(self, target: Target, ttft: float, tokens_per_s: float | None = None) -> None:
        """Record one call's time to first token and (if it streamed output) its rate."""
        now = self._clock()
        speed = self._speeds.get(target)
        if speed is None or now - speed.observed_at >= self.stale_after:
            # a stale figure says nothing about a target that has since recovered
            speeds = self._speeds
            if speed is None and len(speeds) >= self._max_targets:
                del speeds[next(iter(speeds))]  # the first measured (see ``MAX_TARGETS``)
            speeds[target] = Speed(ttft, tokens_per_s or 0.0, now)
            return
        a = self.alpha
        speed.ttft = a * ttft + (1 - a) * speed.ttft
        if tokens_per_s:
            rate = speed.tokens_per_s
            speed.tokens_per_s = tokens_per_s if rate == 0 else a * tokens_per_s + (1 - a) * rate
        speed.observed_at = now
        speed.samples += 1

    def speed(self, target: Target) -> Speed | None:
        return self._speeds.get(target)

    def expected_seconds(self, target: Target, output_tokens: int) -> float | None:
        speed = self._speeds.get(target)
        if speed is None:
            return None
        rate = speed.tokens_per_s
        return speed.ttft + (output_tokens / rate if rate > 0 else 0.0)

    def rank(
        self, targets: Sequence[Target], output_tokens: int, rng: random.Random
    ) -> tuple[tuple[Target, ...], str | None]:
        """Fastest first (unmeasured after measured, in given order), and why one was
        promoted for exploration, if one was."""
        measured = [(self.expected_seconds(t, output_tokens), i, t) for i, t in enumerate(targets)]
        known = sorted((s, i, t) for s, i, t in measured if s is not None)
        ordered = [t for _, _, t in known] + [t for s, _, t in measured if s is None]
        if len(ordered) < 2:
            return tuple(ordered), None
        now = self._clock()
        for target in ordered[1:]:
            speed = self._speeds.get(target)
            last_probe = self._probed.get(target, float("-inf"))
            stale = speed is None or now - speed.observed_at >= self.stale_after
            if stale and now - last_probe >= self.stale_after:
                self._probed[target] = now
                why = "unmeasured" if speed is None else "stale"
                return _first(ordered, target), f"explore {target.name}: {why}"
        if known and rng.random() < self.epsilon:
            target = rng.choice(ordered[1:])
            return _first(ordered, target), f"explore {target.name}: epsilon"
        return tuple(ordered), None


def _first(ordered: list[Target], target: Target) -> tuple[Target, ...]:
    return (target, *(t for t in ordered if t != target))
