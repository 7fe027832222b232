"""An error whose body says nothing reads the same whatever the provider's protocol."""

from __future__ import annotations

import pytest

from polyroute.wire import anthropic, gemini, openai

DECODERS = [openai.decode_error, anthropic.decode_error, gemini.decode_error]


@pytest.mark.parametrize("decode", DECODERS, ids=["openai", "anthropic", "gemini"])
@pytest.mark.parametrize(
    ("status", "body", "text"),
    [
        (502, b"<html><body>Bad gateway</body></html>", "HTTP 502 Bad Gateway"),
        (503, b"", "HTTP 503 Service Unavailable"),
        (500, b'{"error": {}}', "HTTP 500 Internal Server Error"),
        (529, b"", "HTTP 529"),  # no standard reason phrase (Anthropic's "overloaded")
    ],
)
def test_a_status_without_a_message_is_named_with_its_reason(
    decode, status: int, body: bytes, text: str
) -> None:
    assert decode(status, body, "p", {}).message == f"p: {text}"
