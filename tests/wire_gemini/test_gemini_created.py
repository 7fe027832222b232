"""Gemini answers carry no creation time; the OpenAI shape needs one, as a Unix time."""

from __future__ import annotations

import time

from polyroute.canonical import StreamStart
from polyroute.wire.gemini import GeminiStreamDecoder, decode_generate_response

BODY = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "index": 0}],
    "modelVersion": "gemini-2.5-flash",
    "responseId": "abc",
}


def test_a_whole_answer_is_stamped_when_it_arrives() -> None:
    before = int(time.time())
    created = decode_generate_response(BODY).created
    assert before <= created <= int(time.time())


def test_a_stream_is_stamped_when_it_starts() -> None:
    before = int(time.time())
    (start, *_) = GeminiStreamDecoder().decode(BODY)
    assert isinstance(start, StreamStart)
    assert before <= start.created <= int(time.time())
