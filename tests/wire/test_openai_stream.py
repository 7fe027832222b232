"""Chunk encoding in OpenAI's exact format (checked with the ``openai`` SDK's own types),
response encoding, and the decoder's tolerance of provider stream variants."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from polyroute.canonical import (
    ChatResponse,
    Choice,
    DeltaFields,
    Embedding,
    EmbeddingResponse,
    Finish,
    Message,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    Usage,
    UsageReport,
)
from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.wire.openai import (
    ChunkDecoder,
    ChunkEncoder,
    encode_chat_response,
    encode_embedding_response,
)

START = StreamStart(id="chatcmpl-1", model="m-1", created=1700000000, system_fingerprint="fp_1")
EVENTS: list[StreamEvent] = [
    START,
    ReasoningDelta("hmm"),
    TextDelta("Hel", logprobs={"content": [], "refusal": None}),
    TextDelta("lo"),
    ToolCallStart(0, "call_a", "f"),
    ToolCallDelta(0, '{"x":'),
    ToolCallDelta(0, "1}"),
    ToolCallStart(1, "call_b", "g"),
    ToolCallDelta(1, "{}"),
    Finish("tool_calls"),
    UsageReport(Usage(10, 5, cached_input_tokens=2, reasoning_tokens=1)),
]


def _frames(data: bytes) -> list[str]:
    assert not data or data.endswith(b"\n\n")
    return [f for f in data.decode().split("\n\n") if f]


def _encode(events: list[StreamEvent], include_usage: bool) -> list[dict[str, Any]]:
    encoder = ChunkEncoder(include_usage)
    frames = [f for e in events for f in _frames(encoder.encode(e))] if events else []
    tail = _frames(encoder.done())
    assert tail[-1] == "data: [DONE]"
    frames += tail[:-1]
    assert all(f.startswith("data: {") for f in frames)
    return [orjson.loads(f[6:]) for f in frames]


@pytest.mark.parametrize("include_usage", [True, False])
def test_chunks_parse_with_the_openai_sdk(include_usage: bool) -> None:
    chunks = _encode(EVENTS, include_usage)
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c.id == "chatcmpl-1" and c.system_fingerprint == "fp_1" for c in parsed)
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(("usage" in c) is include_usage for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in parsed if c.choices)
    assert text == "Hello"
    calls = [tc for c in parsed if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert [(t.index, t.id, t.function and t.function.name) for t in calls if t.id] == [
        (0, "call_a", "f"),
        (1, "call_b", "g"),
    ]
    if include_usage:
        assert chunks[-1]["choices"] == [] and parsed[-1].usage is not None
        assert parsed[-1].usage.total_tokens == 15
        assert all(c["usage"] is None for c in chunks[:-1])
    else:
        assert all(c["choices"] for c in chunks)


def test_tool_call_deltas_are_shaped_like_openai() -> None:
    chunks = _encode([START, ToolCallStart(0, "call_a", "f"), ToolCallDelta(0, "{}")], False)
    assert chunks[1]["choices"][0]["delta"] == {
        "tool_calls": [
            {
                "index": 0,
                "id": "call_a",
                "type": "function",
                "function": {"name": "f", "arguments": ""},
            }
        ]
    }
    assert chunks[2]["choices"][0]["delta"] == {
        "tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]
    }


def test_usage_is_sent_once_at_the_end_and_never_unasked() -> None:
    events = [
        START,
        UsageReport(Usage(1, 1)),
        TextDelta("a"),
        Finish("stop"),
        UsageReport(Usage(3, 4)),
    ]
    with_usage = _encode(events, True)
    assert [c["usage"] for c in with_usage if c["usage"]] == [
        {
            "prompt_tokens": 3,
            "completion_tokens": 4,
            "total_tokens": 7,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }
    ]
    assert all("usage" not in c for c in _encode(events, False))


def test_second_choice_gets_its_own_role_chunk() -> None:
    chunks = _encode([START, TextDelta("a", choice=1)], False)
    assert [c["choices"][0] for c in chunks[1:]] == [
        {
            "index": 1,
            "delta": {"role": "assistant", "content": ""},
            "logprobs": None,
            "finish_reason": None,
        },
        {"index": 1, "delta": {"content": "a"}, "logprobs": None, "finish_reason": None},
    ]


def test_stream_failure_frame_makes_the_sdk_raise() -> None:
    from openai import APIError

    error = UpstreamError(
        UpstreamKind.RATE_LIMITED, "groq: slow down", "groq", status=429, code="rate_limit_exceeded"
    )
    frame = ChunkEncoder(False).encode(StreamFailure(error))
    body = orjson.loads(frame.removeprefix(b"data: "))
    assert body == {
        "error": {
            "message": "groq: slow down",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    # The SDK's stream raises APIError on a data event carrying ``error``.
    import httpx
    from openai import OpenAI

    sse = b"".join([ChunkEncoder(False).encode(START), frame, b"data: [DONE]\n\n"])
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=sse, headers={"content-type": "text/event-stream"}
        )
    )
    client = OpenAI(
        api_key="x", base_url="http://test/v1", http_client=httpx.Client(transport=transport)
    )
    with pytest.raises(APIError, match="slow down"):
        for _ in client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        ):
            pass
    client.close()


def test_reasoning_field_is_configurable() -> None:
    shown = _encode([START, ReasoningDelta("why")], False)
    assert shown[1]["choices"][0]["delta"] == {"reasoning_content": "why"}
    encoder = ChunkEncoder(False, reasoning_field=None)
    encoder.encode(START)
    assert encoder.encode(ReasoningDelta("why")) == b""


# -- responses ------------------------------------------------------------------------


def test_response_parses_with_the_openai_sdk() -> None:
    resp = ChatResponse(
        id="chatcmpl-9",
        model="m",
        created=1,
        choices=[
            Choice(0, Message("assistant", parts=[ReasoningPart("r"), TextPart("hi")]), "stop"),
            Choice(1, Message("assistant", tool_calls=[ToolCall("c", "f", "{}")]), "tool_calls"),
            Choice(
                2,
                Message("assistant", parts=[TextPart("no", provider_data={"refusal": True})]),
                "error",
            ),
        ],
        usage=Usage(5, 6, cached_input_tokens=1, cache_write_tokens=2, reasoning_tokens=3),
    )
    body = encode_chat_response(resp)
    parsed = ChatCompletion.model_validate(body)
    assert parsed.choices[0].message.content == "hi"
    assert body["choices"][0]["message"]["reasoning_content"] == "r"
    assert parsed.choices[1].message.content is None and parsed.choices[1].message.tool_calls
    assert parsed.choices[2].message.refusal == "no" and parsed.choices[2].finish_reason == "stop"
    assert parsed.usage is not None and parsed.usage.total_tokens == 11
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 1, "cache_write_tokens": 2}
    assert list(body) == [
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "system_fingerprint",
    ]


def test_embedding_response_parses_with_the_openai_sdk() -> None:
    resp = EmbeddingResponse("e", [Embedding(0, [0.5, 1.0]), Embedding(1, "AAAA")], Usage(3))
    body = encode_embedding_response(resp)
    parsed = CreateEmbeddingResponse.model_validate({**body, "data": body["data"][:1]})
    assert parsed.data[0].embedding == [0.5, 1.0] and parsed.usage.prompt_tokens == 3
    assert body["data"][1] == {"object": "embedding", "index": 1, "embedding": "AAAA"}


# -- decoder tolerance ----------------------------------------------------------------


def _decode(*chunks: dict[str, Any]) -> list[StreamEvent]:
    decoder = ChunkDecoder("p")
    return [e for c in chunks for e in decoder.decode(c)]


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "i",
        "model": "m",
        "created": 1,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def test_whole_tool_calls_without_index_and_with_arguments() -> None:
    events = _decode(
        _chunk({"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": '{"x":1}'}}]}),
        _chunk({"tool_calls": [{"id": "b", "function": {"name": "g", "arguments": {"y": 2}}}]}),
        _chunk({}, "tool_calls"),
    )
    assert events[1:] == [
        ToolCallStart(0, "a", "f"),
        ToolCallDelta(0, '{"x":1}'),
        ToolCallStart(1, "b", "g"),
        ToolCallDelta(1, '{"y":2}'),
        Finish("tool_calls"),
    ]


def test_parallel_calls_reusing_index_zero_and_repeated_ids() -> None:
    events = _decode(
        _chunk(
            {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": ""}}]}
        ),
        _chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"arguments": "{}"}}]}),
        _chunk(
            {"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}
        ),
    )
    assert events[1:] == [
        ToolCallStart(0, "a", "f"),
        ToolCallDelta(0, "{}"),
        ToolCallStart(1, "b", "g"),
        ToolCallDelta(1, "{}"),
    ]


def test_error_before_anything_started_is_the_only_event() -> None:
    (event,) = _decode({"error": {"code": 502, "message": "upstream died"}})
    assert isinstance(event, StreamFailure)
    assert event.error.kind is UpstreamKind.SERVER and event.error.retryable


def test_reasoning_variants_and_finish_reasons() -> None:
    events = _decode(
        _chunk({"reasoning_content": "a"}),
        _chunk({"reasoning": "b"}),
        _chunk(
            {
                "content": [
                    {"type": "thinking", "thinking": [{"type": "text", "text": "c"}]},
                    {"type": "text", "text": "d"},
                ]
            }
        ),
        _chunk({"content": ""}, "model_length"),
    )
    assert events[1:] == [
        ReasoningDelta("a"),
        ReasoningDelta("b"),
        ReasoningDelta("c"),
        TextDelta("d"),
        Finish("length"),
    ]


def test_a_search_model_s_annotation_delta_reaches_the_client_as_sent() -> None:
    """A search model streams its citations in a delta of their own after the text
    (``delta.annotations``, no content: openai/openai-java#297 shows one); it is passed on,
    in a chunk of its own, before the finish."""
    head = {"id": "chatcmpl-s1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    citation = {
        "type": "url_citation",
        "url_citation": {"url": "https://example.org/a", "title": "A", "start_index": 0,
                         "end_index": 5},
    }  # fmt: skip
    recorded = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                              "logprobs": None, "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {"content": "Hello"}, "logprobs": None,
                              "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {"annotations": [citation]},
                              "logprobs": None, "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {}, "logprobs": None,
                              "finish_reason": "stop"}]},
    ]  # fmt: skip
    decoder = ChunkDecoder("openai")
    events = [e for chunk in recorded for e in decoder.decode(chunk)]
    assert events[2:] == [DeltaFields({"annotations": [citation]}), Finish("stop")]
    encoder = ChunkEncoder(include_usage=False)
    out = b"".join(encoder.encode(e) for e in events) + encoder.done()
    expected = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in recorded)
    assert out == expected + b"data: [DONE]\n\n"
