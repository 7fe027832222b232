"""How long a provider asks to be left alone: its ``Retry-After``, read the same way for every
wire protocol.

``retry-after-ms`` (OpenAI's and Anthropic's SDKs honour it) wins over ``Retry-After``, which is
whole seconds or an HTTP date. A value that is no number, or not a finite one ("inf", "nan", as
a misbehaving proxy may send), is no hint at all: passed on, it crashed the error renderer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    ms = _seconds(_header(headers, "retry-after-ms"))
    if ms is not None:
        return ms / 1000
    value = _header(headers, "retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


def _seconds(value: str | None) -> float | None:
    """A non-negative number of the header, or None ("inf" and "nan" are no hint at all)."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return max(0.0, number) if math.isfinite(number) else None
