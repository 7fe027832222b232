"""Responses, streams and errors: round trips, exact event sequence, the SDK's own types."""

from __future__ import annotations

from typing import Any

import anthropic
import orjson
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic_examples import sse_events
from anthropic_strategies import anthropic_response, call, reasoning, text
from hypothesis import given, settings
from hypothesis import strategies as st

from polyroute.canonical import (
    ChatResponse,
    DeltaFields,
    Finish,
    ReasoningDelta,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
    UsageReport,
)
from polyroute.errors import (
    InvalidRequest,
    ModelNotFound,
    PayloadTooLarge,
    PolyrouteError,
    Unauthorized,
    UpstreamError,
    UpstreamKind,
)
from polyroute.wire.anthropic import (
    AnthropicStreamDecoder,
    AnthropicStreamEncoder,
    decode_error,
    decode_messages_response,
    encode_error,
    encode_messages_response,
)
from polyroute.wire.openai import decode_chat_response

# -- responses --------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(anthropic_response())
def test_response_round_trip_and_sdk_parses(resp: ChatResponse) -> None:
    body = encode_messages_response(resp)
    anthropic.types.Message.model_validate(body)
    again = decode_messages_response(orjson.loads(orjson.dumps(body)))
    again.created = resp.created
    assert again == resp


def test_response_json_tool_becomes_text() -> None:
    body = {
        "id": "msg_1",
        "model": "m",
        "content": [{"type": "tool_use", "id": "t", "name": "json_response", "input": {"a": 1}}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 1, "output_tokens": 2},
    }
    resp = decode_messages_response(body, json_tool="json_response")
    choice = resp.choices[0]
    assert choice.message.text() == '{"a":1}' and not choice.message.tool_calls
    assert choice.finish_reason == "stop"


# -- streams ----------------------------------------------------------------------------


