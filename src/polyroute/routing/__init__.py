"""Routing: request features, capability screening, strategies, tiers, health and latency."""

from polyroute.routing.capability import Screened, screen, unfit_reason
from polyroute.routing.classifier import TierChoice, classify
from polyroute.routing.decision import RouteDecision
from polyroute.routing.features import RequestFeatures, estimate_input_tokens, extract_features
from polyroute.routing.health import BreakerPolicy, BreakerState, HealthBook
from polyroute.routing.latency import LatencyBook
from polyroute.routing.router import AUTO, Router
from polyroute.routing.tiers import DEFAULT_TIERS, default_auto_route

__all__ = [
    "AUTO",
    "DEFAULT_TIERS",
    "BreakerPolicy",
    "BreakerState",
    "HealthBook",
    "LatencyBook",
    "RequestFeatures",
    "RouteDecision",
    "Router",
    "Screened",
    "TierChoice",
    "classify",
    "default_auto_route",
    "estimate_input_tokens",
    "extract_features",
    "screen",
    "unfit_reason",
]
