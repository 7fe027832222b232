"""Google's ``{"error": {"code", "message", "status", "details"}}`` to ``UpstreamError``.

Classified by the canonical status string (``INVALID_ARGUMENT``, ``RESOURCE_EXHAUSTED``…),
then by HTTP status, never by message text. Two structured details are read:

* ``google.rpc.ErrorInfo.reason``: ``API_KEY_INVALID`` arrives as a 400
  ``INVALID_ARGUMENT`` but is the operator's key, not the caller's request, so it is
  ``AUTHENTICATION``; the reason (else the status string) becomes ``code``.
* ``google.rpc.RetryInfo.retryDelay`` (``"30s"``, ``"1.5s"``) becomes ``retry_after``
  (else a ``Retry-After`` header).

Failures of the operator's provider key (401, 403, ``API_KEY_INVALID``) are shown to the
client as 502: the client's own key was fine. Google signals an over-long prompt only in
message text (400 ``INVALID_ARGUMENT`` "The input token count … exceeds the maximum"), so it
stays ``INVALID_REQUEST`` rather than ``CONTEXT_LENGTH``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson

from polyroute.errors import OPERATOR_KINDS, UpstreamError, UpstreamKind
from polyroute.wire.redaction import provider_message, redact, status_text
from polyroute.wire.retry_after import retry_after

_STATUS_KINDS: dict[str, UpstreamKind] = {
    "INVALID_ARGUMENT": UpstreamKind.INVALID_REQUEST,
    "FAILED_PRECONDITION": UpstreamKind.INVALID_REQUEST,
    "OUT_OF_RANGE": UpstreamKind.INVALID_REQUEST,
    "UNAUTHENTICATED": UpstreamKind.AUTHENTICATION,
    "PERMISSION_DENIED": UpstreamKind.PERMISSION,
    "NOT_FOUND": UpstreamKind.NOT_FOUND,
    "RESOURCE_EXHAUSTED": UpstreamKind.RATE_LIMITED,
    "INTERNAL": UpstreamKind.SERVER,
    "UNKNOWN": UpstreamKind.SERVER,
    "UNAVAILABLE": UpstreamKind.OVERLOADED,
    "DEADLINE_EXCEEDED": UpstreamKind.TIMEOUT,
}

_HTTP_KINDS: dict[int, UpstreamKind] = {
    400: UpstreamKind.INVALID_REQUEST,
    401: UpstreamKind.AUTHENTICATION,
    403: UpstreamKind.PERMISSION,
    404: UpstreamKind.NOT_FOUND,
    429: UpstreamKind.RATE_LIMITED,
    500: UpstreamKind.SERVER,
    503: UpstreamKind.OVERLOADED,
    504: UpstreamKind.TIMEOUT,
}

_REASON_KINDS: dict[str, UpstreamKind] = {
    "API_KEY_INVALID": UpstreamKind.AUTHENTICATION,
    "API_KEY_EXPIRED": UpstreamKind.AUTHENTICATION,
}

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def decode_error(
    status: int, body: bytes | Mapping[str, Any], provider: str, headers: Mapping[str, str]
) -> UpstreamError:
    error = _error_object(body)
    google_status = error.get("status") if isinstance(error.get("status"), str) else None
    reason = _detail(error, _ERROR_INFO, "reason")
    reason = reason if isinstance(reason, str) else None
    kind = (
        _REASON_KINDS.get(reason or "")
        or _STATUS_KINDS.get(google_status or "")
        or _HTTP_KINDS.get(status)
        or (UpstreamKind.SERVER if status >= 500 else UpstreamKind.INVALID_REQUEST)
    )
    return UpstreamError(
        kind,
        provider_message(provider, error.get("message"), status_text(status)),
        provider,
        502 if kind in OPERATOR_KINDS else status,
        code=redact(reason or google_status),
        retry_after=_retry_after(error, headers) if kind is UpstreamKind.RATE_LIMITED else None,
    )


def _error_object(body: bytes | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, bytes | bytearray):
        try:
            body = orjson.loads(body)
        except orjson.JSONDecodeError:
            return {}
    # Some proxies wrap the status in a one-element array.
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, Mapping) else None
    return dict(error) if isinstance(error, Mapping) else {}


def _detail(error: dict[str, Any], type_url: str, field: str) -> Any:
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("@type") == type_url and field in detail:
            return detail[field]
    return None


def parse_duration(value: object) -> float | None:
    """A protobuf JSON ``Duration`` (``"30s"``, ``"1.5s"``) in seconds."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        seconds = float(value[:-1])
    except ValueError:
        return None
    return seconds if 0 <= seconds < math.inf else None  # "infs" and "nans" are no delay


def _retry_after(error: dict[str, Any], headers: Mapping[str, str]) -> float | None:
    delay = parse_duration(_detail(error, _RETRY_INFO, "retryDelay"))
    if delay is not None:
        return delay
    return retry_after(headers)