def _sse(frames: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    return sse_events(frames.decode())


def _encode(events: list[StreamEvent]) -> bytes:
    encoder = AnthropicStreamEncoder()
    out = b"".join(encoder.encode(e) for e in events)
    return out + encoder.finish()


def test_encoder_event_sequence_and_indexes() -> None:
    frames = _encode(
        [
            StreamStart("chatcmpl-1", "mistral-small", 0),
            TextDelta("Hi"),
            ToolCallStart(0, "call_a", "f"),
            ToolCallDelta(0, '{"x":'),
            ToolCallDelta(0, "1}"),
            ToolCallStart(1, "call:b", "g"),
            ToolCallDelta(1, "{}"),
            TextDelta("ignored", choice=1),
            Finish("tool_calls"),
            UsageReport(Usage(input_tokens=10, output_tokens=5, cached_input_tokens=4)),
        ]
    )
    events = _sse(frames)
    names = [name for name, _ in events]
    assert names == [
        "message_start", "content_block_start", "ping", "content_block_delta",
        "content_block_stop", "content_block_start", "content_block_delta",
        "content_block_delta", "content_block_stop", "content_block_start",
        "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]  # fmt: skip
    assert all(name == data["type"] for name, data in events)
    indexes = [d["index"] for n, d in events if n and n.startswith("content_block")]
    assert indexes == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
    start = events[0][1]["message"]
    assert start["id"] == "msg_chatcmpl-1" and start["usage"]["input_tokens"] == 0
    delta = events[-2][1]
    assert delta["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert delta["usage"] == {
        "input_tokens": 6,
        "output_tokens": 5,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4,
    }
    # The SDK's own accumulation reads it into a Message.
    snapshot = None
    bufs: dict[int, bytes] = {}
    for _, data in events:
        if data["type"] != "ping":
            snapshot = accumulate_event(event=data, current_snapshot=snapshot, json_bufs=bufs)
    assert snapshot is not None
    assert [b.type for b in snapshot.content] == ["text", "tool_use", "tool_use"]
    assert snapshot.content[1].input == {"x": 1}
    assert snapshot.usage.output_tokens == 5


def test_encoder_uses_early_usage_in_message_start() -> None:
    frames = _encode([StreamStart("msg_1", "m", 0), UsageReport(Usage(input_tokens=9))])
    start = _sse(frames)[0][1]["message"]
    assert start["usage"]["input_tokens"] == 9


def test_encoder_failure_is_an_error_event() -> None:
    encoder = AnthropicStreamEncoder()
    err = UpstreamError(UpstreamKind.OVERLOADED, "busy", "anthropic", 529)
    frames = encoder.encode(StreamStart("msg_1", "m", 0)) + encoder.encode(TextDelta("a"))
    frames += encoder.encode(StreamFailure(err))
    assert encoder.finish() == b""
    name, data = _sse(frames)[-1]
    assert name == "error"
    assert data == {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}


def test_decoder_error_event_is_overloaded() -> None:
    decoder = AnthropicStreamDecoder()
    (failure,) = decoder.decode(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    )
    assert isinstance(failure, StreamFailure)
    assert failure.error.kind is UpstreamKind.OVERLOADED and failure.error.status == 529


def test_decoder_error_event_message_is_redacted_and_capped() -> None:
    # An in-stream error is shown to the client and logged just as an HTTP error body is.
    message = "upstream rejected sk-ant-api03-abcdefghijklmnop: " + "y" * 5000
    decoder = AnthropicStreamDecoder("bedrock")
    (failure,) = decoder.decode(
        {"type": "error", "error": {"type": "api_error", "message": message}}
    )
    assert isinstance(failure, StreamFailure)
    assert failure.error.message.startswith("bedrock: upstream rejected [redacted]: yyy")
    assert "sk-ant" not in failure.error.message
    assert len(failure.error.message) < 1100 and failure.error.message.endswith("…")


@st.composite
def _canonical_stream(draw: st.DrawFn) -> list[StreamEvent]:
    events: list[StreamEvent] = [StreamStart("msg_" + draw(st.text("abc", max_size=5)), "m", 0)]
    parts = draw(st.lists(reasoning, max_size=2))
    events.extend(ReasoningDelta(p.text, signature=p.signature) for p in parts)
    events.extend(TextDelta(t) for t in draw(st.lists(text, max_size=3)))
    for i, c in enumerate(draw(st.lists(call, max_size=3, unique_by=lambda c: c.id))):
        events.append(ToolCallStart(i, c.id, c.name))
        cut = draw(st.integers(0, len(c.arguments)))
        events += [ToolCallDelta(i, c.arguments[:cut]), ToolCallDelta(i, c.arguments[cut:])]
    events.append(Finish(draw(st.sampled_from(["stop", "length", "tool_calls"]))))
    cached = draw(st.integers(0, 50))
    events.append(UsageReport(Usage(cached + 7, draw(st.integers(0, 99)), cached)))
    return events


def _fold(events: list[StreamEvent]) -> dict[str, Any]:
    """The meaning of a canonical stream: what an assembled answer would hold."""
    calls: dict[int, list[str]] = {}
    out: dict[str, Any] = {"text": "", "thinking": "", "signatures": [], "calls": calls}
    for e in events:
        if isinstance(e, TextDelta):
            out["text"] += e.text
        elif isinstance(e, ReasoningDelta):
            out["thinking"] += e.text
            out["signatures"] += [e.signature] if e.signature else []
        elif isinstance(e, ToolCallStart):
            calls[e.index] = [e.id, e.name, ""]
        elif isinstance(e, ToolCallDelta):
            calls[e.index][2] += e.arguments
        elif isinstance(e, Finish):
            out["finish"] = e.reason
        elif isinstance(e, UsageReport):
            out["usage"] = e.usage
        elif isinstance(e, StreamStart):
            out["id"] = e.id
    return out


@settings(max_examples=100, deadline=None)
@given(_canonical_stream())
def test_stream_round_trip(events: list[StreamEvent]) -> None:
    decoder = AnthropicStreamDecoder()
    decoded: list[StreamEvent] = []
    for name, data in _sse(_encode(events)):
        assert name == data["type"]
        decoded.extend(decoder.decode(data))
    assert decoder.finished and decoder.stopped
    assert _fold(decoded) == _fold(events)


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("err", "status", "kind"),
    [
        (InvalidRequest("bad"), 400, "invalid_request_error"),
        (Unauthorized("who"), 401, "authentication_error"),
        (ModelNotFound("nope"), 404, "not_found_error"),
        (PayloadTooLarge("big"), 413, "request_too_large"),
        (PolyrouteError("oops"), 500, "api_error"),
        (UpstreamError(UpstreamKind.OVERLOADED, "o", "a", 529), 529, "overloaded_error"),
        (UpstreamError(UpstreamKind.RATE_LIMITED, "r", "a", 429), 429, "rate_limit_error"),
        (UpstreamError(UpstreamKind.UNREACHABLE, "u", "a", 502), 502, "api_error"),
        (UpstreamError(UpstreamKind.TIMEOUT, "t", "a", 504), 504, "timeout_error"),
    ],
)
def test_encode_error(err: PolyrouteError, status: int, kind: str) -> None:
    body = encode_error(err, "req_1")
    assert err.status == status
    assert body == {"type": "error", "error": {"type": kind, "message": err.message},
                    "request_id": "req_1"}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "body", "kind", "shown"),
    [
        (529, {"type": "overloaded_error", "message": "Overloaded"}, UpstreamKind.OVERLOADED, 529),
        (429, {"type": "rate_limit_error", "message": "slow"}, UpstreamKind.RATE_LIMITED, 429),
        (401, {"type": "authentication_error", "message": "k"}, UpstreamKind.AUTHENTICATION, 502),
        (400, {"type": "invalid_request_error", "message": "x"}, UpstreamKind.INVALID_REQUEST, 400),
        (500, {"type": "api_error", "message": "x"}, UpstreamKind.SERVER, 500),
        (503, None, UpstreamKind.OVERLOADED, 503),
    ],
)
def test_decode_error(status: int, body: Any, kind: UpstreamKind, shown: int) -> None:
    raw = orjson.dumps({"type": "error", "error": body}) if body else b"<html>"
    err = decode_error(status, raw, "anthropic", {"retry-after": "7"})
    assert (err.kind, err.status, err.retry_after) == (kind, shown, 7.0)


