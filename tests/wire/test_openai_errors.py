"""Upstream error bodies of the whole family, classified by status and structured code."""

# Tables of wire bodies read best one case per line.
# ruff: noqa: E501

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import orjson
import pytest

from polyroute.errors import InvalidRequest, ModelNotFound, UpstreamError, UpstreamKind
from polyroute.wire.openai import decode_error, decode_stream_error, encode_error, retry_after

K = UpstreamKind


def _openai(code: str | None, type_: str = "invalid_request_error", message: str = "m") -> bytes:
    return orjson.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}})


@pytest.mark.parametrize(
    ("status", "body", "kind", "client_status", "code"),
    [
        (400, _openai("context_length_exceeded"), K.CONTEXT_LENGTH, 400, "context_length_exceeded"),
        (400, _openai("content_filter"), K.CONTENT_FILTER, 400, "content_filter"),
        (400, _openai("invalid_prompt"), K.CONTENT_FILTER, 400, "invalid_prompt"),
        (400, _openai(None), K.INVALID_REQUEST, 400, None),
        (401, _openai("invalid_api_key", "invalid_request_error"), K.AUTHENTICATION, 502, "invalid_api_key"),
        (403, _openai("unsupported_country_region_territory"), K.PERMISSION, 502, "unsupported_country_region_territory"),
        (404, _openai("model_not_found"), K.NOT_FOUND, 404, "model_not_found"),
        (408, b"", K.TIMEOUT, 408, None),
        (429, _openai("rate_limit_exceeded", "tokens"), K.RATE_LIMITED, 429, "rate_limit_exceeded"),
        (500, _openai(None, "server_error"), K.SERVER, 500, None),
        (502, b"<html><body>Bad gateway</body></html>", K.SERVER, 502, None),
        (503, _openai(None, "server_error"), K.OVERLOADED, 503, None),
        (504, b"upstream request timeout", K.TIMEOUT, 504, None),
        (529, b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', K.OVERLOADED, 529, None),
        # Mistral variants
        (400, b'{"object":"error","message":"Tool call id was abc123 but must be ...","type":"invalid_request_error","param":null,"code":null}', K.INVALID_REQUEST, 400, None),
        (422, b'{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options"],"msg":"Extra inputs are not permitted"}]},"type":"invalid_request_error","param":null,"code":null}', K.INVALID_REQUEST, 422, None),
        (422, b'{"detail":[{"type":"missing","loc":["body","messages",0,"content"],"msg":"Field required"}]}', K.INVALID_REQUEST, 422, None),
        (400, b'{"object":"error","message":"bad","type":"invalid_request_message_order","param":null,"code":3001}', K.INVALID_REQUEST, 400, "3001"),
        (429, b'{"message":"Requests rate limit exceeded"}', K.RATE_LIMITED, 429, None),
        (401, b'{"detail":"Unauthorized"}', K.AUTHENTICATION, 502, None),
        (403, b'{"object":"error","message":"This model is not available in your subscription tier","type":"tier_not_allowed","param":null,"code":"1910","raw_status_code":403}', K.PERMISSION, 502, "1910"),
        # OpenRouter
        (402, b'{"error":{"code":402,"message":"Insufficient credits"}}', K.AUTHENTICATION, 502, "402"),
        (403, b'{"error":{"code":403,"message":"Input flagged","metadata":{"reasons":["violence"],"flagged_input":"x","provider_name":"OpenAI"}}}', K.CONTENT_FILTER, 400, "403"),
        # Google / Gemini
        (429, b'{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}', K.RATE_LIMITED, 429, "RESOURCE_EXHAUSTED"),
        (503, b'{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}', K.OVERLOADED, 503, "UNAVAILABLE"),
        # Ollama / vLLM
        (404, b'{"error":"model \\"llama9\\" not found"}', K.NOT_FOUND, 404, None),
        (400, b'{"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}', K.INVALID_REQUEST, 400, "400"),
    ],
)  # fmt: skip
def test_classification(
    status: int, body: bytes, kind: UpstreamKind, client_status: int, code: str | None
) -> None:
    err = decode_error(status, body, "prov", {})
    assert (err.kind, err.status, err.code) == (kind, client_status, code)
    assert err.message.startswith("prov: ") and "<html" not in err.message
    assert err.provider == "prov"


def test_messages_and_params() -> None:
    err = decode_error(
        422,
        b'{"detail":[{"type":"missing","loc":["body","messages",0,"content"],"msg":"Field required"}]}',
        "mistral",
        {},
    )
    assert err.message == "mistral: messages[0].content: Field required"
    assert err.param == "messages[0].content"
    err = decode_error(401, b'{"detail":"Unauthorized"}', "mistral", {})
    assert err.message == "mistral: Unauthorized" and err.type == "upstream_authentication_error"
    assert decode_error(502, b"<html>x</html>", "p", {}).message == "p: HTTP 502 Bad Gateway"
    groq = decode_error(429, _openai("rate_limit_exceeded", "tokens"), "groq", {})
    assert groq.provider_type == "tokens" and groq.type == "tokens"


def test_secrets_never_reach_the_message() -> None:
    body = _openai(
        "invalid_api_key", message="Incorrect API key provided: sk-proj-abc123456789XYZ. See docs."
    )
    err = decode_error(401, body, "openai", {})
    assert "sk-proj" not in err.message and "[redacted]" in err.message
    err = decode_error(400, b'{"error":"bad header Bearer gsk_abcdefghijkl"}', "groq", {})
    assert "gsk_" not in err.message


def test_secrets_never_reach_a_stream_errors_code_or_param() -> None:
    # An in-stream error object is decoded as carefully as an HTTP error body.
    error = {
        "code": "key sk-proj-abc123456789XYZ revoked",
        "param": "xai-abcdefghijkl",
        "message": "Incorrect API key sk-proj-abc123456789XYZ " + "w" * 5000,
    }
    err = decode_stream_error(error, "openrouter")
    assert err.code == "key [redacted] revoked" and err.param == "[redacted]"
    assert err.message.startswith("openrouter: Incorrect API key [redacted] www")
    assert len(err.message) < 1100 and err.message.endswith("…")


def test_operator_kinds_type_is_the_gateways_own() -> None:
    # With no type from the provider, ``type`` is what the OpenAI envelope shows the client.
    for kind in (K.AUTHENTICATION, K.PERMISSION):
        err = UpstreamError(kind, "p: refused", "p", status=502)
        assert err.type == encode_error(err)["error"]["type"]


def test_retry_after_variants() -> None:
    assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after({"Retry-After": "12"}) == 12.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    value = retry_after({"retry-after": later})
    assert value is not None and 25 < value <= 30
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None
    google = b'{"error":{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s"}]}}'
    assert decode_error(429, google, "gemini", {}).retry_after == 17.0


def test_encode_error_has_all_four_keys() -> None:
    assert encode_error(InvalidRequest("bad", param="messages[2].content")) == {
        "error": {
            "message": "bad",
            "type": "invalid_request_error",
            "param": "messages[2].content",
            "code": None,
        }
    }
    assert encode_error(ModelNotFound("no such model"))["error"]["code"] == "model_not_found"
    upstream = UpstreamError(K.SERVER, "openai: boom", "openai", status=500)
    assert encode_error(upstream) == {
        "error": {"message": "openai: boom", "type": "api_error", "param": None, "code": None}
    }


def test_a_key_in_the_providers_error_type_is_redacted() -> None:
    body = b'{"error":{"message":"no","type":"bad key sk-proj-abcdefghijklmnop1234","code":null}}'
    error = decode_error(400, body, "openai", {})
    assert error.provider_type == "bad key [redacted]"
    in_stream = decode_stream_error({"message": "no", "type": "sk-proj-abcdefghijklmnop1234"}, "p")
    assert in_stream.provider_type == "[redacted]"
