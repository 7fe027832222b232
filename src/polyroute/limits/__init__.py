"""Budgets and rate limits per virtual key, enforced before a provider is called."""

from polyroute.limits.backends import Charge, LimitBackend, MemoryBackend
from polyroute.limits.config import LimitsConfig
from polyroute.limits.errors import BudgetExceeded, RateLimited
from polyroute.limits.gatekeeper import WINDOW, Admission, Gatekeeper, to_units

__all__ = [
    "WINDOW",
    "Admission",
    "BudgetExceeded",
    "Charge",
    "Gatekeeper",
    "LimitBackend",
    "LimitsConfig",
    "MemoryBackend",
    "RateLimited",
    "to_units",
]
