"""The two refusals of the gatekeeper, both the caller's to handle (never failed over).

RequestError
├── RateLimited      429 rate_limit_exceeded: the key's RPM or TPM; ``retry_after`` seconds
└── BudgetExceeded   402 insufficient_quota: a daily, monthly or total budget would be passed
"""

from __future__ import annotations

from polyroute.errors import RequestError


class RateLimited(RequestError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds until the window that refused the call ends (send as ``Retry-After``)."""


class BudgetExceeded(RequestError):
    status = 402
    type = "insufficient_quota"
    code = "insufficient_quota"

    def __init__(self, message: str, *, period: str) -> None:
        super().__init__(message)
        self.period = period
        """``daily``, ``monthly`` or ``total``."""
