"""Anthropic ``message`` objects to canonical ``ChatResponse`` and back.

Usage: Anthropic's ``input_tokens`` counts only *uncached* input, so the canonical input is
``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``, with the cache
figures as its ``cached_input_tokens`` / ``cache_write_tokens`` subsets; encoding subtracts
them again. Thinking is billed inside ``output_tokens`` and has no separate count.

Stop reasons go through the typed tables below. ``pause_turn`` (a server-tool loop that
Anthropic paused; the client may send the turn back to let it continue) and
``model_context_window_exceeded`` have no canonical twin: they decode to ``stop`` and
``length``. ``stop_sequence`` decodes to ``stop`` (which sequence matched is not kept).
"""

from __future__ import annotations

import time
from typing import Any, Literal

import orjson

from polyroute.canonical import (
    ChatResponse,
    Choice,
    FinishReason,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCall,
    Usage,
)
from polyroute.wire.anthropic.blocks import TEXT_KEEP, encode_reasoning, encode_text, tool_input
from polyroute.wire.anthropic.blocks import tool_use_id as _tool_use_id

StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]

STOP_TO_FINISH: dict[StopReason, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
    "model_context_window_exceeded": "length",
}
FINISH_TO_STOP: dict[FinishReason, StopReason] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}


def decode_stop(value: object) -> FinishReason | None:
    return STOP_TO_FINISH.get(value) if isinstance(value, str) else None  # type: ignore[call-overload]


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def decode_usage(raw: dict[str, Any]) -> Usage:
    cache_read = _count(raw.get("cache_read_input_tokens"))
    cache_write = _count(raw.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=_count(raw.get("input_tokens")) + cache_read + cache_write,
        output_tokens=_count(raw.get("output_tokens")),
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def encode_usage(usage: Usage | None) -> dict[str, int]:
    u = usage or Usage()
    uncached = u.input_tokens - u.cached_input_tokens - u.cache_write_tokens
    return {
        "input_tokens": max(uncached, 0),
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
        "cache_read_input_tokens": u.cached_input_tokens,
    }


def message_id(canonical_id: str) -> str:
    """Anthropic's ``msg_`` form of an answer id from any provider."""
    return canonical_id if canonical_id.startswith("msg_") else "msg_" + canonical_id


# -- decoding ---------------------------------------------------------------------------


def decode_messages_response(body: dict[str, Any], json_tool: str | None = None) -> ChatResponse:
    """``json_tool``: in JSON mode, the tool whose input is the answer's text."""
    message = Message(role="assistant")
    for block in body["content"]:
        _decode_block(block, message, json_tool)
    finish = decode_stop(body.get("stop_reason"))
    if json_tool is not None and finish == "tool_calls" and not message.tool_calls:
        finish = "stop"
    usage = body.get("usage")
    return ChatResponse(
        id=body["id"],
        model=body["model"],
        created=int(time.time()),
        choices=[Choice(index=0, message=message, finish_reason=finish)],
        usage=decode_usage(usage) if isinstance(usage, dict) else None,
    )


def _decode_block(block: dict[str, Any], message: Message, json_tool: str | None) -> None:
    kind = block["type"]
    if kind == "text":
        keep = {k: block[k] for k in TEXT_KEEP if block.get(k)}
        message.parts.append(TextPart(block["text"], provider_data=keep or None))
    elif kind == "thinking":
        message.parts.append(ReasoningPart(block["thinking"], signature=block.get("signature")))
    elif kind == "redacted_thinking":
        message.parts.append(ReasoningPart("", signature=block["data"], redacted=True))
    elif kind == "tool_use" and block["name"] == json_tool:
        message.parts.append(TextPart(_json_text(block["input"])))
    elif kind == "tool_use":
        message.tool_calls.append(
            ToolCall(id=block["id"], name=block["name"], arguments=_json_text(block["input"]))
        )
    # Server-tool blocks (server_tool_use, web_search_tool_result...) have no canonical slot.


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


# -- encoding ---------------------------------------------------------------------------


def encode_content(parts: list[Part], calls: list[ToolCall]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, ReasoningPart):
            content.append(
                encode_reasoning(part)
                or {"type": "thinking", "thinking": part.text, "signature": ""}
            )
        elif isinstance(part, TextPart) and part.text:
            content.append(encode_text(part))
    content.extend(
        {
            "type": "tool_use",
            "id": _tool_use_id(c.id),
            "name": c.name,
            "input": tool_input(c.arguments),
        }
        for c in calls
    )
    return content


def encode_messages_response(resp: ChatResponse) -> dict[str, Any]:
    """The exact ``message`` object Anthropic returns, for choice 0 of ``resp``."""
    choice = resp.choices[0] if resp.choices else None
    message = choice.message if choice else Message(role="assistant")
    finish = choice.finish_reason if choice else None
    return {
        "id": message_id(resp.id),
        "type": "message",
        "role": "assistant",
        "content": encode_content(message.parts, message.tool_calls),
        "model": resp.model,
        "stop_reason": FINISH_TO_STOP[finish] if finish else "end_turn",
        "stop_sequence": None,
        "usage": encode_usage(resp.usage),
    }
