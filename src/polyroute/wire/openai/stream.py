"""``chat.completion.chunk`` streams, both directions. This is the hot path.

``ChunkDecoder`` turns one upstream stream's parsed chunks into canonical events, whatever
the provider of the family. ``ChunkEncoder`` writes canonical events as the exact SSE frames
OpenAI sends: it serialises each chunk's fixed identity once, at ``StreamStart``, and per
event only the choice that changed.

Usage rule (decoder): providers report usage in different places and some more than once
(Groq's ``x_groq.usage`` on the finish chunk and, with ``include_usage``, top-level
``usage`` again; vLLM's continuous usage on every chunk). The decoder emits a
``UsageReport`` whenever a chunk carries usage that differs from the last one it reported,
never the same counts twice; the last ``UsageReport`` of a stream is the complete one.
The encoder keeps only the latest and sends it once, as OpenAI's final ``choices: []``
chunk, from ``done()``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from polyroute.canonical import (
    DeltaFields,
    Finish,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
    UsageReport,
)
from polyroute.wire.openai.errors import decode_stream_error, encode_error
from polyroute.wire.openai.responses import (
    MESSAGE_READ,
    OPENAI_FINISH,
    RESPONSE_READ,
    arguments_text,
    content_parts,
    decode_finish,
    encode_usage,
    new_call_id,
    reasoning_of,
    signature_of,
    unread_fields,
    usage_of,
)

_CHUNK_READ = RESPONSE_READ | {"error", "x_groq", "obfuscation", "time_info"}
"""What a first chunk holds that is not passed on with the stream's identity: what the
decoder reads, and what changes from chunk to chunk (Groq's ``x_groq`` holds the request id
first and the usage last, ``obfuscation`` is per-chunk padding, Cerebras's ``time_info``).
A delta's fields outside ``MESSAGE_READ`` that are not null become a ``DeltaFields``."""


@dataclass(slots=True)
class _Call:
    index: int
    """Canonical position among the choice's calls."""
    id: str


def _bare_error(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """Mistral, Cerebras and vLLM send an error inside a stream as their plain error body
    (``{"object": "error", "message": ...}``), not as a chunk with an ``error`` key."""
    if "choices" not in chunk and (chunk.get("object") == "error" or "message" in chunk):
        return chunk
    return None


class ChunkDecoder:
    """Decodes one upstream stream; create one per stream."""

    __slots__ = ("_calls", "_counts", "_finished", "_last_call", "_started", "_usage", "provider")

    def __init__(self, provider: str = "upstream") -> None:
        self.provider = provider
        """Named in the ``UpstreamError`` of an in-stream error."""
        self._started = False
        self._calls: dict[tuple[int, int], _Call] = {}
        self._last_call: dict[int, _Call] = {}
        self._counts: dict[int, int] = {}
        self._finished: set[int] = set()
        self._usage: Usage | None = None

    def decode(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        error = chunk.get("error") or _bare_error(chunk)
        if not self._started:
            if error:  # failed before anything started: the adapter raises it
                return [StreamFailure(decode_stream_error(error, self.provider))]
            self._started = True
            events.append(
                StreamStart(
                    id=chunk.get("id") or "",
                    model=chunk.get("model") or "",
                    created=int(chunk.get("created") or 0),
                    system_fingerprint=chunk.get("system_fingerprint"),
                    openai_fields=unread_fields(chunk, _CHUNK_READ),
                )
            )
        for choice in chunk.get("choices") or ():
            self._choice(choice, events)
        if "usage" in chunk or "x_groq" in chunk:
            usage = usage_of(chunk)
            if usage is not None and usage != self._usage:
                self._usage = usage
                events.append(UsageReport(usage))
        if error:
            events.append(StreamFailure(decode_stream_error(error, self.provider)))
        return events

    def _choice(self, choice: dict[str, Any], events: list[StreamEvent]) -> None:
        index = choice.get("index") or 0
        delta = choice.get("delta")
        if delta:
            content = delta.get("content")
            if len(delta) == 1 and type(content) is str and content:  # a token: the hot path
                events.append(TextDelta(content, index, choice.get("logprobs")))
            else:
                self._delta(index, delta, choice.get("logprobs"), events)
        reason = choice.get("finish_reason")
        if reason and index not in self._finished:  # some providers repeat it (OpenRouter)
            self._finished.add(index)
            events.append(Finish(decode_finish(reason) or "stop", index))

    def _delta(
        self, index: int, delta: dict[str, Any], logprobs: Any, events: list[StreamEvent]
    ) -> None:
        reasoning = reasoning_of(delta)
        if reasoning:
            events.append(ReasoningDelta(reasoning, index))
        if "reasoning_details" in delta:  # OpenRouter: a signature to echo back later
            signature = signature_of(delta["reasoning_details"])
            if signature:
                events.append(ReasoningDelta("", index, signature=signature))
        content = delta.get("content")
        if content:
            if isinstance(content, str):
                events.append(TextDelta(content, index, logprobs))
            else:  # Mistral: an array of text / thinking chunks
                for part in content_parts(content):
                    cls = ReasoningDelta if isinstance(part, ReasoningPart) else TextDelta
                    events.append(cls(part.text, index))
        refusal = delta.get("refusal")
        if refusal:
            events.append(TextDelta(refusal, index))
        calls = delta.get("tool_calls")
        if calls:
            self._tool_calls(index, calls, events)
        if not delta.keys() <= MESSAGE_READ:
            fields = {k: v for k, v in delta.items() if k not in MESSAGE_READ and v is not None}
            if fields:
                events.append(DeltaFields(fields, index))

    def _tool_calls(self, choice: int, calls: list[Any], events: list[StreamEvent]) -> None:
        for call in calls:
            if not isinstance(call, dict):
                continue
            wire_index = call.get("index")
            call_id = call.get("id")
            function = call.get("function") or {}
            known = isinstance(wire_index, int)
            slot = self._calls.get((choice, wire_index)) if known else self._last_call.get(choice)
            # A new call: an unseen index, or a different id (providers that send every
            # call whole, with index 0 or none at all).
            if slot is None or (call_id and call_id != slot.id):
                position = self._counts.get(choice, 0)
                self._counts[choice] = position + 1
                slot = _Call(position, call_id or new_call_id())
                if known:
                    self._calls[(choice, wire_index)] = slot
                self._last_call[choice] = slot
                events.append(
                    ToolCallStart(slot.index, slot.id, function.get("name") or "", choice)
                )
            arguments = arguments_text(function.get("arguments"))
            if arguments:
                events.append(ToolCallDelta(slot.index, arguments, choice))


class ChunkEncoder:
    """Encodes canonical events for one client stream in OpenAI's exact SSE format."""

    __slots__ = (
        "_dispatch",
        "_head",
        "_roles",
        "_tail",
        "_usage",
        "include_usage",
        "reasoning_field",
    )

    def __init__(
        self, include_usage: bool, *, reasoning_field: str | None = "reasoning_content"
    ) -> None:
        self.include_usage = include_usage
        """The client asked for ``stream_options.include_usage``: every chunk carries
        ``"usage": null`` and the usage comes in a final ``choices: []`` chunk."""
        self.reasoning_field = reasoning_field
        """The delta field reasoning is shown in; ``None`` hides reasoning."""
        self._head = b""
        self._tail = b'],"usage":null}\n\n' if include_usage else b"]}\n\n"
        self._roles: set[int] = set()
        self._usage: Usage | None = None
        self._dispatch: dict[type, Callable[[Any], bytes]] = {
            TextDelta: self._text,
            ToolCallDelta: self._arguments,
            ReasoningDelta: self._reasoning,
            ToolCallStart: self._call_start,
            Finish: self._finish,
            UsageReport: self._keep_usage,
            StreamStart: self._start,
            StreamFailure: self._failure,
            DeltaFields: self._fields,
        }

    def encode(self, event: StreamEvent) -> bytes:
        """Zero or more complete ``data: {...}\\n\\n`` frames for ``event``."""
        return self._dispatch[type(event)](event)

    @property
    def wants_usage(self) -> bool:
        return self.include_usage and self._usage is not None

    def done(self, cost_usd: str | None = None) -> bytes:
        """The usage chunk (when asked for and known), then ``data: [DONE]``.

        ``cost_usd``, when given, rides in the usage object as polyroute's one extra field.
        """
        if not self.wants_usage:
            return b"data: [DONE]\n\n"
        if not self._head:
            self._begin(StreamStart(id=_new_id(), model="", created=int(time.time())))
        encoded = encode_usage(self._usage)  # type: ignore[arg-type]
        if cost_usd is not None:
            encoded["cost_usd"] = cost_usd
        usage = orjson.dumps(encoded)
        return self._head + b'],"usage":' + usage + b"}\n\ndata: [DONE]\n\n"

    # -- per event --------------------------------------------------------------------

    def _begin(self, event: StreamStart) -> None:
        identity: dict[str, Any] = {
            "id": event.id,
            "object": "chat.completion.chunk",
            "created": event.created,
            "model": event.model,
        }
        if event.openai_fields:  # where OpenAI writes its service_tier
            identity.update(event.openai_fields)
        if event.system_fingerprint is not None:
            identity["system_fingerprint"] = event.system_fingerprint
        self._head = b"data: " + orjson.dumps(identity)[:-1] + b',"choices":['

    def _start(self, event: StreamStart) -> bytes:
        self._begin(event)
        return self._chunk(0, None, None)

    def _chunk(
        self, index: int, delta: dict[str, Any] | None, finish: str | None, logprobs: Any = None
    ) -> bytes:
        frames = b""
        if index not in self._roles:
            if not self._head:
                self._begin(StreamStart(id=_new_id(), model="", created=int(time.time())))
            self._roles.add(index)
            role = {
                "index": index,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
            frames = self._head + orjson.dumps(role) + self._tail
            if delta is None and finish is None:
                return frames
        choice = {
            "index": index,
            "delta": delta or {},
            "logprobs": logprobs,
            "finish_reason": finish,
        }
        return frames + self._head + orjson.dumps(choice) + self._tail

    def _text(self, event: TextDelta) -> bytes:
        return self._chunk(event.choice, {"content": event.text}, None, event.logprobs)

    def _reasoning(self, event: ReasoningDelta) -> bytes:
        if self.reasoning_field is None or not event.text:
            return b""
        return self._chunk(event.choice, {self.reasoning_field: event.text}, None)

    def _call_start(self, event: ToolCallStart) -> bytes:
        call = {
            "index": event.index,
            "id": event.id,
            "type": "function",
            "function": {"name": event.name, "arguments": ""},
        }
        return self._chunk(event.choice, {"tool_calls": [call]}, None)

    def _arguments(self, event: ToolCallDelta) -> bytes:
        call = {"index": event.index, "function": {"arguments": event.arguments}}
        return self._chunk(event.choice, {"tool_calls": [call]}, None)

    def _fields(self, event: DeltaFields) -> bytes:
        return self._chunk(event.choice, event.fields, None)

    def _finish(self, event: Finish) -> bytes:
        return self._chunk(event.choice, {}, OPENAI_FINISH[event.reason])

    def _keep_usage(self, event: UsageReport) -> bytes:
        self._usage = event.usage
        return b""

    def _failure(self, event: StreamFailure) -> bytes:
        return b"data: " + orjson.dumps(encode_error(event.error)) + b"\n\n"


def _new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"
