"""``decode_error``: Google status bodies to ``UpstreamError`` kinds."""

from __future__ import annotations

from http import HTTPStatus

import orjson
import pytest

from polyroute.errors import UpstreamKind
from polyroute.wire.gemini import decode_error
from polyroute.wire.gemini.errors import parse_duration


def _body(code: int, status: str, message: str = "m", details: list | None = None) -> bytes:
    error: dict = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return orjson.dumps({"error": error})


@pytest.mark.parametrize(
    ("code", "status", "kind", "shown"),
    [
        (400, "INVALID_ARGUMENT", UpstreamKind.INVALID_REQUEST, 400),
        (400, "FAILED_PRECONDITION", UpstreamKind.INVALID_REQUEST, 400),
        (401, "UNAUTHENTICATED", UpstreamKind.AUTHENTICATION, 502),
        (403, "PERMISSION_DENIED", UpstreamKind.PERMISSION, 502),
        (404, "NOT_FOUND", UpstreamKind.NOT_FOUND, 404),
        (429, "RESOURCE_EXHAUSTED", UpstreamKind.RATE_LIMITED, 429),
        (500, "INTERNAL", UpstreamKind.SERVER, 500),
        (503, "UNAVAILABLE", UpstreamKind.OVERLOADED, 503),
        (504, "DEADLINE_EXCEEDED", UpstreamKind.TIMEOUT, 504),
    ],
)
def test_status_table(code: int, status: str, kind: UpstreamKind, shown: int) -> None:
    error = decode_error(code, _body(code, status, "why"), "gemini", {})
    assert (error.kind, error.status, error.code, error.message) == (
        kind,
        shown,
        status,
        "gemini: why",
    )


def test_invalid_api_key_is_authentication() -> None:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }
    ]
    error = decode_error(
        400, _body(400, "INVALID_ARGUMENT", "API key not valid.", details), "g", {}
    )
    assert (error.kind, error.status, error.code) == (
        UpstreamKind.AUTHENTICATION,
        502,
        "API_KEY_INVALID",
    )
    assert error.failover


def test_message_is_prefixed_redacted_and_capped() -> None:
    # Google echoes the key it was sent in some 400s; any key, not only the configured one,
    # must stay out of the client's envelope and the logs, as the other decoders ensure.
    message = "API key not valid: AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv. " + "x" * 5000
    error = decode_error(400, _body(400, "INVALID_ARGUMENT", message), "vertex", {})
    assert error.message.startswith("vertex: API key not valid: [redacted]. xxx")
    assert "AIza" not in error.message
    assert len(error.message) < 1100 and error.message.endswith("…")


@pytest.mark.parametrize(("delay", "seconds"), [("30s", 30.0), ("1.5s", 1.5), ("0s", 0.0)])
def test_retry_info(delay: str, seconds: float) -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]
    error = decode_error(429, _body(429, "RESOURCE_EXHAUSTED", details=details), "g", {})
    assert error.retry_after == seconds


def test_retry_after_header_fallback() -> None:
    error = decode_error(429, _body(429, "RESOURCE_EXHAUSTED"), "g", {"Retry-After": "7"})
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (502, UpstreamKind.SERVER),
        (418, UpstreamKind.INVALID_REQUEST),
        (503, UpstreamKind.OVERLOADED),
    ],
)
def test_non_json_body(status: int, kind: UpstreamKind) -> None:
    error = decode_error(status, b"<html>bad gateway</html>", "gemini", {})
    text = f"gemini: HTTP {status} {HTTPStatus(status).phrase}"
    assert (error.kind, error.status, error.message) == (kind, status, text)


@pytest.mark.parametrize("value", ["30", "abc s", "-1s", "infs", "nans", None, 5])
def test_bad_durations(value: object) -> None:
    assert parse_duration(value) is None
