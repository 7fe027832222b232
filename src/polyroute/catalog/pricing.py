"""Exact list-price arithmetic over canonical token counts.

``Usage`` counts are canonical (see its docstring): ``input_tokens`` includes cache reads and
cache writes, ``output_tokens`` includes reasoning. So a call costs::

    (input - cached - cache_write) * input
    + cached      * (cached_input or input)
    + cache_write * (cache_write or input)
    + (output - reasoning) * output + reasoning * (reasoning or output)

all in ``Decimal``, per million tokens, never rounded. Inconsistent provider counts (more
cached than total) are clamped at zero rather than producing a negative cost.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from polyroute.canonical import Usage
from polyroute.catalog.model import Prices

_PRECISION = 60
"""Digits of working precision for a sum too long for the default context (never, in
practice: token counts times prices stay under 28 digits)."""


def usage_cost(prices: Prices, usage: Usage) -> Decimal:
    """The USD cost of ``usage`` at ``prices`` (exact, unrounded).

    Summed in integers (``Prices.units``) and made a ``Decimal`` once: ~0.5 µs a call where
    five ``Decimal`` products in a local context took ~1.3 (measured on the benchmark VM).
    """
    cached = max(usage.cached_input_tokens, 0)
    written = max(usage.cache_write_tokens, 0)
    uncached = max(usage.input_tokens - cached - written, 0)
    visible = max(usage.output_tokens, 0)
    scale, input_, output, cached_input, cache_write, reasoning_rate = prices.units
    reasoning = 0
    if prices.reasoning is not None:
        reasoning = max(usage.reasoning_tokens, 0)
        visible = max(visible - reasoning, 0)
    units = (
        uncached * input_
        + cached * cached_input
        + written * cache_write
        + visible * output
        + reasoning * reasoning_rate
    )
    exponent = -(scale + 6)  # prices are per million tokens
    if units < 10**27:
        return Decimal(units).scaleb(exponent)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Decimal(units).scaleb(exponent)


def estimate_cost(prices: Prices, input_tokens: int, output_tokens: int) -> Decimal:
    """The list price of a request's expected tokens (no cache hits assumed)."""
    return usage_cost(prices, Usage(input_tokens=input_tokens, output_tokens=output_tokens))
