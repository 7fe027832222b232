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
from polyroute.catalog.model import MILLION, Prices

_PRECISION = 60
"""Digits of working precision: token counts times prices never get near this."""


def usage_cost(prices: Prices, usage: Usage) -> Decimal:
    """The USD cost of ``usage`` at ``prices`` (exact, unrounded)."""
    cached = max(usage.cached_input_tokens, 0)
    written = max(usage.cache_write_tokens, 0)
    uncached = max(usage.input_tokens - cached - written, 0)
    reasoning = max(usage.reasoning_tokens, 0)
    visible = max(usage.output_tokens, 0)
    if prices.reasoning is not None:
        visible = max(visible - reasoning, 0)
        reasoning_price = prices.reasoning
    else:
        reasoning, reasoning_price = 0, Decimal(0)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        micro = (
            uncached * prices.input
            + cached * _or(prices.cached_input, prices.input)
            + written * _or(prices.cache_write, prices.input)
            + visible * prices.output
            + reasoning * reasoning_price
        )
        return micro / MILLION


def estimate_cost(prices: Prices, input_tokens: int, output_tokens: int) -> Decimal:
    """The list price of a request's expected tokens (no cache hits assumed)."""
    return usage_cost(prices, Usage(input_tokens=input_tokens, output_tokens=output_tokens))


def _or(value: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if value is None else value
