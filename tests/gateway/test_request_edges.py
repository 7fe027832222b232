"""Request bodies at the edges: chunked (no Content-Length), empty, and not a JSON object.

``read_json`` refuses a declared Content-Length over the limit before reading anything; a
chunked body declares none, so the limit must be enforced while the body streams in.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import httpx
import orjson
import pytest

from polyroute.server import BackgroundServer
from tests.gateway.conftest import BY_NAME, MASTER_KEY, MAX_REQUEST_BYTES, error_of, last_body

MISTRAL = BY_NAME["mistral"].chat
OPENAI_PATHS = ["/v1/chat/completions", "/v1/embeddings", "/v1/fim/completions"]


@pytest.fixture
def http(gateway: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=gateway.base_url,
        headers={"Authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"},
        timeout=10,
    ) as c:
        yield c


def _chunked(payload: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    """``payload`` as a generator: httpx sends it with ``Transfer-Encoding: chunked``."""
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


def _chat(content: str) -> bytes:
    return orjson.dumps({"model": MISTRAL, "messages": [{"role": "user", "content": content}]})


# -- chunked bodies -----------------------------------------------------------------------


def test_chunked_body_over_the_limit_is_413(http: httpx.Client, emulators) -> None:
    payload = _chat("x" * (MAX_REQUEST_BYTES + 10))
    assert len(payload) > MAX_REQUEST_BYTES
    request = http.build_request("POST", "/v1/chat/completions", content=_chunked(payload))
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"

    response = http.send(request)

    assert response.status_code == 413
    error = error_of(response)
    assert error == {
        "message": f"Request body is larger than the {MAX_REQUEST_BYTES}-byte limit.",
        "type": "invalid_request_error",
        "param": None,
        "code": "request_too_large",
    }
    assert emulators["mistral"].received("/chat/completions") == []


def test_chunked_body_just_over_the_limit_is_413(http: httpx.Client) -> None:
    """One byte over: the limit is exact, not rounded to a chunk boundary."""
    payload = b" " * (MAX_REQUEST_BYTES + 1)
    response = http.post("/v1/chat/completions", content=_chunked(payload, 1000))
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_chunked_body_under_the_limit_is_served(http: httpx.Client, emulators) -> None:
    content = "Say hello to a chunked body. " + "y" * (MAX_REQUEST_BYTES // 2)
    payload = _chat(content)
    assert len(payload) < MAX_REQUEST_BYTES
    request = http.build_request("POST", "/v1/chat/completions", content=_chunked(payload))
    assert "content-length" not in request.headers

    response = http.send(request)

    assert response.status_code == 200
    assert response.headers["x-polyroute-provider"] == "mistral"
    assert response.json()["choices"][0]["message"]["content"]
    assert last_body(emulators["mistral"])["messages"] == [{"role": "user", "content": content}]


def test_chunked_body_exactly_at_the_limit_is_not_refused_for_size(http: httpx.Client) -> None:
    # Pad a valid request with trailing JSON white space up to exactly the limit.
    payload = _chat("hello")
    payload += b" " * (MAX_REQUEST_BYTES - len(payload))
    assert len(payload) == MAX_REQUEST_BYTES
    response = http.post("/v1/chat/completions", content=_chunked(payload, 4096))
    assert response.status_code == 200
    assert response.json()["object"] == "chat.completion"


# -- empty and non-object bodies ----------------------------------------------------------


@pytest.mark.parametrize("path", OPENAI_PATHS)
def test_empty_body_is_400(http: httpx.Client, path: str) -> None:
    response = http.post(path, content=b"")
    assert response.status_code == 400
    assert error_of(response) == {
        "message": "The request body is empty; expected a JSON object.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_empty_chunked_body_is_400(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", content=_chunked(b""))
    assert response.status_code == 400
    assert error_of(response)["message"] == "The request body is empty; expected a JSON object."


@pytest.mark.parametrize("path", OPENAI_PATHS)
@pytest.mark.parametrize(
    "body", [b"[]", b'"x"', b"null", b"42", b"true", b'[{"model": "m"}]'], ids=repr
)
def test_non_object_json_body_is_400(http: httpx.Client, emulators, path: str, body: bytes) -> None:
    response = http.post(path, content=body)
    assert response.status_code == 400
    assert error_of(response) == {
        "message": "The request body must be a JSON object.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_body",
    }
    assert all(server.requests() == [] for server in emulators.values())


# -- compressed bodies --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_body_is_served(http: httpx.Client, emulators, encoding: str) -> None:
    payload = _chat("A compressed hello.")
    packed = gzip.compress(payload) if encoding == "gzip" else zlib.compress(payload)
    response = http.post(
        "/v1/chat/completions", content=packed, headers={"content-encoding": encoding}
    )
    assert response.status_code == 200, response.text
    sent = last_body(emulators["mistral"])
    assert sent["messages"] == [{"role": "user", "content": "A compressed hello."}]


def test_a_small_body_that_inflates_past_the_limit_is_413(http: httpx.Client, emulators) -> None:
    bomb = gzip.compress(b" " * (MAX_REQUEST_BYTES * 4))
    assert len(bomb) < MAX_REQUEST_BYTES // 100
    response = http.post("/v1/chat/completions", content=bomb, headers={"content-encoding": "gzip"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    assert emulators["mistral"].received("/chat/completions") == []


@pytest.mark.parametrize(
    ("body", "encoding", "status", "message"),
    [
        (b"\x1f\x8bnot gzip at all", "gzip", 400, "could not be decompressed"),
        (gzip.compress(_chat("cut"))[:-12], "gzip", 400, "truncated"),
        (b"{}", "br", 415, "'br' is not supported"),
    ],
    ids=["corrupt", "truncated", "unsupported"],
)
def test_a_body_that_cannot_be_decompressed_is_refused(
    http: httpx.Client, body: bytes, encoding: str, status: int, message: str
) -> None:
    response = http.post(
        "/v1/chat/completions", content=body, headers={"content-encoding": encoding}
    )
    assert response.status_code == status
    error = error_of(response)
    assert message in str(error["message"]) and error["type"] == "invalid_request_error"
