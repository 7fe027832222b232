"""Anthropic's error envelope, both directions.

Body: ``{"type": "error", "error": {"type", "message"}, "request_id"}``. Anthropic names
error types per status (400 ``invalid_request_error``, 401 ``authentication_error``, 402
``billing_error``, 403 ``permission_error``, 404 ``not_found_error``, 413
``request_too_large``, 429 ``rate_limit_error``, 500 ``api_error``, 504 ``timeout_error``,
529 ``overloaded_error``). Upstream errors are classified by that ``type``, then by status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from polyroute.errors import OPERATOR_KINDS, PolyrouteError, UpstreamError, UpstreamKind
from polyroute.wire.redaction import provider_message, redact, status_text
from polyroute.wire.retry_after import retry_after

TYPE_KINDS: dict[str, UpstreamKind] = {
    "invalid_request_error": UpstreamKind.INVALID_REQUEST,
    "request_too_large": UpstreamKind.INVALID_REQUEST,
    "authentication_error": UpstreamKind.AUTHENTICATION,
    "billing_error": UpstreamKind.AUTHENTICATION,  # the operator's account is out of credit
    "permission_error": UpstreamKind.PERMISSION,
    "not_found_error": UpstreamKind.NOT_FOUND,
    "rate_limit_error": UpstreamKind.RATE_LIMITED,
    "api_error": UpstreamKind.SERVER,
    "timeout_error": UpstreamKind.TIMEOUT,
    "overloaded_error": UpstreamKind.OVERLOADED,
}
_STATUS_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
# What an Anthropic-dialect client sees for an upstream failure of each kind.
_KIND_TYPES: dict[UpstreamKind, str] = {
    UpstreamKind.INVALID_REQUEST: "invalid_request_error",
    UpstreamKind.AUTHENTICATION: "api_error",  # the operator's provider key, not the caller's
    UpstreamKind.PERMISSION: "api_error",
    UpstreamKind.NOT_FOUND: "not_found_error",
    UpstreamKind.RATE_LIMITED: "rate_limit_error",
    UpstreamKind.OVERLOADED: "overloaded_error",
    UpstreamKind.SERVER: "api_error",
    UpstreamKind.CONTEXT_LENGTH: "invalid_request_error",
    UpstreamKind.CONTENT_FILTER: "invalid_request_error",
    UpstreamKind.TIMEOUT: "timeout_error",
    UpstreamKind.UNREACHABLE: "api_error",
    UpstreamKind.STREAM_BROKEN: "api_error",
}


def error_type(err: PolyrouteError) -> str:
    if isinstance(err, UpstreamError):
        return _KIND_TYPES[err.kind]
    if err.status in _STATUS_TYPES:
        return _STATUS_TYPES[err.status]
    return "invalid_request_error" if err.status < 500 else "api_error"


def encode_error(err: PolyrouteError, request_id: str | None = None) -> dict[str, Any]:
    message = err.shown_message if isinstance(err, UpstreamError) else err.message
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type(err), "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def decode_error(
    status: int, body: bytes, provider: str, headers: Mapping[str, str]
) -> UpstreamError:
    """An upstream Anthropic error response as ``UpstreamError``."""
    error_obj = _error_object(body)
    kind_name = error_obj.get("type") if isinstance(error_obj.get("type"), str) else None
    kind = TYPE_KINDS.get(kind_name or "") or _status_kind(status)
    return UpstreamError(
        kind=kind,
        message=provider_message(provider, error_obj.get("message"), status_text(status)),
        provider=provider,
        status=502 if kind in OPERATOR_KINDS or not 400 <= status <= 599 else status,
        provider_type=redact(kind_name),
        retry_after=retry_after(headers),
    )


def decode_stream_error(data: dict[str, Any], provider: str) -> UpstreamError:
    """An ``event: error`` that arrived after HTTP 200."""
    error_obj = data.get("error") if isinstance(data.get("error"), dict) else {}
    kind_name = error_obj.get("type") if isinstance(error_obj.get("type"), str) else None
    kind = TYPE_KINDS.get(kind_name or "", UpstreamKind.STREAM_BROKEN)
    status = {v: k for k, v in _STATUS_TYPES.items() if k != 502}.get(kind_name or "", 502)
    return UpstreamError(
        kind=kind,
        message=provider_message(provider, error_obj.get("message"), "the stream failed"),
        provider=provider,
        status=502 if kind in OPERATOR_KINDS else status,
        provider_type=redact(kind_name),
    )


def _error_object(body: bytes) -> dict[str, Any]:
    try:
        obj = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return {}
    if isinstance(obj, dict) and isinstance(obj.get("error"), dict):
        return obj["error"]
    return {}


def _status_kind(status: int) -> UpstreamKind:
    by_type = TYPE_KINDS.get(_STATUS_TYPES.get(status, ""))
    if by_type is not None and status != 502:
        return by_type
    if status == 503:
        return UpstreamKind.OVERLOADED
    if status == 408:
        return UpstreamKind.TIMEOUT
    return UpstreamKind.INVALID_REQUEST if 400 <= status < 500 else UpstreamKind.SERVER
