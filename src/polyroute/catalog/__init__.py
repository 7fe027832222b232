"""The model catalog: context windows, capabilities and dated list prices, and call costs."""

from polyroute.catalog.model import CAPABILITIES, Capability, Cost, ModelEntry, Prices
from polyroute.catalog.pricing import estimate_cost, usage_cost
from polyroute.catalog.store import Catalog, CatalogError, load_catalog

__all__ = [
    "CAPABILITIES",
    "Capability",
    "Catalog",
    "CatalogError",
    "Cost",
    "ModelEntry",
    "Prices",
    "estimate_cost",
    "load_catalog",
    "usage_cost",
]
