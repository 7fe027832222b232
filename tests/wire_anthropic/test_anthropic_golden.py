"""The recorded Anthropic examples decode to the canonical events and figures they mean."""

from __future__ import annotations

from typing import Any

import orjson
from anthropic_examples import example, interactions, sse_events

from polyroute.canonical import (
    Finish,
    ReasoningDelta,
    StreamEvent,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
    UsageReport,
)
from polyroute.errors import UpstreamKind
from polyroute.wire.anthropic import (
    AnthropicStreamDecoder,
    decode_error,
    decode_messages_response,
    encode_messages_response,
)


def _decode(text: str) -> tuple[list[StreamEvent], AnthropicStreamDecoder]:
    decoder = AnthropicStreamDecoder()
    events: list[StreamEvent] = []
    for _, data in sse_events(text):
        events.extend(decoder.decode(data))
    return events, decoder


def _of(events: list[StreamEvent], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def test_basic_stream() -> None:
    events, decoder = _decode(example("messages-stream-basic.sse").read_text())
    start = events[0]
    assert isinstance(start, StreamStart)
    assert start.id == "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK"
    assert start.model == "claude-3-opus-latest"
    assert "".join(e.text for e in _of(events, TextDelta)) == "Hello there!"
    assert _of(events, Finish) == [Finish("stop")]
    assert _of(events, UsageReport)[-1].usage == Usage(input_tokens=11, output_tokens=6)
    assert decoder.finished and decoder.stopped


def test_tool_use_stream() -> None:
    events, _ = _decode(example("messages-stream-tool-use.sse").read_text())
    text = "".join(e.text for e in _of(events, TextDelta))
    assert text == "I'll check the current weather in Paris for you."
    assert _of(events, ToolCallStart) == [
        ToolCallStart(0, "toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather")
    ]
    args = "".join(e.arguments for e in _of(events, ToolCallDelta))
    assert args == '{"location": "Paris"}'
    assert all(e.index == 0 for e in _of(events, ToolCallDelta))
    assert _of(events, Finish) == [Finish("tool_calls")]
    assert _of(events, UsageReport)[-1].usage == Usage(input_tokens=377, output_tokens=65)


def test_thinking_stream() -> None:
    (interaction,) = interactions("messages-stream-thinking.cassette.yaml")
    events, _ = _decode(interaction["response"]["body"]["string"])
    reasoning = _of(events, ReasoningDelta)
    thought = "".join(e.text for e in reasoning)
    assert thought.startswith("This is a straightforward question about pedestrian safety.")
    signatures = [e.signature for e in reasoning if e.signature]
    assert len(signatures) == 1 and signatures[0].startswith("EvMCCkYICxgCKkCHP2cS")
    assert "".join(e.text for e in _of(events, TextDelta)).startswith("Here are the basic steps")
    # message_start says 43 in / 1 out; message_delta repeats the input and says 282 out.
    assert _of(events, UsageReport)[0].usage == Usage(input_tokens=43, output_tokens=1)
    assert _of(events, UsageReport)[-1].usage == Usage(input_tokens=43, output_tokens=282)
    assert _of(events, Finish) == [Finish("stop")]


def test_prompt_cache_usage_arithmetic() -> None:
    first, second = interactions("messages-prompt-cache-usage.cassette.yaml")
    cached = decode_messages_response(first["response"]["parsed_body"])
    # input_tokens 3 uncached + 1111 read from cache + 0 written.
    assert cached.usage == Usage(
        input_tokens=1114, output_tokens=406, cached_input_tokens=1111, cache_write_tokens=0
    )
    body = second["response"]["parsed_body"]
    response = decode_messages_response(body)
    # input_tokens 3 uncached + 1111 read + 418 written.
    assert response.usage == Usage(
        input_tokens=1532, output_tokens=33, cached_input_tokens=1111, cache_write_tokens=418
    )
    assert response.choices[0].finish_reason == "stop"
    assert response.choices[0].message.text().startswith("Python is a beginner-friendly")
    # Encoding gives back Anthropic's own figures.
    usage = encode_messages_response(response)["usage"]
    assert usage == {
        "input_tokens": 3,
        "output_tokens": 33,
        "cache_creation_input_tokens": 418,
        "cache_read_input_tokens": 1111,
    }


def test_count_tokens_404_error() -> None:
    (interaction,) = interactions("count-tokens-404-error.cassette.yaml")
    raw = orjson.dumps(interaction["response"]["parsed_body"])
    err = decode_error(404, raw, "anthropic", {})
    assert err.kind is UpstreamKind.NOT_FOUND
    assert err.status == 404
    assert err.provider_type == "not_found_error"
    assert err.message == "anthropic: model: claude-does-not-exist"
    assert err.failover
