"""Ordering strategies: ordered, weighted (shares under a seeded RNG), cheapest, fastest."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import pytest
from routing_helpers import FakeClock, chat, names, router, t

from polyroute.routing import LatencyBook
from polyroute.routing.strategies import cheapest, weighted

A, B, C = t("local/a"), t("openai/gpt-4o-mini"), t("mistral/mistral-small-latest")


def test_weighted_shares_over_many_draws() -> None:
    rng = random.Random(42)
    firsts = Counter(weighted([A, B, C], {A: 20, B: 80, C: 0}, rng)[0][0] for _ in range(20_000))
    assert firsts[A] / 20_000 == pytest.approx(0.2, abs=0.015)
    assert firsts[B] / 20_000 == pytest.approx(0.8, abs=0.015)
    assert firsts[C] == 0  # weight 0: fallback only


def test_weighted_rest_follow_in_configured_order() -> None:
    order, reason = weighted([A, B, C], {A: 0, B: 1, C: 0}, random.Random(1))
    assert order == (B, A, C)
    assert reason == "weighted: drew openai/gpt-4o-mini (100%)"


def test_weighted_is_deterministic_under_a_seed() -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [weighted([A, B], {A: 1, B: 1}, rng)[0][0].name for _ in range(50)]

    assert run(3) == run(3)


def test_weighted_share_of_a_skipped_target_is_spread() -> None:
    order, _ = weighted([B, C], {A: 50, B: 25, C: 25}, random.Random(5))
    assert set(order) == {B, C}


def test_cheapest_orders_by_price_unpriced_last() -> None:
    prices = {A: None, B: Decimal("0.002"), C: Decimal("0.001")}
    order, reason = cheapest([A, B, C], prices.__getitem__)
    assert order == (C, B, A)
    assert reason.startswith("cheapest: mistral/mistral-small-latest ~$0.001000")


def test_cheapest_route_prices_this_requests_tokens() -> None:
    # gpt-4o-mini: 0.15 in / 0.6 out; claude-haiku-4-5: 1 / 5; mistral-small: 0.15 / 0.6;
    # gemini-2.5-flash-lite: 0.1 / 0.4 -> cheapest for every token mix
    route = {
        "strategy": "cheapest",
        "targets": [
            "anthropic/claude-haiku-4-5",
            "openai/gpt-4o-mini",
            "gemini/gemini-2.5-flash-lite",
        ],
    }
    decision = router({"routes": {"r": route}}).decide(chat("hello"), "r")
    assert names(decision.targets) == [
        "gemini/gemini-2.5-flash-lite",
        "openai/gpt-4o-mini",
        "anthropic/claude-haiku-4-5",
    ]


def test_cheapest_depends_on_the_token_mix() -> None:
    # mistral-large: 0.5 in / 1.5 out; gpt-4.1-mini: 0.4 in / 1.6 out
    route = {
        "strategy": "cheapest",
        "targets": ["mistral/mistral-large-latest", "openai/gpt-4.1-mini"],
    }
    r = router({"routes": {"r": route}})
    input_heavy = r.decide(chat("x" * 400_000, max_tokens=10), "r")
    output_heavy = r.decide(chat("x", max_tokens=10_000), "r")
    assert input_heavy.targets[0].name == "openai/gpt-4.1-mini"
    assert output_heavy.targets[0].name == "mistral/mistral-large-latest"


def test_fastest_ranks_by_expected_finish_time() -> None:
    clock = FakeClock()
    book = LatencyBook(epsilon=0.0, clock=clock)
    book.observe(A, ttft=0.2, tokens_per_s=50)  # 0.2 + 500/50 = 10.2 s
    book.observe(B, ttft=1.0, tokens_per_s=200)  # 1.0 + 500/200 = 3.5 s
    book.observe(C, ttft=0.1, tokens_per_s=100)  # 0.1 + 5 = 5.1 s
    order, explore = book.rank([A, B, C], 500, random.Random(0))
    assert (order, explore) == ((B, C, A), None)
    short, _ = book.rank([A, B, C], 1, random.Random(0))
    assert short == (C, A, B)  # for one token, time to first token decides


def test_fastest_ewma_moves_toward_new_observations() -> None:
    book = LatencyBook(alpha=0.5, clock=FakeClock())
    book.observe(A, 1.0, 100)
    book.observe(A, 3.0, 300)
    speed = book.speed(A)
    assert speed is not None and (speed.ttft, speed.tokens_per_s, speed.samples) == (2.0, 200, 2)


def test_fastest_notices_a_recovered_target_through_staleness() -> None:
    clock = FakeClock()
    book = LatencyBook(epsilon=0.0, stale_after=60, clock=clock)
    book.observe(A, 5.0, 10)  # A was slow (or failing) and is ranked last
    book.observe(B, 0.1, 100)
    assert book.rank([A, B], 100, random.Random(0)) == ((B, A), None)
    clock.advance(61)
    book.observe(B, 0.1, 100)  # B keeps being measured; A's figure is now stale
    assert book.rank([A, B], 100, random.Random(0)) == ((A, B), "explore local/a: stale")
    # one probe per stale period, not a stampede
    assert book.rank([A, B], 100, random.Random(0)) == ((B, A), None)
    book.observe(A, 0.05, 500)  # the probe shows A recovered
    assert book.rank([A, B], 100, random.Random(0))[0] == (A, B)


def test_fastest_probes_unmeasured_targets_once_per_period() -> None:
    clock = FakeClock()
    book = LatencyBook(epsilon=0.0, stale_after=60, clock=clock)
    book.observe(B, 0.1, 100)
    assert book.rank([B, A], 10, random.Random(0)) == ((A, B), "explore local/a: unmeasured")
    assert book.rank([B, A], 10, random.Random(0)) == ((B, A), None)


def test_fastest_epsilon_exploration_is_seeded() -> None:
    book = LatencyBook(epsilon=0.25, stale_after=1e9, clock=FakeClock())
    for target, ttft in ((A, 0.1), (B, 0.2), (C, 0.3)):
        book.observe(target, ttft, 100)
    rng = random.Random(11)
    explored = sum(book.rank([A, B, C], 10, rng)[1] is not None for _ in range(4000))
    assert explored / 4000 == pytest.approx(0.25, abs=0.03)


def test_fastest_route_reports_the_ranking() -> None:
    clock = FakeClock()
    r = router(
        {
            "routes": {
                "f": {
                    "strategy": "fastest",
                    "targets": ["openai/gpt-4o-mini", "mistral/mistral-small-latest"],
                }
            }
        },
        clock=clock,
    )
    r.latency.observe(B, 2.0, 50)
    r.latency.observe(C, 0.3, 120)
    decision = r.decide(chat("hi"), "f")
    assert names(decision.targets) == ["mistral/mistral-small-latest", "openai/gpt-4o-mini"]
    assert "fastest: by measured speed" in decision.reasons