def test_decode_error_message_is_redacted_and_capped() -> None:
    message = "invalid x-api-key sk-ant-api03-abcdefghijklmnop " + "z" * 5000
    raw = orjson.dumps(
        {"type": "error", "error": {"type": "authentication_error", "message": message}}
    )
    err = decode_error(401, raw, "anthropic", {})
    assert err.message.startswith("anthropic: invalid x-api-key [redacted] zzz")
    assert "sk-ant" not in err.message
    assert len(err.message) < 1100 and err.message.endswith("…")


def test_a_key_in_an_error_type_is_redacted() -> None:
    body = b'{"type":"error","error":{"type":"sk-ant-api03-abcdefghijklmnop","message":"no"}}'
    assert decode_error(400, body, "a", {}).provider_type == "[redacted]"


def test_an_openai_dialect_answer_s_own_fields_stay_out_of_anthropic_s() -> None:
    """``openai_fields`` are for OpenAI-dialect clients: an Anthropic client served by an
    OpenAI-compatible provider gets Anthropic's shape and nothing of the provider's."""
    answer = decode_chat_response(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "service_tier": "default",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "native_finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hi", "annotations": []},
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
    )
    assert answer.openai_fields == {"service_tier": "default"}
    body = encode_messages_response(answer)
    assert "service_tier" not in body and "native_finish_reason" not in body
    assert body["content"] == [{"type": "text", "text": "Hi"}]
    assert anthropic.types.Message.model_validate(body).content[0].type == "text"


def test_an_openai_dialect_stream_s_own_fields_stay_out_of_anthropic_s() -> None:
    with_fields = _encode(
        [
            StreamStart("chatcmpl-1", "gpt-4o-mini", 0, openai_fields={"service_tier": "default"}),
            TextDelta("Hi"),
            DeltaFields({"annotations": [{"type": "url_citation"}]}),
            Finish("stop"),
        ]
    )
    without = _encode(
        [StreamStart("chatcmpl-1", "gpt-4o-mini", 0), TextDelta("Hi"), Finish("stop")]
    )
    assert with_fields == without
