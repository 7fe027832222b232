"""Exact list-price arithmetic for each provider's usage shape."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyroute.canonical import Usage
from polyroute.catalog import Prices, load_catalog, usage_cost

CATALOG = load_catalog()


def usd(provider: str, model: str, usage: Usage) -> Decimal:
    cost = CATALOG.cost(provider, model, usage)
    assert cost.priced
    assert cost.catalog_version == CATALOG.version
    return cost.usd


def test_openai_cached_input_is_priced_at_the_cached_rate() -> None:
    # gpt-4o-mini: input 0.15, cached 0.075, output 0.6 per 1M
    usage = Usage(input_tokens=1000, output_tokens=500, cached_input_tokens=200)
    assert usd("openai", "gpt-4o-mini", usage) == Decimal("0.000435")


def test_openai_reasoning_is_inside_output_when_not_priced_apart() -> None:
    # o4-mini: input 1.1, output 4.4; 2,500 of the 3,000 output tokens are reasoning
    usage = Usage(input_tokens=2000, output_tokens=3000, reasoning_tokens=2500)
    assert usd("openai", "o4-mini", usage) == Decimal("0.0154")


def test_anthropic_cache_reads_and_writes() -> None:
    # claude-sonnet-4-5: input 3, cache read 0.3, cache write 3.75, output 15.
    # Canonical input = 100 uncached + 3,000 read + 2,000 written.
    usage = Usage(
        input_tokens=5100, output_tokens=400, cached_input_tokens=3000, cache_write_tokens=2000
    )
    # 100*3 + 3000*0.3 + 2000*3.75 + 400*15 = 14,700 micro-dollars
    assert usd("anthropic", "claude-sonnet-4-5", usage) == Decimal("0.0147")


def test_gemini_thinking_counts_as_output() -> None:
    # gemini-2.5-flash: input 0.3, cached 0.03, output 2.5 (thoughts billed as output)
    usage = Usage(input_tokens=1000, output_tokens=1000, reasoning_tokens=800)
    assert usd("gemini", "gemini-2.5-flash", usage) == Decimal("0.0028")
    usage = Usage(input_tokens=1000, output_tokens=1000, cached_input_tokens=500)
    assert usd("gemini", "gemini-2.5-flash", usage) == Decimal("0.002665")


def test_mistral_million_tokens() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert usd("mistral", "mistral-small-latest", usage) == Decimal("0.75")


def test_reasoning_priced_separately() -> None:
    prices = Prices(input=Decimal("1"), output=Decimal("10"), reasoning=Decimal("3.5"))
    usage = Usage(input_tokens=1000, output_tokens=1000, reasoning_tokens=600)
    # 1000*1 + 400*10 + 600*3.5 = 7,100 micro-dollars
    assert usage_cost(prices, usage) == Decimal("0.0071")


def test_missing_cache_rates_fall_back_to_the_input_price() -> None:
    # cerebras gpt-oss-120b has no cached rate; mistral has no cache-write rate
    cached = Usage(input_tokens=1000, cached_input_tokens=400)
    assert usd("cerebras", "gpt-oss-120b", cached) == Decimal("0.00035")
    written = Usage(input_tokens=1000, cache_write_tokens=100)
    assert usd("mistral", "mistral-small-latest", written) == Decimal("0.00015")


def test_groq_litellm_key_form_prices_the_same() -> None:
    usage = Usage(input_tokens=10_000, output_tokens=1000)
    assert usd("groq", "groq/openai/gpt-oss-20b", usage) == usd("groq", "openai/gpt-oss-20b", usage)


def test_unknown_model_is_unpriced_not_guessed() -> None:
    cost = CATALOG.cost("openai", "gpt-4o-2024-05-13", Usage(input_tokens=10, output_tokens=10))
    assert (cost.usd, cost.priced) == (Decimal(0), False)
    assert CATALOG.cost("nobody", "x", Usage(1, 1)).priced is False


def test_tiny_costs_stay_exact() -> None:
    # gpt-5-nano input 0.05 per 1M: one token is 5e-8 dollars, no float noise
    assert usd("openai", "gpt-5-nano", Usage(input_tokens=1)) == Decimal("0.00000005")


def test_embedding_costs_input_only() -> None:
    assert usd("openai", "text-embedding-3-small", Usage(input_tokens=1_000_000)) == Decimal("0.02")


_counts = st.integers(min_value=0, max_value=10_000_000)
_price = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False)


@st.composite
def _prices(draw: st.DrawFn) -> Prices:
    optional = st.none() | _price
    return Prices(draw(_price), draw(_price), draw(optional), draw(optional), draw(optional))


@given(_prices(), _counts, _counts, _counts, _counts, _counts, _counts, _counts)
def test_cost_is_never_negative_and_monotone_in_tokens(
    prices: Prices, inp: int, out: int, cached: int, written: int, reasoning: int, more_in: int,
    more_out: int,
) -> None:  # fmt: skip
    base = Usage(inp, out, cached, written, reasoning)
    cost = usage_cost(prices, base)
    assert cost >= 0
    assert usage_cost(prices, Usage(inp + more_in, out, cached, written, reasoning)) >= cost
    assert usage_cost(prices, Usage(inp, out + more_out, cached, written, reasoning)) >= cost


def _by_the_formula(prices: Prices, usage: Usage) -> Decimal:
    """The module docstring's formula in plain ``Decimal`` arithmetic, at ample precision."""
    cached, written = usage.cached_input_tokens, usage.cache_write_tokens
    uncached = max(usage.input_tokens - cached - written, 0)
    reasoning = usage.reasoning_tokens if prices.reasoning is not None else 0
    visible = max(usage.output_tokens - reasoning, 0)
    with localcontext() as ctx:
        ctx.prec = 80
        total = (
            uncached * prices.input
            + cached * (prices.cached_input if prices.cached_input is not None else prices.input)
            + written * (prices.cache_write if prices.cache_write is not None else prices.input)
            + visible * prices.output
            + reasoning * (prices.reasoning or 0)
        )
        return total / Decimal(1_000_000)


_fine_price = st.decimals(min_value=0, max_value=100_000, places=9, allow_nan=False)


@given(
    st.builds(
        Prices,
        _fine_price,
        _fine_price,
        st.none() | _fine_price,
        st.none() | _fine_price,
        st.none() | _fine_price,
    ),
    st.builds(
        Usage,
        st.integers(0, 10**12),
        st.integers(0, 10**12),
        st.integers(0, 10**11),
        st.integers(0, 10**11),
        st.integers(0, 10**11),
    ),
)
def test_cost_is_exactly_the_formula(prices: Prices, usage: Usage) -> None:
    """Integer arithmetic at the prices' own scale gives the formula's exact value, for
    prices with up to 9 decimals and counts far beyond any real call's."""
    assert usage_cost(prices, usage) == _by_the_formula(prices, usage)


def test_a_price_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        Prices(Decimal("NaN"))


def test_every_shipped_price_is_a_non_negative_decimal() -> None:
    for entry in CATALOG:
        assert entry.prices is not None, entry.name
        p = entry.prices
        for value in (p.input, p.output, p.cached_input, p.cache_write, p.reasoning):
            assert value is None or (isinstance(value, Decimal) and value >= 0), entry.name
