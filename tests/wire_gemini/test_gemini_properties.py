"""Properties: encoded requests are always ones Gemini accepts; decoding is consistent."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyroute.canonical import (
    ChatRequest,
    Finish,
    ImagePart,
    Message,
    ReasoningDelta,
    ReasoningPart,
    ResponseFormat,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolSpec,
    UsageReport,
)
from polyroute.wire.gemini import (
    REQUEST_FIELDS,
    THINKING_BUDGETS,
    GeminiStreamDecoder,
    decode_generate_response,
    decode_usage,
    encode_generate_request,
)

_DATA_FIELDS = {"text", "inlineData", "fileData", "functionCall", "functionResponse"}
_NAMES = st.sampled_from(["get_weather", "lookup", "f", "a.b-c:d"])
_TEXT = st.text(max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
# Client extras: fields Gemini has (well-typed, as a client would send them) and ones it has not.
_EXTRA: dict[str, Any] = {
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    "cached_content": "cachedContents/c",
    "store": False,
    "serviceTier": "flex",
    "logit_bias": {"1": 2},
    "top_a": 0.1,
    "service_tier": "auto",
}
_RESULTS = _JSON.map(lambda v: orjson.dumps(v).decode()) | _TEXT
_IMAGES = st.sampled_from(
    [
        "data:image/png;base64,AAAA",
        "https://x.test/a.gif",
        "https://x.test/noext",
        "data:;base64,AA",
    ]
)


@st.composite
def _turns(draw: st.DrawFn) -> list[Message]:
    """A conversation whose tool results always answer an earlier call, as clients send."""
    messages: list[Message] = []
    serial = 0
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["system", "user", "assistant", "image"]))
        if kind == "image":
            messages.append(Message("user", [ImagePart(draw(_IMAGES)), TextPart(draw(_TEXT))]))
        elif kind != "assistant":
            messages.append(Message(kind, [TextPart(draw(_TEXT))]))
        else:
            calls = []
            for _ in range(draw(st.integers(0, 3))):
                serial += 1
                args = draw(st.one_of(_JSON.map(lambda v: orjson.dumps(v).decode()), _TEXT))
                signature = draw(st.none() | st.just({"thoughtSignature": "c2ln"}))
                calls.append(ToolCall(f"id{serial}", draw(_NAMES), args, signature))
            parts: list[Any] = [TextPart(draw(_TEXT))]
            if draw(st.booleans()):
                parts.insert(0, ReasoningPart(draw(_TEXT), signature=draw(st.none() | _TEXT)))
            messages.append(Message("assistant", parts, tool_calls=calls))
            messages.extend(
                Message(
                    "tool",
                    [TextPart(draw(_RESULTS))],
                    tool_call_id=call.id,
                    is_error=draw(st.booleans()),
                )
                for call in draw(st.permutations(calls))
            )
    return messages


_REQUESTS = st.builds(
    ChatRequest,
    model=st.just("gemini/x"),
    messages=_turns(),
    max_tokens=st.none() | st.integers(1, 1000),
    temperature=st.none() | st.floats(0, 2),
    top_k=st.none() | st.integers(1, 40),
    stop=st.none() | st.lists(st.text(min_size=1, max_size=3), max_size=3),
    n=st.none() | st.integers(1, 3),
    tools=st.none() | st.lists(st.builds(ToolSpec, _NAMES, st.none() | _TEXT), max_size=2),
    tool_choice=st.none()
    | st.builds(ToolChoice, st.sampled_from(["auto", "none", "required", "tool"]), _NAMES),
    response_format=st.none()
    | st.builds(
        ResponseFormat,
        st.sampled_from(["text", "json_object", "json_schema"]),
        st.none() | st.just({"type": "object"}),
    ),
    logprobs=st.none() | st.booleans(),
    top_logprobs=st.none() | st.integers(0, 5),
    reasoning_effort=st.none() | st.sampled_from(sorted(THINKING_BUDGETS)),
    user=st.none() | _TEXT,
    extra=st.dictionaries(st.sampled_from(sorted(_EXTRA)), st.just(None), max_size=4).map(
        lambda keys: {key: _EXTRA[key] for key in keys}
    ),
)


def _check_body(body: dict[str, Any]) -> None:
    assert set(body) <= REQUEST_FIELDS
    contents = body["contents"]
    assert contents
    calls: dict[str | None, str] = {}
    previous = None
    for content in contents:
        assert content["role"] in ("user", "model")
        assert content["role"] != previous, "same-role turns must be merged"
        previous = content["role"]
        assert content["parts"], "no empty turns"
        first_call = True
        for part in content["parts"]:
            data = _DATA_FIELDS & set(part)
            assert len(data) == 1, part
            assert set(part) - _DATA_FIELDS <= {"thoughtSignature"}
            if "text" in part:
                assert part["text"] or contents == [{"role": "user", "parts": [{"text": ""}]}]
            if "functionCall" in part:
                assert isinstance(part["functionCall"]["args"], dict)
                calls[part["functionCall"]["id"]] = part["functionCall"]["name"]
                if first_call:
                    assert "thoughtSignature" in part, "Gemini 3 needs a signature per step"
                first_call = False
            if "functionResponse" in part:
                response = part["functionResponse"]
                assert calls.get(response["id"]) == response["name"]
                assert isinstance(response["response"], dict)
    for part in body.get("systemInstruction", {}).get("parts", []):
        assert set(part) == {"text"} and part["text"]


@settings(max_examples=200, deadline=None)
@given(_REQUESTS)
def test_encoded_requests_are_well_formed(request: ChatRequest) -> None:
    _check_body(encode_generate_request(request, "x"))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=_REQUESTS)
def test_encoded_requests_match_the_spec(request: ChatRequest, spec_check: Any) -> None:
    body = encode_generate_request(request, "x")
    assert spec_check(body, "GenerateContentRequest") == []


# -- responses ----------------------------------------------------------------------------

_PARTS = st.one_of(
    st.builds(lambda t: {"text": t}, st.text(min_size=1, max_size=8)),
    st.builds(lambda t: {"text": t, "thought": True}, st.text(min_size=1, max_size=8)),
    st.builds(
        lambda n, a, s: {"functionCall": {"name": n, "args": a}, **s},
        _NAMES,
        st.dictionaries(st.text(max_size=4), _JSON, max_size=3),
        st.just({}) | st.just({"thoughtSignature": "c2ln"}),
    ),
)
_COUNT = st.integers(0, 10_000)


@st.composite
def _answers(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    parts = draw(st.lists(_PARTS, min_size=1, max_size=6))
    reason = draw(
        st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "MALFORMED_FUNCTION_CALL", "NEW_ONE"])
    )
    prompt, candidates, thoughts, tool_use, cached = (draw(_COUNT) for _ in range(5))
    usage = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "thoughtsTokenCount": thoughts,
        "toolUsePromptTokenCount": tool_use,
        "cachedContentTokenCount": min(cached, prompt),
        "totalTokenCount": prompt + candidates + thoughts + tool_use,
    }
    return parts, {"reason": reason, "usage": usage}


def _chunk(
    parts: list[dict[str, Any]], usage: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if reason:
        candidate["finishReason"] = reason
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "responseId": "r",
        "modelVersion": "m",
    }


@settings(max_examples=200, deadline=None)
@given(_answers())
def test_stream_and_whole_answer_agree(answer: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    parts, meta = answer
    whole = decode_generate_response(_chunk(parts, meta["usage"], meta["reason"]))
    # The same answer streamed one part per chunk, with growing (cumulative) usage.
    decoder = GeminiStreamDecoder()
    events = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        usage = meta["usage"] if last else {"promptTokenCount": i, "totalTokenCount": i}
        events += decoder.decode(_chunk([part], usage, meta["reason"] if last else None))
    events += decoder.end()
    assert decoder.finished
    (choice,) = whole.choices
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == choice.message.text()
    thoughts = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert thoughts == "".join(p.text for p in choice.message.parts if isinstance(p, ReasoningPart))
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [(s.index, s.id, s.name) for s in starts] == [
        (i, c.id, c.name) for i, c in enumerate(choice.message.tool_calls)
    ]
    assert [d.arguments for d in deltas] == [c.arguments for c in choice.message.tool_calls]
    assert [e for e in events if isinstance(e, Finish)] == [Finish(choice.finish_reason or "stop")]
    reports = [e for e in events if isinstance(e, UsageReport)]
    assert reports == [UsageReport(whole.usage)] and events[-1] == reports[0]
    if choice.message.tool_calls and meta["reason"] == "STOP":
        assert choice.finish_reason == "tool_calls"


@given(_answers())
def test_usage_arithmetic(answer: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    meta = answer[1]["usage"]
    usage = decode_usage(meta)
    assert usage.total_tokens == meta["totalTokenCount"]
    assert usage.reasoning_tokens <= usage.output_tokens
    assert usage.cached_input_tokens <= usage.input_tokens
    assert usage.output_tokens == meta["candidatesTokenCount"] + meta["thoughtsTokenCount"]
