"""Error bodies of the OpenAI family, both directions.

``decode_error`` is the one place that reads every upstream error body of the family and
classifies it by HTTP status and structured code, never by searching message text:

* OpenAI, Groq, Cerebras, xAI: ``{"error": {"message", "type", "param", "code"}}``
* OpenRouter: ``{"error": {"code": <int>, "message", "metadata": {"provider_name", "raw"}}}``
* Mistral and vLLM: ``{"object": "error", "message": str | {"detail": [...]}, "type",
  "param", "code"}`` (``code`` a string such as ``"1910"`` or an int such as ``3001``),
  bare ``{"message": ...}`` (429), bare ``{"detail": "Unauthorized"}`` (401),
  FastAPI ``{"detail": [{"loc", "msg", "type"}]}`` (422)
* Google: ``{"error": {"code": <int>, "message", "status", "details"}}``
* Ollama: ``{"error": "<message>"}``; anything else (an HTML page from a proxy) by status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from polyroute.errors import OPERATOR_KINDS, PolyrouteError, UpstreamError, UpstreamKind
from polyroute.wire.redaction import provider_message, redact, status_text
from polyroute.wire.retry_after import retry_after

_STATUS_KINDS: dict[int, UpstreamKind] = {
    401: UpstreamKind.AUTHENTICATION,
    402: UpstreamKind.AUTHENTICATION,  # the operator's provider account is out of credit
    403: UpstreamKind.PERMISSION,
    404: UpstreamKind.NOT_FOUND,
    408: UpstreamKind.TIMEOUT,
    429: UpstreamKind.RATE_LIMITED,
    503: UpstreamKind.OVERLOADED,
    504: UpstreamKind.TIMEOUT,
    529: UpstreamKind.OVERLOADED,
}

# Structured ``code`` / ``type`` values that override the status's kind on a 4xx.
_CODE_KINDS: dict[str, UpstreamKind] = {
    "context_length_exceeded": UpstreamKind.CONTEXT_LENGTH,
    "context_window_exceeded": UpstreamKind.CONTEXT_LENGTH,
    "content_filter": UpstreamKind.CONTENT_FILTER,
    "content_policy_violation": UpstreamKind.CONTENT_FILTER,
    "invalid_prompt": UpstreamKind.CONTENT_FILTER,  # OpenAI: prompt flagged by its policy
    "moderation_blocked": UpstreamKind.CONTENT_FILTER,
}

# The gateway's own type and code for the operator kinds (shown as 502): the provider's own
# ("invalid_api_key", "authentication_error", "permission_error") would tell the client that
# its polyroute key failed. The provider's code stays on the error, for the call's record.
_OPERATOR_ERRORS: dict[UpstreamKind, tuple[str, str]] = {
    UpstreamKind.AUTHENTICATION: (
        "upstream_authentication_error",
        "provider_authentication_failed",
    ),
    UpstreamKind.PERMISSION: ("upstream_permission_error", "provider_permission_denied"),
}


def encode_error(err: PolyrouteError) -> dict[str, Any]:
    """OpenAI's error envelope; all four keys are always present."""
    if isinstance(err, UpstreamError) and err.kind in OPERATOR_KINDS:
        type_, code = _OPERATOR_ERRORS[err.kind]
        return {"error": {"message": err.shown_message, "type": type_, "param": None, "code": code}}
    return {
        "error": {"message": err.message, "type": err.type, "param": err.param, "code": err.code}
    }


@dataclass(slots=True)
class _Fields:
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    flagged: bool = False
    """OpenRouter moderation metadata (``reasons`` / ``flagged_input``) was present."""
    retry_delay: float | None = None
    """Google ``RetryInfo.retryDelay``."""


def decode_error(
    status: int, body: bytes, provider: str, headers: Mapping[str, str]
) -> UpstreamError:
    fields = _parse(body)
    kind = _kind(status, fields)
    if kind in OPERATOR_KINDS or not 400 <= status <= 599:
        client_status = 502
    elif kind is UpstreamKind.CONTENT_FILTER:
        client_status = 400
    else:
        client_status = status
    return UpstreamError(
        kind=kind,
        message=provider_message(provider, fields.message, status_text(status)),
        provider=provider,
        status=client_status,
        code=redact(fields.code),
        param=redact(fields.param),
        provider_type=redact(fields.type),
        retry_after=hint if (hint := retry_after(headers)) is not None else fields.retry_delay,
    )


