"""``streamGenerateContent?alt=sse`` chunks to canonical stream events.

Each SSE event is a whole ``GenerateContentResponse`` holding the *new* parts of each
candidate. The decoder emits:

* ``StreamStart`` once, from the first chunk's ``responseId`` / ``modelVersion``;
* ``TextDelta`` per text part, ``ReasoningDelta`` per ``thought: true`` part;
* per ``functionCall`` part (Gemini sends whole calls): a ``ToolCallStart`` and one
  ``ToolCallDelta`` carrying all the arguments. A call's ``thoughtSignature`` travels as an
  empty-text ``ReasoningDelta`` with the signature just before its ``ToolCallStart``, the
  only slot canonical stream events have for it; ``contents.py`` reads it back from there
  (signatures on plain text parts are not replayed: Gemini validates only call signatures);
* ``Finish`` when a candidate carries ``finishReason``;
* one ``UsageReport`` from ``end()``: every chunk carries *cumulative* ``usageMetadata``,
  so only the last one counts (summing would multiply the prompt).

There is no ``[DONE]``: the body simply ends. ``finished`` tells the adapter whether every
candidate that started also finished, i.e. whether the body was whole.
"""

from __future__ import annotations

import time
from typing import Any

from polyroute.canonical import (
    Finish,
    ReasoningDelta,
    StreamEvent,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    UsageReport,
)
from polyroute.wire.gemini.contents import SIGNATURE_KEY
from polyroute.wire.gemini.responses import (
    args_text,
    blocked_prompt,
    call_id,
    decode_finish,
    decode_logprobs,
    decode_usage,
)


class GeminiStreamDecoder:
    def __init__(self, provider: str = "gemini") -> None:
        self.provider = provider
        self._started = False
        self._response_id = ""
        self._calls: dict[int, int] = {}  # candidate -> tool calls seen so far
        self._open: set[int] = set()
        self._finished: set[int] = set()
        self._usage: dict[str, Any] | None = None

    @property
    def started(self) -> bool:
        return self._started

    @property
    def finished(self) -> bool:
        """Some candidate finished, and every candidate that started did."""
        return bool(self._finished) and self._open <= self._finished

    def decode(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        """Events for one chunk. Raises ``UpstreamError`` for a blocked prompt."""
        blocked = blocked_prompt(chunk, self.provider)
        if blocked is not None:
            raise blocked
        events: list[StreamEvent] = []
        if not self._started:
            self._started = True
            self._response_id = chunk.get("responseId") or ""
            model = chunk.get("modelVersion") or ""
            # Gemini sends no creation time; OpenAI clients read ``created`` as one.
            events.append(StreamStart(self._response_id, model, int(time.time())))
        for position, candidate in enumerate(chunk.get("candidates") or []):
            if isinstance(candidate, dict):
                events.extend(self._candidate(candidate, position))
        usage = chunk.get("usageMetadata")
        if isinstance(usage, dict):
            self._usage = usage
        return events

    def end(self) -> list[StreamEvent]:
        """The events owed once the body ended whole: the final usage."""
        return [UsageReport(decode_usage(self._usage))] if self._usage is not None else []

    def _candidate(self, raw: dict[str, Any], position: int) -> list[StreamEvent]:
        index = raw.get("index")
        choice = index if isinstance(index, int) else position
        self._open.add(choice)
        events: list[StreamEvent] = []
        logprobs = decode_logprobs(raw.get("logprobsResult"))
        content = raw.get("content") or {}
        for part in content.get("parts") or []:
            if isinstance(part, dict):
                events.extend(self._part(part, choice, logprobs))
                logprobs = None  # a chunk's logprobs belong with its first text
        reason = raw.get("finishReason")
        if reason:
            has_calls = self._calls.get(choice, 0) > 0
            finish = decode_finish(reason, has_calls=has_calls)
            if finish is not None and choice not in self._finished:
                self._finished.add(choice)
                events.append(Finish(finish, choice))
        return events

    def _part(self, part: dict[str, Any], choice: int, logprobs: Any) -> list[StreamEvent]:
        signature = part.get(SIGNATURE_KEY)
        signature = signature if isinstance(signature, str) else None
        call = part.get("functionCall")
        if isinstance(call, dict):
            return self._call(call, choice, signature)
        text = part.get("text")
        if not isinstance(text, str):
            return []
        if part.get("thought"):
            return [ReasoningDelta(text, choice, signature)]
        # A signature on plain text is not replayed from streams: Gemini validates only
        # function-call signatures, and the one slot streams have is kept for those.
        return [TextDelta(text, choice, logprobs)] if text else []

    def _call(self, call: dict[str, Any], choice: int, signature: str | None) -> list[StreamEvent]:
        position = self._calls.get(choice, 0)
        self._calls[choice] = position + 1
        name = call.get("name") or ""
        arguments = args_text(call.get("args"))
        given = call.get("id")
        ident = (
            given
            if isinstance(given, str) and given
            else call_id(self._response_id, choice, position, name, arguments)
        )
        events: list[StreamEvent] = []
        if signature:
            events.append(ReasoningDelta("", choice, signature))
        events.append(ToolCallStart(position, ident, name, choice))
        events.append(ToolCallDelta(position, arguments, choice))
        return events


def stream_error(chunk: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """``(status, body)`` of an ``{"error": {...}}`` object sent inside the stream."""
    error = chunk.get("error")
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    return (code if isinstance(code, int) else 500), chunk
