"""Router.decide: name resolution, the built-in auto route, screening, explanations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from routing_helpers import CATALOG, chat, names, router

from polyroute.canonical import FimRequest, Usage
from polyroute.errors import InvalidRequest, ModelNotFound
from polyroute.routing import DEFAULT_TIERS, RouteDecision
from polyroute.routing.tiers import default_auto_route


def test_default_tier_targets_are_all_in_the_catalog() -> None:
    for tier, targets in DEFAULT_TIERS.items():
        for target in targets:
            provider, _, model = target.partition("/")
            assert CATALOG.get(provider, model) is not None, (tier, target)


def test_default_auto_uses_configured_providers_only() -> None:
    route = default_auto_route(["mistral"])
    assert route is not None and route.tiers == {
        "small": ["mistral/mistral-small-latest"],
        "flagship": ["mistral/mistral-large-latest"],
        "code": ["mistral/codestral-latest", "mistral/devstral-medium-latest"],
    }
    openai_only = default_auto_route(["openai"])
    assert openai_only is not None and set(openai_only.tiers or {}) == {"small", "flagship"}
    assert default_auto_route(["local"]) is None


def test_default_auto_leaves_out_models_past_their_deprecation_date() -> None:
    # The catalog deprecates gpt-4o and gpt-4o-mini on 2027-01-14.
    before = default_auto_route(["openai", "mistral"], CATALOG, today="2027-01-13")
    after = default_auto_route(["openai", "mistral"], CATALOG, today="2027-01-14")
    assert before is not None and after is not None
    assert (before.tiers or {})["small"] == ["mistral/mistral-small-latest", "openai/gpt-4o-mini"]
    assert (after.tiers or {})["small"] == ["mistral/mistral-small-latest"]
    assert (after.tiers or {})["flagship"] == ["mistral/mistral-large-latest"]
    assert default_auto_route(["openai"], CATALOG, today="2027-01-14") is None


def test_auto_routes_by_tier_with_other_tiers_as_fallbacks() -> None:
    r = router()
    simple = r.decide(chat("hi!"), "auto")
    assert simple.strategy == "tiered" and simple.tier == "small"
    assert names(simple.targets)[:4] == [
        "mistral/mistral-small-latest",
        "openai/gpt-4o-mini",
        "gemini/gemini-flash-latest",
        "anthropic/claude-haiku-4-5",
    ]
    assert names(simple.targets)[4] == "mistral/mistral-large-latest"
    code = r.decide(chat("Implement quicksort in Rust"), "auto")
    assert code.tier == "code" and code.targets[0].name == "mistral/codestral-latest"
    assert code.reasons[0].startswith("tier code: language: rust")
    hard = r.decide(chat("Prove it step by step"), "auto")
    assert hard.tier == "flagship" and hard.targets[0].name == "mistral/mistral-large-latest"


def test_fim_on_auto_keeps_only_fim_models() -> None:
    decision = router().decide(FimRequest(model="auto", prompt="def f("), "auto")
    assert names(decision.targets) == ["mistral/codestral-latest"]
    assert all(why == "no fim" for _, why in decision.skipped)


def test_empty_code_tier_falls_back_to_flagship() -> None:
    decision = router(keys={"OPENAI_API_KEY": "o"}).decide(
        chat("Implement a stack in Rust"), "auto"
    )
    assert decision.tier == "flagship"
    assert decision.reasons[0].startswith("tier code->flagship (empty tier)")
    assert decision.targets[0].name == "openai/gpt-4o"


def test_configured_auto_overrides_the_default() -> None:
    auto = {
        "strategy": "tiered",
        "tiers": {"small": ["openai/gpt-4o-mini"], "code": ["mistral/codestral-latest"]},
    }
    decision = router({"routes": {"auto": auto}}).decide(chat("hello"), "auto")
    assert names(decision.targets) == ["openai/gpt-4o-mini", "mistral/codestral-latest"]


def test_skipped_targets_carry_reasons_and_the_rest_is_kept() -> None:
    route = {"targets": ["mistral/codestral-latest", "openai/gpt-4o", "mistral/mistral-embed"]}
    decision = router({"routes": {"vision": route}}).decide(
        chat("what is this?", image=True), "vision"
    )
    assert names(decision.targets) == ["openai/gpt-4o"]
    assert [(t.name, why) for t, why in decision.skipped] == [
        ("mistral/codestral-latest", "no images"),
        ("mistral/mistral-embed", "embedding model"),
    ]
    assert decision.header_value() == "route=vision;strategy=ordered;skipped=2"


def test_every_target_skipped_is_an_invalid_request_naming_the_reasons() -> None:
    route = {"targets": ["mistral/codestral-latest", "mistral/open-mistral-nemo"]}
    with pytest.raises(InvalidRequest) as info:
        router({"routes": {"r": route}}).decide(chat("look", image=True, tools=1), "r")
    message = info.value.message
    assert "route `r`" in message
    assert "mistral/codestral-latest: no images" in message
    assert "mistral/open-mistral-nemo: no tools" in message
    assert info.value.code == "no_capable_target" and info.value.status == 400


def test_unknown_names_raise_model_not_found() -> None:
    r = router()
    with pytest.raises(ModelNotFound, match="neither a route"):
        r.decide(chat(), "nonsense")
    with pytest.raises(ModelNotFound, match="provider `groq` is not configured"):
        r.decide(chat(), "groq/llama-3.1-8b-instant")


def test_a_bare_model_id_is_not_guessed_but_the_error_names_who_has_it() -> None:
    with pytest.raises(ModelNotFound) as info:
        router().decide(chat(), "mistral-small-latest")
    assert info.value.message.endswith("Did you mean `mistral/mistral-small-latest`?")
    # A provider configured under another name is named as configured.
    renamed = router({"providers": {"work": {"type": "mistral", "api_key": "k"}}}, keys={})
    with pytest.raises(ModelNotFound) as info:
        renamed.decide(chat(), "mistral-small-latest")
    assert info.value.message.endswith("Did you mean `work/mistral-small-latest`?")
    with pytest.raises(ModelNotFound) as info:
        router().decide(chat(), "nonsense")
    assert "Did you mean" not in info.value.message


def test_no_auto_without_providers_with_defaults() -> None:
    with pytest.raises(ModelNotFound):
        router(keys={}).decide(chat(), "auto")


def test_direct_model_is_never_skipped_but_the_catalog_is_reported() -> None:
    decision = router().decide(chat("look", image=True), "mistral/codestral-latest")
    assert decision == RouteDecision(
        route=None,
        strategy="direct",
        targets=decision.targets,
        reasons=("direct: provider/model", "catalog says no images; sent anyway (single target)"),
    )
    assert names(decision.targets) == ["mistral/codestral-latest"]
    assert decision.header_value() == "route=-;strategy=direct"


def test_unknown_models_are_kept_and_flagged() -> None:
    raw = {
        "providers": {
            "local": {"type": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1"}
        },
        "routes": {"r": {"targets": ["local/llama", "openai/gpt-4o-mini"]}},
    }
    decision = router(raw).decide(chat("hi", tools=2), "r")
    assert names(decision.targets) == ["local/llama", "openai/gpt-4o-mini"]
    assert "not in catalog, unchecked: local/llama" in decision.reasons


def test_catalog_overrides_reach_the_screen() -> None:
    raw = {
        "providers": {
            "local": {"type": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1"}
        },
        "catalog": {"local": {"llama": {"context_window": 8192, "capabilities": ["tools"]}}},
        "routes": {"r": {"targets": ["local/llama", "openai/gpt-4o-mini"]}},
    }
    decision = router(raw).decide(chat("word " * 20_000), "r")
    assert names(decision.targets) == ["openai/gpt-4o-mini"]
    assert decision.skipped[0][1].startswith("context 8192 < ~")


def test_provider_named_differently_uses_its_kinds_catalog() -> None:
    raw = {
        "providers": {"mistral-eu": {"type": "mistral", "api_key": "k"}},
        "routes": {"r": {"targets": ["mistral-eu/codestral-latest", "openai/gpt-4o"]}},
    }
    r = router(raw)
    decision = r.decide(chat("see", image=True), "r")
    assert [(t.name, why) for t, why in decision.skipped] == [
        ("mistral-eu/codestral-latest", "no images")
    ]
    cost = r.cost(decision.skipped[0][0], Usage(input_tokens=1_000_000))
    assert (cost.usd, cost.priced) == (Decimal("0.3"), True)


def test_weighted_route_twenty_percent_self_hosted() -> None:
    raw = {
        "providers": {
            "local": {"type": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1"}
        },
        "routes": {
            "bulk": {
                "strategy": "weighted",
                "targets": [
                    {"target": "local/llama", "weight": 20},
                    {"target": "mistral/mistral-small-latest", "weight": 80},
                    "openai/gpt-4o-mini",
                ],
            }
        },
    }
    r = router(raw, seed=1)
    firsts = [r.decide(chat("hi"), "bulk").targets[0].name for _ in range(5000)]
    assert firsts.count("local/llama") / 5000 == pytest.approx(0.2, abs=0.02)
    assert "openai/gpt-4o-mini" not in firsts
    decision = r.decide(chat("hi"), "bulk")
    assert decision.targets[-1].name == "openai/gpt-4o-mini"
    assert decision.reasons[0].startswith("weighted: drew ")
