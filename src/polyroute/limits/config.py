"""The ``limits:`` config section: where rate-limit windows and budget counters live."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Backend = Literal["memory", "redis"]


class LimitsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Backend | None = None
    """``memory`` (one process) or ``redis`` (shared by replicas); default: redis when
    ``redis_url`` is set, else memory."""
    key_prefix: str = "polyroute:limits:"
    """Prefix of every Redis key the gatekeeper writes."""

    def resolved(self, redis_url: str | None) -> LimitsConfig:
        """This section with ``backend`` decided; ValueError when redis has no ``redis_url``."""
        backend = self.backend or ("redis" if redis_url else "memory")
        if backend == "redis" and not redis_url:
            raise ValueError("redis needs redis_url, which is not set")
        return self.model_copy(update={"backend": backend})
