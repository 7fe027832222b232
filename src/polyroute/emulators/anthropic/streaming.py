"""A :class:`Reply` as Anthropic's named SSE events (``event: X`` + ``data: {"type": X}``).

Order: message_start (empty content, initial usage, ``output_tokens: 1``) → per block
content_block_start / content_block_delta x N / content_block_stop, with one ``ping`` after the
first content_block_start → message_delta (stop reason, cumulative usage incl. input and cache
counts as current API versions send) → message_stop. No ``[DONE]``.
"""

from __future__ import annotations

from typing import Any

import orjson

from polyroute.emulators.anthropic.errors import stream_error_event
from polyroute.emulators.anthropic.generation import Reply
from polyroute.emulators.anthropic.synth import split_chars, split_text
from polyroute.emulators.faults import StreamPlan

PING = b'event: ping\ndata: {"type": "ping"}\n\n'
MALFORMED = (
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n'
)


def event(data: dict[str, Any]) -> bytes:
    return b"event: " + data["type"].encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _deltas(block: dict[str, Any]) -> list[dict[str, Any]]:
    kind = block["type"]
    if kind == "text":
        return [{"type": "text_delta", "text": p} for p in split_text(block["text"]) if p]
    if kind == "thinking":
        pieces = [p for p in split_text(block["thinking"], 4) if p]
        return [{"type": "thinking_delta", "thinking": p} for p in pieces] + [
            {"type": "signature_delta", "signature": block["signature"]}
        ]
    if kind == "tool_use":
        raw = orjson.dumps(block["input"]).decode()
        return [
            {"type": "input_json_delta", "partial_json": p} for p in ["", *split_chars(raw, 12)]
        ]
    return []


def _start_block(block: dict[str, Any]) -> dict[str, Any]:
    kind = block["type"]
    if kind == "text":
        return {"type": "text", "text": ""}
    if kind == "thinking":
        return {"type": "thinking", "thinking": "", "signature": ""}
    return {**block, "input": {}}


def events(reply: Reply) -> list[bytes]:
    usage = reply.usage
    start_usage = {**usage, "output_tokens": 1}
    message = {**reply.message(), "content": [], "stop_reason": None, "stop_sequence": None}
    message["usage"] = start_usage
    out = [event({"type": "message_start", "message": message})]
    for index, block in enumerate(reply.content):
        out.append(event({"type": "content_block_start", "index": index,
                          "content_block": _start_block(block)}))  # fmt: skip
        if index == 0:
            out.append(PING)
        out.extend(
            event({"type": "content_block_delta", "index": index, "delta": d})
            for d in _deltas(block)
        )
        out.append(event({"type": "content_block_stop", "index": index}))
    if not reply.content:
        out.append(PING)
    final_usage = {
        key: usage[key]
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    }
    final_usage["output_tokens"] = usage["output_tokens"]
    out.append(event({
        "type": "message_delta",
        "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
        "usage": final_usage,
    }))  # fmt: skip
    out.append(event({"type": "message_stop"}))
    return out


def stream_plan(reply: Reply, *, drop_stop: bool = False) -> StreamPlan:
    """The plan for ``send_stream``. ``drop_stop`` (fault ``no_done``) omits message_stop."""
    evs = events(reply)
    return StreamPlan(
        events=evs[:-1] if drop_stop else evs,
        terminator=None,
        error_event=stream_error_event(529),
        malformed=MALFORMED,
    )
