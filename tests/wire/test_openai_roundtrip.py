"""Property tests: every codec pair round-trips canonical values."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from polyroute.canonical import (
    ChatRequest,
    ChatResponse,
    Choice,
    DeltaFields,
    Finish,
    ImagePart,
    Message,
    Part,
    ReasoningDelta,
    ResponseFormat,
    StreamEvent,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolSpec,
    Usage,
    UsageReport,
)
from polyroute.wire.openai import (
    ChunkDecoder,
    ChunkEncoder,
    decode_chat_request,
    decode_chat_response,
    encode_chat_request,
    encode_chat_response,
)

text = st.text(max_size=12)
nonempty = st.text(min_size=1, max_size=12)
ident = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
counts = st.integers(min_value=0, max_value=10**6)
json_obj = st.dictionaries(
    st.sampled_from(["type", "a", "b"]), st.one_of(st.integers(-(2**53), 2**53), text), max_size=3
)


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


text_part = st.builds(
    TextPart, nonempty, provider_data=_opt(st.just({"cache_control": {"type": "ephemeral"}}))
)
image_part = st.builds(
    ImagePart, st.just("https://x/y.png"), detail=_opt(st.sampled_from(["low", "high", "auto"]))
)
tool_call = st.builds(ToolCall, ident, ident, text)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    role = draw(st.sampled_from(["system", "user", "assistant", "tool"]))
    kinds = {"user": text_part | image_part}.get(role, text_part)
    parts: list[Part] = draw(st.lists(kinds, max_size=3))
    m = Message(role=role, parts=parts, name=draw(_opt(ident)))
    if role == "assistant":
        m.tool_calls = draw(st.lists(tool_call, max_size=2))
        m.prefix = draw(st.booleans())
    if role == "tool":
        m.tool_call_id = draw(ident)
    return m


tool_spec = st.builds(ToolSpec, ident, _opt(text), _opt(json_obj), _opt(st.booleans()))
tool_choice = st.builds(ToolChoice, st.sampled_from(["auto", "none", "required"])) | st.builds(
    ToolChoice, st.just("tool"), ident
)
response_format = st.builds(ResponseFormat, st.sampled_from(["text", "json_object"])) | st.builds(
    ResponseFormat, st.just("json_schema"), _opt(json_obj), ident, _opt(st.booleans()), _opt(text)
)
unit = st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def chat_requests(draw: st.DrawFn) -> ChatRequest:
    stream = draw(st.booleans())
    logprobs = draw(_opt(st.booleans()))
    return ChatRequest(
        model="auto",
        messages=draw(st.lists(messages(), min_size=1, max_size=4)),
        stream=stream,
        max_tokens=draw(_opt(st.integers(1, 10**6))),
        temperature=draw(_opt(st.floats(0, 2, allow_nan=False))),
        top_p=draw(_opt(unit)),
        top_k=draw(_opt(st.integers(0, 100))),
        stop=draw(_opt(st.lists(nonempty, max_size=4))),
        seed=draw(_opt(st.integers(-(2**31), 2**31))),
        n=draw(_opt(st.integers(1, 128))),
        presence_penalty=draw(_opt(st.floats(-2, 2, allow_nan=False))),
        frequency_penalty=draw(_opt(st.floats(-2, 2, allow_nan=False))),
        tools=draw(_opt(st.lists(tool_spec, min_size=1, max_size=3))),
        tool_choice=draw(_opt(tool_choice)),
        parallel_tool_calls=draw(_opt(st.booleans())),
        response_format=draw(_opt(response_format)),
        logprobs=logprobs,
        top_logprobs=draw(_opt(st.integers(0, 20))) if logprobs else None,
        user=draw(_opt(text)),
        reasoning_effort=draw(_opt(st.sampled_from(["low", "medium", "high"]))),
        include_usage=stream and draw(st.booleans()),
        extra=draw(
            st.dictionaries(
                st.sampled_from(["metadata", "store", "safe_prompt"]), json_obj, max_size=2
            )
        ),
    )


@settings(max_examples=300)
@given(chat_requests())
def test_chat_request_round_trip(req: ChatRequest) -> None:
    body = orjson.loads(orjson.dumps(encode_chat_request(req, "auto")))
    assert decode_chat_request(body) == req


# A provider's own usage fields (cache_write_tokens left out: it is also a count, drawn above).
usage_fields = st.fixed_dictionaries(
    {},
    optional={
        "cost": json_obj,
        "queue_time": json_obj,
        "prompt_tokens_details": st.fixed_dictionaries({"audio_tokens": counts}),
        "completion_tokens_details": st.dictionaries(
            st.sampled_from(["audio_tokens", "accepted_prediction_tokens"]), counts, min_size=1
        ),
    },
).map(lambda d: d or None)
usage = st.builds(Usage, counts, counts, counts, counts, counts, usage_fields)


def _provider_fields(names: list[str]) -> st.SearchStrategy[dict[str, Any] | None]:
    """Fields of a provider's answer polyroute does not read, or ``None`` (never ``{}``)."""
    return st.dictionaries(st.sampled_from(names), json_obj, max_size=2).map(lambda d: d or None)


