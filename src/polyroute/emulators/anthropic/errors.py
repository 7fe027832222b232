"""Anthropic error bodies, statuses and response headers.

Body: ``{"type":"error","error":{"type","message"},"request_id":"req_..."}``; status table
from docs.claude.com/en/api/errors (see ``../shared/specs/README.md``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import orjson
from aiohttp import web

from polyroute.emulators.anthropic.synth import alnum

ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
DEFAULT_MESSAGES: dict[int, str] = {
    400: "Invalid request",
    401: "invalid x-api-key",
    402: "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
    "Billing to upgrade or purchase credits.",
    403: "Your API key does not have permission to use the specified resource.",
    404: "Not Found",
    413: "Request exceeds the maximum allowed number of bytes.",
    429: "This request would exceed the rate limit for your organization of 50 requests per "
    "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see "
    "the response headers for current usage. Please reduce the prompt length or the maximum "
    "tokens requested, or try again later. You may also contact sales at "
    "https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.",
    500: "Internal server error",
    504: "Request timed out",
    529: "Overloaded",
}
RATE_LIMITS = {"requests": 4000, "tokens": 2_000_000, "input-tokens": 1_600_000,
               "output-tokens": 400_000}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AnthropicError(Exception):
    status: int
    message: str

    @property
    def type(self) -> str:
        return ERROR_TYPES.get(
            self.status, "invalid_request_error" if self.status < 500 else "api_error"
        )


def invalid(message: str) -> AnthropicError:
    return AnthropicError(400, message)


def request_id() -> str:
    return "req_011C" + alnum(secrets.token_bytes(16), 20)


def error_body(err: AnthropicError, rid: str) -> dict[str, object]:
    return {"type": "error", "error": {"type": err.type, "message": err.message}, "request_id": rid}


def stream_error_event(status: int = 529) -> bytes:
    """The in-stream ``event: error`` Anthropic sends after HTTP 200 (no request_id)."""
    err = AnthropicError(status, DEFAULT_MESSAGES.get(status, "Internal server error"))
    data = {"type": "error", "error": {"type": err.type, "message": err.message}}
    return b"event: error\ndata: " + orjson.dumps(data) + b"\n\n"


def common_headers(rid: str) -> dict[str, str]:
    """``request-id`` plus ``anthropic-ratelimit-*`` (RFC 3339 resets, thousands-rounded)."""
    reset = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)).replace(microsecond=0)
    stamp = reset.isoformat().replace("+00:00", "Z")
    headers = {
        "request-id": rid,
        "anthropic-organization-id": "00000000-0000-4000-8000-emulator0000",
    }
    for kind, limit in RATE_LIMITS.items():
        remaining = limit - 1 if kind == "requests" else round((limit - 1000) / 1000) * 1000
        headers[f"anthropic-ratelimit-{kind}-limit"] = str(limit)
        headers[f"anthropic-ratelimit-{kind}-remaining"] = str(remaining)
        headers[f"anthropic-ratelimit-{kind}-reset"] = stamp
    return headers


def error_response(err: AnthropicError, rid: str | None = None) -> web.Response:
    rid = rid or request_id()
    response = web.Response(
        status=err.status, body=orjson.dumps(error_body(err, rid)), content_type="application/json"
    )
    response.headers.update(common_headers(rid))
    response.headers["x-should-retry"] = (
        "true" if err.status in (408, 409, 429) or err.status >= 500 else "false"
    )
    if err.status == 429:
        response.headers["retry-after"] = "1"
    return response


def for_status(status: int) -> web.Response:
    """The real error response for an injected HTTP status (fault ``status``)."""
    return error_response(AnthropicError(status, DEFAULT_MESSAGES.get(status, "Error")))
