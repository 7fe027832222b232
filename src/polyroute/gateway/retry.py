"""When to try the same target again, and how long to wait first.

Transient failures (5xx, 529, a connection reset) get a bounded number of jittered,
exponentially backed-off retries; a provider's own ``Retry-After`` (or Gemini's RetryInfo)
is honoured when it is short and makes us move to the next target when it is long. Nothing
here ever waits past the call's deadline.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from polyroute.config import RetryConfig
from polyroute.errors import UpstreamError, UpstreamKind


class RetryPolicy:
    def __init__(self, config: RetryConfig, rng: Callable[[], float] = random.random) -> None:
        self._config = config
        self._rng = rng

    def wait_before_retry(self, error: UpstreamError, tries: int, time_left: float) -> float | None:
        """Seconds to wait before retrying the same target, or None to move on."""
        config = self._config
        if tries >= config.per_target:
            return None
        if error.kind is UpstreamKind.RATE_LIMITED:
            # Without a hint we do not know when capacity returns: another target will do.
            wait = error.retry_after
        elif error.retryable:
            wait = error.retry_after
            if wait is None:
                ceiling = min(config.backoff_max, config.backoff_base * 2**tries)
                wait = ceiling * (0.5 + self._rng() / 2)
        else:
            return None
        if wait is None or wait > config.max_retry_after or wait >= time_left:
            return None
        return wait

    def fails_over(self, error: UpstreamError) -> bool:
        """Whether the next target may succeed where this one failed."""
        if error.kind is UpstreamKind.CONTENT_FILTER:
            return self._config.failover_on_content_filter
        return error.failover