response_fields = _provider_fields(["service_tier", "provider", "time_info", "usage_breakdown"])
choice_fields = _provider_fields(["native_finish_reason", "stop_reason"])
message_fields = _provider_fields(["annotations", "audio", "function_call"])


@st.composite
def chat_responses(draw: st.DrawFn) -> ChatResponse:
    choices = []
    for index in range(draw(st.integers(1, 3))):
        parts: list[Part] = [TextPart(draw(nonempty))] if draw(st.booleans()) else []
        calls = draw(st.lists(tool_call, max_size=2))
        reason = draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter"]))
        message = Message(
            "assistant", parts=parts, tool_calls=calls, openai_fields=draw(message_fields)
        )
        choices.append(Choice(index, message, reason, openai_fields=draw(choice_fields)))
    return ChatResponse(
        id=draw(ident),
        model=draw(ident),
        created=draw(counts),
        choices=choices,
        usage=draw(_opt(usage)),
        system_fingerprint=draw(_opt(ident)),
        openai_fields=draw(response_fields),
    )


@settings(max_examples=200)
@given(chat_responses())
def test_chat_response_round_trip(resp: ChatResponse) -> None:
    body = orjson.loads(orjson.dumps(encode_chat_response(resp)))
    decoded = decode_chat_response(body)
    assert decoded == resp
    if resp.usage is not None:  # not compared by ==: no count
        assert decoded.usage is not None
        assert decoded.usage.openai_fields == resp.usage.openai_fields


@st.composite
def streams(draw: st.DrawFn) -> list[StreamEvent]:
    events: list[StreamEvent] = [
        StreamStart(
            draw(ident),
            draw(ident),
            draw(counts),
            draw(_opt(ident)),
            draw(_provider_fields(["service_tier", "provider"])),
        )
    ]
    n_choices = draw(st.integers(1, 2))
    calls = [0] * n_choices
    for _ in range(draw(st.integers(0, 12))):
        choice = draw(st.integers(0, n_choices - 1))
        kind = draw(st.sampled_from(["text", "reasoning", "start", "args", "fields"]))
        if kind == "text":
            events.append(TextDelta(draw(nonempty), choice))
        elif kind == "fields":
            fields = st.dictionaries(
                st.sampled_from(["annotations", "audio"]), json_obj, min_size=1
            )
            events.append(DeltaFields(draw(fields), choice))
        elif kind == "reasoning":
            events.append(ReasoningDelta(draw(nonempty), choice))
        elif kind == "start" or calls[choice] == 0:
            events.append(ToolCallStart(calls[choice], draw(ident), draw(ident), choice))
            calls[choice] += 1
        else:
            events.append(
                ToolCallDelta(draw(st.integers(0, calls[choice] - 1)), draw(nonempty), choice)
            )
    reasons = st.sampled_from(["stop", "length", "tool_calls"])
    finished = [c for c in range(n_choices) if draw(st.booleans())]
    events.extend(Finish(draw(reasons), c) for c in finished)
    if draw(st.booleans()):
        events.append(UsageReport(draw(usage)))
    return events


@settings(max_examples=300)
@given(streams(), st.booleans())
def test_chunk_decoder_reads_chunk_encoder(events: list[StreamEvent], include_usage: bool) -> None:
    encoder = ChunkEncoder(include_usage)
    sse = b"".join(encoder.encode(e) for e in events) + encoder.done()
    decoder = ChunkDecoder("polyroute")
    decoded: list[StreamEvent] = []
    for frame in sse.split(b"\n\n"):
        if frame and frame != b"data: [DONE]":
            decoded += decoder.decode(orjson.loads(frame.removeprefix(b"data: ")))
    expected = [e for e in events if include_usage or not isinstance(e, UsageReport)]
    assert decoded == expected
    reported = [
        (e.usage.openai_fields, d.usage.openai_fields)
        for e, d in zip(expected, decoded, strict=True)
        if isinstance(e, UsageReport) and isinstance(d, UsageReport)
    ]
    assert all(sent == read for sent, read in reported)
