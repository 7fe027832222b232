"""Messages streams (named SSE events), both directions.

``AnthropicStreamDecoder`` turns one upstream stream's parsed events into canonical events:
``message_start`` → ``StreamStart`` and a first ``UsageReport`` (input known up front);
content blocks → text, reasoning (``thinking_delta``; ``signature_delta`` as a reasoning
delta with empty text and the signature) and tool-call events; ``message_delta`` →
``Finish`` and the final, cumulative ``UsageReport``; ``error`` → ``StreamFailure``.
As in every decoder, the last ``UsageReport`` of a stream is the complete one.

``AnthropicStreamEncoder`` writes canonical events as exactly Anthropic's sequence:
``message_start``, per block ``content_block_start`` / ``content_block_delta``… /
``content_block_stop`` (a ``ping`` after the first start), then from ``finish()``
``message_delta`` (stop reason and cumulative usage) and ``message_stop``. It holds
``message_start`` back by one event so a usage report that arrives right away (Anthropic
upstreams) puts the real input count in it; otherwise it says 0 and ``message_delta``
carries the final figures. Only choice 0 is written. A ``StreamFailure`` becomes
``event: error``; nothing may follow it.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from polyroute.canonical import (
    Finish,
    FinishReason,
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
from polyroute.wire.anthropic.blocks import tool_use_id
from polyroute.wire.anthropic.errors import decode_stream_error, encode_error
from polyroute.wire.anthropic.responses import (
    FINISH_TO_STOP,
    decode_stop,
    decode_usage,
    encode_usage,
    message_id,
)


class AnthropicStreamDecoder:
    """``json_tool``: in JSON mode, the tool whose streamed input is the answer's text."""

    def __init__(self, provider: str = "anthropic", json_tool: str | None = None) -> None:
        self._provider = provider
        self._json_tool = json_tool
        self._usage: dict[str, Any] = {}
        self._blocks: dict[int, tuple[str, int]] = {}
        """Upstream block index → (kind, canonical tool index when a tool call)."""
        self._tools = 0
        self.finished = False
        self.stopped = False
        """``message_stop`` arrived: nothing more will come."""

    def decode(self, data: dict[str, Any]) -> list[StreamEvent]:
        kind = data.get("type")
        if kind == "message_start":
            return self._message_start(data["message"])
        if kind == "content_block_start":
            return self._block_start(data["index"], data["content_block"])
        if kind == "content_block_delta":
            return self._block_delta(data["index"], data["delta"])
        if kind == "message_delta":
            return self._message_delta(data)
        if kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            return [StreamFailure(decode_stream_error(data, self._provider))]
        return []  # ping, content_block_stop and event types added later

    def _message_start(self, message: dict[str, Any]) -> list[StreamEvent]:
        self._usage = dict(message.get("usage") or {})
        start = StreamStart(id=message["id"], model=message["model"], created=int(time.time()))
        return [start, UsageReport(decode_usage(self._usage))]

    def _block_start(self, index: int, block: dict[str, Any]) -> list[StreamEvent]:
        kind = block["type"]
        if kind == "tool_use" and block["name"] == self._json_tool:
            self._blocks[index] = ("json", 0)
            return []
        if kind == "tool_use":
            position = self._tools
            self._tools += 1
            self._blocks[index] = ("tool", position)
            events: list[StreamEvent] = [ToolCallStart(position, block["id"], block["name"])]
            if block.get("input"):
                events.append(ToolCallDelta(position, orjson.dumps(block["input"]).decode()))
            return events
        self._blocks[index] = (kind, 0)
        if kind == "text" and block.get("text"):
            return [TextDelta(block["text"])]
        if kind == "thinking" and (block.get("thinking") or block.get("signature")):
            return [
                ReasoningDelta(block.get("thinking", ""), signature=block.get("signature") or None)
            ]
        return []

    def _block_delta(self, index: int, delta: dict[str, Any]) -> list[StreamEvent]:
        kind = delta["type"]
        block, position = self._blocks.get(index, ("text", 0))
        if kind == "text_delta":
            return [TextDelta(delta["text"])] if delta["text"] else []
        if kind == "input_json_delta" and delta["partial_json"]:
            if block == "json":
                return [TextDelta(delta["partial_json"])]
            return [ToolCallDelta(position, delta["partial_json"])]
        if kind == "thinking_delta" and delta["thinking"]:
            return [ReasoningDelta(delta["thinking"])]
        if kind == "signature_delta":
            return [ReasoningDelta("", signature=delta["signature"])]
        return []  # citations_delta and empty fragments

    def _message_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        usage = data.get("usage") or {}
        self._usage.update({k: v for k, v in usage.items() if v is not None})
        reason = decode_stop((data.get("delta") or {}).get("stop_reason")) or "stop"
        if reason == "tool_calls" and self._json_tool is not None and self._tools == 0:
            reason = "stop"
        self.finished = True
        return [Finish(reason), UsageReport(decode_usage(self._usage))]


