"""RouteConfig: every strategy's shape, validated with clear errors."""

from __future__ import annotations

from typing import Any

import pytest
from routing_helpers import settings

from polyroute.config import ConfigError


def route(body: dict[str, Any]) -> Any:
    return settings({"routes": {"r": body}}).routes["r"]


def test_plain_targets_default_to_ordered() -> None:
    config = route({"targets": ["mistral/mistral-small-latest", "openai/gpt-4o-mini"]})
    assert (config.strategy, config.weights, config.tiers) == ("ordered", None, None)


def test_weighted_items_split_into_targets_and_shares() -> None:
    config = route(
        {
            "strategy": "weighted",
            "targets": [
                {"target": "mistral/mistral-small-latest", "weight": 20},
                {"target": "openai/gpt-4o-mini", "weight": 80},
                "gemini/gemini-2.5-flash",
            ],
        }
    )
    assert config.targets == [
        "mistral/mistral-small-latest",
        "openai/gpt-4o-mini",
        "gemini/gemini-2.5-flash",
    ]
    assert config.weights == (20, 80, 0)


def test_tiered_targets_default_to_the_tiers() -> None:
    config = route(
        {
            "strategy": "tiered",
            "tiers": {"code": ["mistral/codestral-latest"], "small": ["openai/gpt-4o-mini"]},
        }
    )
    assert config.targets == ["openai/gpt-4o-mini", "mistral/codestral-latest"]


@pytest.mark.parametrize("strategy", ["cheapest", "fastest"])
def test_cheapest_and_fastest_take_plain_targets(strategy: str) -> None:
    assert route({"strategy": strategy, "targets": ["openai/gpt-4o"]}).strategy == strategy


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"strategy": "fast", "targets": ["openai/gpt-4o"]}, "routes.r.strategy: Input should be"),
        ({"targets": []}, "at least one target"),
        ({"targets": ["gpt-4o"]}, "must be <provider>/<model-id>"),
        ({"targets": ["openai/gpt-4o", "openai/gpt-4o"]}, "listed twice"),
        ({"strategy": "weighted", "targets": ["openai/gpt-4o"]}, "needs {target, weight}"),
        ({"targets": [{"target": "openai/gpt-4o", "weight": 1}]}, "only for strategy: weighted"),
        (
            {"strategy": "weighted", "targets": [{"target": "openai/gpt-4o", "weight": 0}]},
            "at least one must be > 0",
        ),
        (
            {"strategy": "weighted", "targets": [{"target": "openai/gpt-4o", "share": 1}]},
            "expected {target, weight}",
        ),
        ({"strategy": "tiered", "targets": ["openai/gpt-4o"]}, "needs tiers"),
        ({"strategy": "tiered", "tiers": {"huge": ["openai/gpt-4o"]}}, "unknown tier 'huge'"),
        ({"strategy": "tiered", "tiers": {"small": []}}, "at least one target"),
        ({"targets": ["openai/gpt-4o"], "tiers": {"small": ["openai/gpt-4o"]}}, "only for"),
        ({"targets": ["groq/llama"]}, "provider 'groq' is not configured"),
    ],
)
def test_invalid_routes_name_the_problem(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"test\.yaml: routes\.r") as info:
        route(body)
    assert message in str(info.value)