def decode_stream_error(error: object, provider: str) -> UpstreamError:
    """An ``{"error": {...}}`` object inside a stream chunk (OpenRouter, after HTTP 200)."""
    fields = _from_error_object(error) if isinstance(error, dict) else _Fields(message=str(error))
    raw_code = error.get("code") if isinstance(error, dict) else None
    status = raw_code if isinstance(raw_code, int) and 400 <= raw_code <= 599 else None
    kind = _kind(status, fields) if status else UpstreamKind.STREAM_BROKEN
    return UpstreamError(
        kind=kind,
        message=provider_message(provider, fields.message, "the stream failed"),
        provider=provider,
        status=502 if status is None or kind in OPERATOR_KINDS else status,
        code=redact(fields.code),
        param=redact(fields.param),
        provider_type=redact(fields.type),
    )


def _kind(status: int, fields: _Fields) -> UpstreamKind:
    if 400 <= status < 500 and status not in (401, 429):
        if fields.flagged:
            return UpstreamKind.CONTENT_FILTER
        for value in (fields.code, fields.type):
            if value in _CODE_KINDS:
                return _CODE_KINDS[value]
    if status in _STATUS_KINDS:
        return _STATUS_KINDS[status]
    if 400 <= status < 500:
        return UpstreamKind.INVALID_REQUEST
    return UpstreamKind.SERVER


# -- body shapes --------------------------------------------------------------------------


def _parse(body: bytes) -> _Fields:
    try:
        obj = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return _Fields(message=_plain_text(body))
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        obj = obj[0]  # Gemini's non-SSE stream wraps the error in an array
    if not isinstance(obj, dict):
        return _Fields(message=obj if isinstance(obj, str) else None)
    error = obj.get("error")
    if isinstance(error, dict):
        return _from_error_object(error)
    if isinstance(error, str):
        return _Fields(message=error, type=_text(obj.get("type")), code=_text(obj.get("code")))
    return _from_flat(obj)


def _from_error_object(error: dict[str, Any]) -> _Fields:
    fields = _Fields(
        message=_text(error.get("message")),
        type=_text(error.get("type")),
        code=_text(error.get("code")),
        param=_text(error.get("param")),
    )
    status = error.get("status")
    if isinstance(status, str):  # Google: the canonical status is the structured code
        fields.code = status
        fields.retry_delay = _retry_info(error.get("details"))
    metadata = error.get("metadata")
    if isinstance(metadata, dict):  # OpenRouter
        raw = metadata.get("raw")
        name = metadata.get("provider_name")
        if raw:
            raw_text = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
            detail = f"{name}: {raw_text}" if name else raw_text
            fields.message = f"{fields.message or 'Provider returned error'} ({detail})"
        fields.flagged = "reasons" in metadata or "flagged_input" in metadata
    return fields


def _from_flat(obj: dict[str, Any]) -> _Fields:
    fields = _Fields(type=_text(obj.get("type")), code=_text(obj.get("code")))
    fields.param = _text(obj.get("param"))
    message = obj.get("message")
    for candidate in (
        message.get("detail") if isinstance(message, dict) else message,
        obj.get("detail"),
    ):
        if isinstance(candidate, str) and candidate:
            fields.message = candidate
            break
        if isinstance(candidate, list) and candidate:
            fields.message, loc_param = _validation_detail(candidate)
            fields.param = fields.param or loc_param
            break
    return fields


def _validation_detail(items: list[Any]) -> tuple[str, str | None]:
    """FastAPI / pydantic ``detail`` items as one message, and the first item's param path."""
    lines: list[str] = []
    first: str | None = None
    for item in items:
        if not isinstance(item, dict):
            continue
        loc = _loc_path(item.get("loc"))
        first = first or loc
        msg = item.get("msg") or item.get("type") or "invalid"
        lines.append(f"{loc}: {msg}" if loc else str(msg))
    return "; ".join(lines), first


def _loc_path(loc: object) -> str | None:
    if not isinstance(loc, list):
        return None
    path = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


def _retry_info(details: object) -> float | None:
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                try:
                    return float(delay[:-1])
                except ValueError:
                    return None
    return None


# -- text and headers ---------------------------------------------------------------------


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _plain_text(body: bytes) -> str | None:
    text = body.decode(errors="replace").strip()
    if not text or text.startswith("<"):  # an HTML error page says nothing useful
        return None
    return text.splitlines()[0][:200]
