"""The config's ``catalog:`` section: change a model, add a self-hosted one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from polyroute.canonical import Usage
from polyroute.catalog import CatalogError, load_catalog
from polyroute.config import ConfigError, settings_from_mapping


def overrides(section: dict[str, Any]) -> Any:
    return settings_from_mapping({"catalog": section}, {}, "test.yaml").catalog


def test_self_hosted_model_at_zero_price() -> None:
    catalog = load_catalog(
        overrides(
            {
                "local": {
                    "llama-3.1-8b": {
                        "context_window": 8192,
                        "max_output": 2048,
                        "capabilities": ["tools"],
                        "prices": {"input": 0, "output": 0},
                    }
                }
            }
        )
    )
    entry = catalog.get("local", "llama-3.1-8b")
    assert entry is not None
    assert (entry.context_window, entry.capabilities, entry.source) == (8192, {"tools"}, "config")
    cost = catalog.cost("local", "llama-3.1-8b", Usage(10_000, 10_000))
    assert (cost.usd, cost.priced) == (Decimal(0), True)
    assert catalog.version.endswith("+config")


def test_self_hosted_model_at_a_chosen_per_token_price() -> None:
    catalog = load_catalog(
        overrides({"vllm": {"qwen": {"prices": {"input": "0.02", "output": 0.08}}}})
    )
    cost = catalog.cost("vllm", "qwen", Usage(input_tokens=500_000, output_tokens=250_000))
    assert cost.usd == Decimal("0.03")  # 0.01 + 0.02, YAML float 0.08 read exactly


def test_override_changes_only_the_fields_it_sets() -> None:
    catalog = load_catalog(
        overrides(
            {"openai": {"gpt-4o": {"prices": {"cached_input": "1"}, "context_window": 64000}}}
        )
    )
    entry = catalog.get("openai", "gpt-4o")
    assert entry is not None and entry.prices is not None
    assert (entry.prices.input, entry.prices.output) == (Decimal("2.5"), Decimal("10"))
    assert entry.prices.cached_input == Decimal("1")
    assert entry.context_window == 64000
    assert "tools" in entry.capabilities
    assert catalog.get("openai", "gpt-4o-2024-08-06") is entry  # aliases follow


def test_override_can_add_capabilities_and_aliases() -> None:
    catalog = load_catalog(
        overrides({"mistral": {"codestral-latest": {"capabilities": ["fim"], "aliases": ["cs"]}}})
    )
    entry = catalog.get("mistral", "cs")
    assert entry is not None and entry.capabilities == {"fim"}


def test_new_model_without_input_price_is_refused() -> None:
    with pytest.raises(CatalogError, match=r"catalog\.local\.m\.prices\.input"):
        load_catalog(overrides({"local": {"m": {"prices": {"output": 1}}}}))


def test_new_model_without_prices_is_known_but_unpriced() -> None:
    catalog = load_catalog(overrides({"local": {"m": {"context_window": 4096}}}))
    assert catalog.get("local", "m") is not None
    assert catalog.cost("local", "m", Usage(1, 1)).priced is False


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"local": {"m": {"prices": {"input": -1}}}}, "catalog.local.m.prices.input"),
        ({"local": {"m": {"capabilities": ["telepathy"]}}}, "catalog.local.m.capabilities.0"),
        ({"local": {"m": {"per_hour": 2}}}, "catalog.local.m.per_hour: unknown key"),
        ({"local": {"m": {"context_window": 0}}}, "catalog.local.m.context_window"),
    ],
)
def test_invalid_overrides_are_config_errors(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        overrides(section)
