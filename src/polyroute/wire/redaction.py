"""A provider's error text on its way to the client and the logs, the same for every protocol.

Providers echo keys in their error messages (OpenAI's 401 names the key it was sent, Google
quotes it), and some send whole pages of text. Every error decoder passes the provider's
``message``, ``code`` and ``param`` through here, so that no key of a known shape is shown
or logged whatever the protocol. The key configured for the provider is redacted as well, by
the adapter that sent it (``adapters/http.py``), whatever its shape.
"""

from __future__ import annotations

import re
from http import HTTPStatus

_SECRET = re.compile(
    r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-*.]{6,}"
    r"|\b(?:gsk|csk|xai|sk_or)[_-][A-Za-z0-9_\-*.]{6,}"
    r"|\bAIza[0-9A-Za-z_\-]{10,}"
    r"|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=\-*]+",
    re.IGNORECASE,
)
_MAX_MESSAGE = 1000


def redact(value: str | None) -> str | None:
    """``value`` with every key-shaped string replaced by ``[redacted]``."""
    return value if value is None else _SECRET.sub("[redacted]", value)


def provider_message(provider: str, message: object, fallback: str) -> str:
    """``<provider>: <message>``, redacted and capped; ``fallback`` when the provider sent no
    message (or not a string)."""
    if not isinstance(message, str) or not message:
        return f"{provider}: {fallback}"
    # Redacted before it is cut: a cut could leave a key's start too short for the patterns.
    message = _SECRET.sub("[redacted]", message)
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "…"
    return f"{provider}: {message}"


def status_text(status: int) -> str:
    """What an error says when the provider's body said nothing: ``HTTP 502 Bad Gateway``."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"
