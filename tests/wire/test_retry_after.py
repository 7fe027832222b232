"""A provider's Retry-After, read alike by every protocol's error decoder."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate

import pytest

from polyroute.errors import UpstreamError
from polyroute.wire import anthropic, gemini, openai

ANTHROPIC_429 = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
GEMINI_429 = b'{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}'
OPENAI_429 = b'{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}'

Decoder = Callable[[int, bytes, str, dict[str, str]], UpstreamError]
DECODERS: list[tuple[str, Decoder, bytes]] = [
    ("openai", openai.decode_error, OPENAI_429),
    ("anthropic", anthropic.decode_error, ANTHROPIC_429),
    ("gemini", gemini.decode_error, GEMINI_429),
]


@pytest.mark.parametrize(("name", "decode", "body"), DECODERS, ids=[d[0] for d in DECODERS])
@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"Retry-After": "0"}, 0.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "inf"}, None),  # no hint at all (it crashed the error renderer)
        ({"retry-after": "nan"}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
    ids=["seconds", "zero", "negative", "ms-first", "inf", "nan", "garbage", "none"],
)
def test_every_protocol_reads_retry_after_alike(
    name: str, decode: Decoder, body: bytes, headers: dict[str, str], wait: float | None
) -> None:
    assert decode(429, body, name, headers).retry_after == wait


@pytest.mark.parametrize(("name", "decode", "body"), DECODERS, ids=[d[0] for d in DECODERS])
def test_an_http_date_is_the_time_left_until_it(name: str, decode: Decoder, body: bytes) -> None:
    headers = {"retry-after": formatdate(time.time() + 30, usegmt=True)}
    wait = decode(429, body, name, headers).retry_after
    assert wait is not None and 28 <= wait <= 30
