"""Google API error bodies: ``{"error":{"code","message","status","details"?}}`` (google.rpc).

Bodies are pretty-printed with two-space indentation and ``application/json; charset=UTF-8``,
as Google sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

STATUS_NAMES = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
    404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED",
    500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}  # fmt: skip
DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
BAD_KEY = "API key not valid. Please pass a valid API key."
DEFAULT_RETRY_DELAY_S = 30


@dataclass(frozen=True, slots=True)
class GoogleError(Exception):
    code: int
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        inner: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": STATUS_NAMES.get(self.code, "UNKNOWN"),
        }
        if self.details:
            inner["details"] = self.details
        return {"error": inner}


def invalid(message: str, details: list[dict[str, Any]] | None = None) -> GoogleError:
    return GoogleError(400, message, details or [])


def bad_json(field_path: str, message: str) -> GoogleError:
    """A proto-JSON parse error, with its ``google.rpc.BadRequest`` field violation."""
    violation = {"field": field_path, "description": message}
    return invalid(message, [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                              "fieldViolations": [violation]}])  # fmt: skip


def api_key_invalid() -> GoogleError:
    return invalid(BAD_KEY, [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
         "domain": "googleapis.com",
         "metadata": {"service": "generativelanguage.googleapis.com"}},
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
         "message": BAD_KEY},
    ])  # fmt: skip


def model_not_found(model: str, method: str) -> GoogleError:
    return GoogleError(404, f"models/{model} is not found for API version v1beta, or is not "
                       f"supported for {method}. Call ListModels to see the list of available "
                       "models and their supported methods.")  # fmt: skip


def for_status(status: int, retry_after: float | None = None) -> GoogleError:
    details: list[dict[str, Any]] = []
    if status == 429:
        delay = DEFAULT_RETRY_DELAY_S if retry_after is None else retry_after
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{delay:g}s"})  # fmt: skip
    return GoogleError(status, DEFAULT_MESSAGES.get(status, "Unknown error."), details)


def dump(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2)


def response(err: GoogleError) -> web.Response:
    return web.Response(
        status=err.code, body=dump(err.body()), content_type="application/json", charset="UTF-8"
    )
