"""Hypothesis properties of the router's decisions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from routing_helpers import chat, router

from polyroute.errors import InvalidRequest

MODELS = [
    "mistral/mistral-small-latest",
    "mistral/codestral-latest",
    "mistral/mistral-embed",
    "mistral/open-mistral-nemo",
    "openai/gpt-4o-mini",
    "openai/gpt-4o",
    "anthropic/claude-haiku-4-5",
    "gemini/gemini-2.5-flash",
    "local/unknown",
]
RAW_PROVIDERS = {"local": {"type": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1"}}


@st.composite
def routes(draw: st.DrawFn) -> dict[str, object]:
    targets = draw(st.lists(st.sampled_from(MODELS), min_size=1, max_size=6, unique=True))
    strategy = draw(st.sampled_from(["ordered", "weighted", "cheapest", "fastest", "tiered"]))
    if strategy == "weighted":
        weights = draw(st.lists(st.integers(0, 5), min_size=len(targets), max_size=len(targets)))
        weights[0] += 1
        return {
            "strategy": strategy,
            "targets": [{"target": t, "weight": w} for t, w in zip(targets, weights, strict=True)],
        }
    if strategy == "tiered":
        cut = draw(st.integers(1, len(targets)))
        tiers = {"small": targets[:cut]}
        if targets[cut:]:
            tiers["code"] = targets[cut:]
        return {"strategy": strategy, "tiers": tiers}
    return {"strategy": strategy, "targets": targets}


@st.composite
def requests(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    text = draw(st.sampled_from(["hi", "Implement a parser in Rust", "Prove it step by step"]))
    return chat(
        text * draw(st.sampled_from([1, 50_000])),
        tools=draw(st.integers(0, 5)),
        image=draw(st.booleans()),
        schema=draw(st.booleans()),
        max_tokens=draw(st.sampled_from([None, 100, 50_000])),
    )


@settings(max_examples=200, deadline=None)
@given(routes(), requests(), st.integers(0, 2**32))
def test_targets_and_skipped_partition_the_route(route, request, seed) -> None:  # type: ignore[no-untyped-def]
    r = router({"providers": RAW_PROVIDERS, "routes": {"r": route}}, seed=seed)
    configured = set(r.routes["r"].targets)
    try:
        decision = r.decide(request, "r")
    except InvalidRequest as exc:
        assert "can serve this request" in exc.message
        return
    kept = [t.name for t in decision.targets]
    skipped = [t.name for t, _ in decision.skipped]
    assert len(kept) == len(set(kept)) and not set(kept) & set(skipped)
    assert set(kept) | set(skipped) == configured
    assert all(why for _, why in decision.skipped)
    assert decision.reasons and decision.header_value().startswith("route=r;")


@given(st.integers(0, 2**32))
def test_decisions_are_deterministic_under_a_seed(seed: int) -> None:
    route = {
        "strategy": "weighted",
        "targets": [
            {"target": "openai/gpt-4o-mini", "weight": 1},
            {"target": "mistral/mistral-small-latest", "weight": 1},
        ],
    }

    def draws() -> list[str]:
        r = router({"routes": {"r": route}}, seed=seed)
        return [r.decide(chat(), "r").targets[0].name for _ in range(10)]

    assert draws() == draws()
