"""Every failure reaches the client in OpenAI's envelope, with the right status."""

from __future__ import annotations

import httpx
import openai
import pytest

from polyroute.server import BackgroundServer
from tests.gateway.conftest import (
    BY_NAME,
    FIRST_BYTE_S,
    MASTER_KEY,
    MAX_REQUEST_BYTES,
    PROVIDER_KEYS,
    error_of,
)

HELLO = [{"role": "user", "content": "hello"}]
MISTRAL = BY_NAME["mistral"].chat
OPENAI = BY_NAME["openai"].chat


@pytest.fixture
def http(gateway: BackgroundServer):
    with httpx.Client(
        base_url=gateway.base_url, headers={"Authorization": f"Bearer {MASTER_KEY}"}
    ) as c:
        yield c


def test_malformed_json_is_400(http: httpx.Client) -> None:
    response = http.post(
        "/v1/chat/completions",
        content=b'{"model": "x", "messages": [',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["type"] == "invalid_request_error"


def test_invalid_field_is_400_with_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MISTRAL, messages=HELLO, temperature=7)
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == "temperature"


def test_missing_messages_is_400(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": MISTRAL})
    assert response.status_code == 400
    assert error_of(response)["param"] == "messages"


@pytest.mark.parametrize("model", ["no-such-route", "nosuchprovider/some-model"])
def test_unknown_model_is_404_model_not_found(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model=model, messages=HELLO)
    assert caught.value.code == "model_not_found"
    assert caught.value.body["param"] == "model"


def test_unknown_model_at_the_provider_keeps_its_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="openai/gpt-nonexistent", messages=HELLO)
    assert caught.value.code == "model_not_found"
    assert "gpt-nonexistent" in caught.value.message


def test_missing_and_wrong_keys_are_401(gateway: BackgroundServer) -> None:
    for headers in ({}, {"Authorization": "Bearer sk-wrong"}, {"x-api-key": "sk-wrong"}):
        response = httpx.post(
            f"{gateway.base_url}/v1/chat/completions",
            json={"model": MISTRAL, "messages": HELLO},
            headers=headers,
        )
        assert response.status_code == 401
        assert error_of(response)["type"] == "authentication_error"


def test_x_api_key_header_is_accepted(gateway: BackgroundServer) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        json={"model": MISTRAL, "messages": HELLO},
        headers={"x-api-key": MASTER_KEY},
    )
    assert response.status_code == 200


def test_body_over_the_limit_is_413(http: httpx.Client) -> None:
    big = "x" * (MAX_REQUEST_BYTES + 10)
    response = http.post(
        "/v1/chat/completions",
        json={"model": MISTRAL, "messages": [{"role": "user", "content": big}]},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_unknown_path_is_404_in_theerror_of(http: httpx.Client) -> None:
    response = http.post("/v1/nothing-here", json={})
    assert response.status_code == 404
    error_of(response)


@pytest.mark.parametrize("provider", ["openai", "mistral", "groq", "openrouter", "cerebras", "xai"])
def test_upstream_rate_limit_is_passed_through(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    # A long Retry-After is not waited for: with no other target, the 429 reaches the client.
    emulators[provider].inject(status=429, retry_after=30)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=BY_NAME[provider].chat, messages=HELLO)
    assert caught.value.status_code == 429
    assert caught.value.body["message"].startswith(f"{provider}:")
    assert caught.value.response.headers["retry-after"] == "30"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_upstream_server_errors_keep_their_status(
    client: openai.OpenAI, emulators, status: int
) -> None:
    emulators["openai"].inject(status=status, count=2)  # the first try and its one retry
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=OPENAI, messages=HELLO)
    assert caught.value.status_code == status


def test_upstream_unreachable_is_502(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="down/any-model", messages=HELLO)
    assert caught.value.status_code == 502
    assert caught.value.body["type"] == "api_connection_error"


def test_upstream_reset_before_headers_is_502(client: openai.OpenAI, emulators) -> None:
    emulators["openai"].inject(reset=True, count=2)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=OPENAI, messages=HELLO)
    assert caught.value.status_code == 502


def test_upstream_timeout_is_504(client: openai.OpenAI, emulators) -> None:
    emulators["openai"].inject(latency_ms=int((FIRST_BYTE_S + 1) * 1000))
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=OPENAI, messages=HELLO)
    assert caught.value.status_code == 504
    assert caught.value.body["type"] == "timeout_error"


def test_provider_rejecting_the_operator_key_is_502_not_401(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="badkey/gpt-4o-mini", messages=HELLO)
    assert caught.value.status_code == 502
    assert "sk-wrong" not in str(caught.value.body)


def test_context_length_error_is_passed_through(client: openai.OpenAI, emulators) -> None:
    emulators["openai"].inject(context_length=True)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=OPENAI, messages=HELLO)
    assert caught.value.code == "context_length_exceeded"


def test_mistral_validation_error_is_passed_through(client: openai.OpenAI, emulators) -> None:
    emulators["mistral"].inject(status=422)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MISTRAL, messages=HELLO)
    assert caught.value.status_code == 422


def test_fallback_route_skips_an_unreachable_target(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="fallback", messages=HELLO)
    # A refused connection is retried once (it may be a restart), then the route moves on.
    assert raw.headers["x-polyroute-attempts"] == "3"
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.parse().choices[0].message.content


def test_no_provider_key_in_any_error(client: openai.OpenAI, emulators) -> None:
    emulators["openai"].inject(status=401)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=OPENAI, messages=HELLO)
    assert PROVIDER_KEYS["openai"] not in str(caught.value.body)
    assert caught.value.status_code == 502
