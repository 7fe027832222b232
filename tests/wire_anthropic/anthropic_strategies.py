"""Hypothesis strategies for canonical requests, responses and streams (Anthropic tests)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import strategies as st

from polyroute.canonical import (
    ChatRequest,
    ChatResponse,
    Choice,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCall,
    ToolChoice,
    ToolSpec,
    Usage,
)

ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
text = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
any_text = st.text(max_size=12)
valid_id = st.text(ID_CHARS, min_size=1, max_size=24)
any_id = st.one_of(valid_id, st.text(max_size=16))
name = st.text(ID_CHARS, min_size=1, max_size=12)
json_obj = st.dictionaries(
    st.text(max_size=5),
    st.one_of(st.integers(-5, 5), st.text(max_size=5), st.booleans()),
    max_size=3,
)
image = st.one_of(
    st.builds(
        lambda d: ImagePart(f"data:image/png;base64,{d}"), st.text("ABCDEF0123=", max_size=12)
    ),
    st.builds(lambda p: ImagePart(f"https://example.com/{p}.png"), st.text("abc", max_size=5)),
)
signature = st.text("ABCDEFabcdef0123456789+/=", min_size=1, max_size=20)
reasoning = st.one_of(
    st.builds(lambda t, s: ReasoningPart(t, signature=s), any_text, signature),
    st.builds(lambda s: ReasoningPart("", signature=s, redacted=True), signature),
)
call = st.builds(lambda i, n, a: ToolCall(i, n, orjson.dumps(a).decode()), valid_id, name, json_obj)


# -- anything a client of another dialect might send (for the rules property) -----------


def _loose_part() -> st.SearchStrategy[Part]:
    return st.one_of(
        st.builds(TextPart, any_text),
        image,
        st.builds(lambda t, s: ReasoningPart(t, signature=s), any_text, st.none() | signature),
    )


@st.composite
def loose_conversation(draw: st.DrawFn) -> list[Message]:
    messages: list[Message] = [Message("user", [TextPart(draw(text))])]
    ids: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        role = draw(st.sampled_from(["system", "user", "assistant", "tool"]))
        parts = draw(st.lists(_loose_part(), max_size=3))
        if role == "assistant":
            calls = draw(st.lists(st.builds(ToolCall, any_id, name, any_text), max_size=3))
            ids.extend(c.id for c in calls)
            messages.append(Message("assistant", parts, tool_calls=calls))
        elif role == "tool":
            call_id = draw(st.sampled_from(ids) if ids and draw(st.booleans()) else any_id)
            messages.append(
                Message(
                    "tool",
                    [p for p in parts if not isinstance(p, ReasoningPart)],
                    tool_call_id=call_id,
                    is_error=draw(st.booleans()),
                )
            )
        else:
            messages.append(Message(role, [p for p in parts if not isinstance(p, ReasoningPart)]))
    return messages


# -- canonical requests in the form an Anthropic body decodes to (for round trips) -------


@st.composite
def anthropic_conversation(draw: st.DrawFn) -> list[Message]:
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message("system", [TextPart(draw(text))]))
    pending: list[ToolCall] = []
    for turn in range(2 * draw(st.integers(0, 3)) + 1):
        if turn % 2 == 0:
            for c in pending:
                parts: list[Part] = draw(
                    st.lists(st.one_of(st.builds(TextPart, text), image), max_size=2)
                )
                messages.append(
                    Message("tool", parts, tool_call_id=c.id, is_error=draw(st.booleans()))
                )
            user_parts = draw(
                st.lists(
                    st.one_of(st.builds(TextPart, text), image),
                    min_size=0 if pending else 1,
                    max_size=3,
                )
            )
            if user_parts:
                messages.append(Message("user", user_parts))
            pending = []
        else:
            thoughts = draw(st.lists(reasoning, max_size=2))
            said = draw(st.lists(st.builds(TextPart, text), max_size=2))
            calls = draw(st.lists(call, max_size=3, unique_by=lambda c: c.id))
            if not (thoughts or said or calls):
                said = [TextPart(draw(text))]
            messages.append(Message("assistant", [*thoughts, *said], tool_calls=calls))
            pending = calls
    return messages


@st.composite
def anthropic_request(draw: st.DrawFn) -> ChatRequest:
    tools = draw(
        st.none()
        | st.lists(
            st.builds(
                ToolSpec, name, st.none() | text, json_obj.map(lambda d: {"type": "object", **d})
            ),
            min_size=1,
            max_size=3,
        )
    )
    choice = None
    if tools:
        mode = draw(st.sampled_from(["auto", "required", "tool", "none", None]))
        if mode is not None:
            disable = draw(st.booleans()) and mode != "none"
            choice = ToolChoice(
                mode, name=tools[0].name if mode == "tool" else None, disable_parallel=disable
            )
    stream = draw(st.booleans())
    return ChatRequest(
        model=draw(name),
        messages=draw(anthropic_conversation()),
        stream=stream,
        max_tokens=draw(st.integers(1, 100_000)),
        temperature=draw(st.none() | st.floats(0, 1)),
        top_p=draw(st.none() | st.floats(0, 1)),
        top_k=draw(st.none() | st.integers(0, 500)),
        stop=draw(st.none() | st.lists(text, min_size=1, max_size=3)),
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=False if choice and choice.disable_parallel else None,
        user=draw(st.none() | text),
        include_usage=stream,
        extra=draw(st.just({}) | st.just({"service_tier": "auto"})),
    )


@st.composite
def anthropic_response(draw: st.DrawFn) -> ChatResponse:
    calls = draw(st.lists(call, max_size=3, unique_by=lambda c: c.id))
    parts: list[Part] = [
        *draw(st.lists(reasoning, max_size=2)),
        *draw(st.lists(st.builds(TextPart, text), max_size=3)),
    ]
    finish = draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter"]))
    cached = draw(st.integers(0, 1000))
    written = draw(st.integers(0, 1000))
    usage = Usage(
        input_tokens=cached + written + draw(st.integers(0, 1000)),
        output_tokens=draw(st.integers(0, 1000)),
        cached_input_tokens=cached,
        cache_write_tokens=written,
    )
    return ChatResponse(
        id="msg_" + draw(valid_id),
        model=draw(name),
        created=0,
        choices=[Choice(0, Message("assistant", parts, tool_calls=calls), finish)],
        usage=usage,
    )


def body_dump(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