def frame(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class AnthropicStreamEncoder:
    def __init__(self, model: str | None = None) -> None:
        self._model = model
        """The model name shown to the client; the provider's own when None."""
        self._pending: StreamStart | None = None
        self._started = False
        self._next_block = 0
        self._open: tuple[str, int] | None = None
        """The open block: (kind, canonical tool index) — its Anthropic index is
        ``self._next_block - 1``."""
        self._tool_blocks: dict[int, int] = {}
        self._pinged = False
        self._usage: Usage | None = None
        self._reason: FinishReason | None = None
        self._failed = False

    def encode(self, event: StreamEvent) -> bytes:
        if self._failed:
            return b""
        if isinstance(event, StreamStart):
            self._pending = event
            return b""
        if isinstance(event, UsageReport):
            self._usage = event.usage
            return self._flush_start()
        out = self._flush_start()
        if isinstance(event, StreamFailure):
            self._failed = True
            return out + frame("error", encode_error(event.error))
        if getattr(event, "choice", 0) != 0:
            return out
        if isinstance(event, Finish):
            self._reason = event.reason
            return out
        return out + self._content(event)

    def finish(self) -> bytes:
        """``message_delta`` and ``message_stop``; call once the canonical stream ended."""
        if self._failed:
            return b""
        out = self._flush_start() + self._close()
        stop = FINISH_TO_STOP[self._reason] if self._reason else "end_turn"
        delta = {"stop_reason": stop, "stop_sequence": None}
        out += frame(
            "message_delta",
            {"type": "message_delta", "delta": delta, "usage": encode_usage(self._usage)},
        )
        return out + frame("message_stop", {"type": "message_stop"})

    def _flush_start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        start = self._pending or StreamStart(id="unknown", model=self._model or "", created=0)
        message = {
            "id": message_id(start.id),
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": self._model or start.model,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**encode_usage(self._usage), "output_tokens": 0},
        }
        return frame("message_start", {"type": "message_start", "message": message})

    def _content(self, event: StreamEvent) -> bytes:
        if isinstance(event, TextDelta):
            if not event.text:
                return b""
            out = self._ensure("text", 0, {"type": "text", "text": ""})
            return out + self._delta({"type": "text_delta", "text": event.text})
        if isinstance(event, ReasoningDelta):
            out = self._ensure("thinking", 0, {"type": "thinking", "thinking": "", "signature": ""})
            if event.text:
                out += self._delta({"type": "thinking_delta", "thinking": event.text})
            if event.signature:
                out += self._delta({"type": "signature_delta", "signature": event.signature})
            return out
        if isinstance(event, ToolCallStart):
            block = {
                "type": "tool_use",
                "id": tool_use_id(event.id),
                "name": event.name,
                "input": {},
            }
            out = self._close() + self._open_block("tool", event.index, block)
            self._tool_blocks[event.index] = self._next_block - 1
            return out
        if isinstance(event, ToolCallDelta) and event.arguments:
            index = self._tool_blocks.get(event.index)
            if index is None:
                return b""
            delta = {"type": "input_json_delta", "partial_json": event.arguments}
            return frame(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        return b""

    def _ensure(self, kind: str, position: int, block: dict[str, Any]) -> bytes:
        if self._open == (kind, position):
            return b""
        return self._close() + self._open_block(kind, position, block)

    def _open_block(self, kind: str, position: int, block: dict[str, Any]) -> bytes:
        index = self._next_block
        self._next_block += 1
        self._open = (kind, position)
        out = frame(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )
        if not self._pinged:
            self._pinged = True
            out += frame("ping", {"type": "ping"})
        return out

    def _delta(self, delta: dict[str, Any]) -> bytes:
        index = self._next_block - 1
        return frame(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        )

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        index = self._next_block - 1
        return frame("content_block_stop", {"type": "content_block_stop", "index": index})
