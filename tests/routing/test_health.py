"""Circuit breaker state machine, driven by a fake clock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from routing_helpers import FakeClock, chat, names, router, t

from polyroute.errors import UpstreamKind
from polyroute.routing import BreakerPolicy, BreakerState, HealthBook, LatencyBook
from polyroute.routing.health import _Outcomes

X = t("openai/gpt-4o-mini")
POLICY = BreakerPolicy(consecutive_failures=3, cooldown=10, backoff=2, max_cooldown=25)


def book() -> tuple[HealthBook, FakeClock]:
    clock = FakeClock()
    return HealthBook(POLICY, clock), clock


def trip(health: HealthBook, n: int = 3) -> None:
    for _ in range(n):
        health.record_failure(X, UpstreamKind.SERVER)


def test_closed_until_n_consecutive_failures() -> None:
    health, _ = book()
    trip(health, 2)
    assert health.state(X) is BreakerState.CLOSED and health.allow(X)
    health.record_success(X)  # resets the run
    trip(health, 2)
    assert health.state(X) is BreakerState.CLOSED
    health.record_failure(X, UpstreamKind.TIMEOUT)
    assert health.state(X) is BreakerState.OPEN
    assert not health.allow(X) and not health.available(X)


def test_caller_faults_do_not_count() -> None:
    health, _ = book()
    for kind in (
        UpstreamKind.INVALID_REQUEST,
        UpstreamKind.CONTEXT_LENGTH,
        UpstreamKind.CONTENT_FILTER,
    ):
        trip_kind = [health.record_failure(X, kind) for _ in range(5)]
        assert trip_kind and health.state(X) is BreakerState.CLOSED


def test_half_open_lets_exactly_one_probe_through() -> None:
    health, clock = book()
    trip(health)
    clock.advance(9.9)
    assert not health.allow(X)
    clock.advance(0.1)
    assert health.available(X)  # looking does not claim the probe
    assert health.allow(X)
    assert health.state(X) is BreakerState.HALF_OPEN
    assert not health.allow(X) and not health.available(X)


def test_probe_success_closes() -> None:
    health, clock = book()
    trip(health)
    clock.advance(10)
    assert health.allow(X)
    health.record_success(X)
    assert health.state(X) is BreakerState.CLOSED
    assert health.allow(X) and health.allow(X)


def test_probe_failure_reopens_with_a_longer_cooldown_capped() -> None:
    health, clock = book()
    trip(health)
    clock.advance(10)
    for cooldown in (20, 25, 25):  # 10 -> 20 -> 40, capped at 25 -> 25
        assert health.allow(X)
        health.record_failure(X, UpstreamKind.OVERLOADED)
        assert health.state(X) is BreakerState.OPEN
        clock.advance(cooldown - 0.5)
        assert not health.available(X)
        clock.advance(0.5)
        assert health.available(X)
    assert health.allow(X)
    health.record_success(X)
    assert health.state(X) is BreakerState.CLOSED
    trip(health)
    clock.advance(10)
    assert health.available(X)  # a fresh trip starts from the base cool-down again


def test_a_lost_probe_is_replaced_after_a_cooldown() -> None:
    health, clock = book()
    trip(health)
    clock.advance(10)
    assert health.allow(X)  # the probe's outcome is never recorded (client went away)
    clock.advance(9)
    assert not health.allow(X)
    clock.advance(1)
    assert health.allow(X)


def test_failure_rate_over_the_window_opens() -> None:
    clock = FakeClock()
    health = HealthBook(
        BreakerPolicy(consecutive_failures=100, failure_rate=0.5, window=60, min_calls=10), clock
    )
    for _ in range(5):
        health.record_success(X)
        health.record_failure(X)  # alternate: never 2 in a row
        clock.advance(1)
    assert health.state(X) is BreakerState.OPEN


def test_old_outcomes_leave_the_window() -> None:
    clock = FakeClock()
    policy = BreakerPolicy(consecutive_failures=100, failure_rate=0.5, window=60, min_calls=10)
    health = HealthBook(policy, clock)
    for _ in range(4):
        health.record_success(X)
    for _ in range(5):
        health.record_failure(X)  # 9 outcomes: under min_calls
    clock.advance(61)
    health.record_failure(X)  # 6 of 10 had they stayed; 1 of 1 in the window
    assert health.state(X) is BreakerState.CLOSED


def test_router_moves_open_targets_last_and_says_so() -> None:
    route = {"targets": ["openai/gpt-4o-mini", "mistral/mistral-small-latest"]}
    r = router({"routes": {"r": route}})
    for _ in range(5):
        r.health.record_failure(X, UpstreamKind.SERVER)
    decision = r.decide(chat(), "r")
    assert names(decision.targets) == ["mistral/mistral-small-latest", "openai/gpt-4o-mini"]
    assert "health: circuit open, tried last: openai/gpt-4o-mini" in decision.reasons


def test_router_keeps_order_when_every_circuit_is_open() -> None:
    r = router({"routes": {"r": {"targets": ["openai/gpt-4o-mini"]}}})
    for _ in range(5):
        r.health.record_failure(X, UpstreamKind.SERVER)
    decision = r.decide(chat(), "r")
    assert names(decision.targets) == ["openai/gpt-4o-mini"]
    assert "health: every circuit open, order kept" in decision.reasons


@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=5, allow_nan=False), st.booleans()),
        max_size=300,
    )
)
def test_the_window_counts_exactly_its_buckets(steps: list[tuple[float, bool]]) -> None:
    """Calls and failures equal a recount of the outcomes whose one-second bucket is among
    the window's last 60, however the outcomes are spread in time."""
    outcomes, now, seen = _Outcomes(60.0), 1000.0, []
    for advance, ok in steps:
        now += advance
        outcomes.add(now, ok)
        seen.append((now, ok))
        current = int(now // 1.0)
        inside = [ok for t, ok in seen if int(t // 1.0) > current - 60]
        assert outcomes.calls == len(inside)
        assert outcomes.failures == inside.count(False)


def test_the_window_stays_small_under_heavy_traffic() -> None:
    outcomes = _Outcomes(60.0)
    for n in range(305_000):  # 5,000 calls a second for 61 seconds
        outcomes.add(n / 5_000, ok=n % 10 != 0)
    assert len(outcomes._buckets) == 60
    assert outcomes.calls == 300_000  # the first second has left the window
    assert outcomes.failures == 30_000


def test_made_up_model_ids_cannot_grow_the_books_forever() -> None:
    """A client cycling through ``provider/<anything>`` (each a provider's 404): both books
    keep at most their capacity; an open breaker outlives the healthy ones."""
    clock = FakeClock()
    health = HealthBook(POLICY, clock, max_targets=5)
    latency = LatencyBook(clock=clock, max_targets=5)
    trip(health)  # X, the real target, is open
    for n in range(50):
        made_up = t(f"openai/no-such-model-{n}")
        health.record_failure(made_up, UpstreamKind.NOT_FOUND)
        latency.observe(made_up, 0.1, 50.0)
    assert len(health._breakers) == len(latency._speeds) == 5
    assert health.state(X) is BreakerState.OPEN
    assert latency.speed(t("openai/no-such-model-49")) is not None  # the newest are kept
    assert latency.speed(t("openai/no-such-model-0")) is None


def test_when_every_breaker_is_open_the_oldest_makes_room() -> None:
    health = HealthBook(BreakerPolicy(consecutive_failures=1), FakeClock(), max_targets=2)
    for n in range(3):
        health.record_failure(t(f"p/m{n}"), UpstreamKind.SERVER)
    assert list(health._breakers) == [t("p/m1"), t("p/m2")]
