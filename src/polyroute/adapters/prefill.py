"""Continuing a trailing assistant message (prefill) without repeating what was sent.

Providers differ in what they send back for a prefilled assistant turn: Mistral repeats the
prefix before its continuation (``OpenAIDialect.assistant_prefix_echoed``); Anthropic sends
only the continuation, but refuses a prefix ending in white space, so that white space is
trimmed from the request and comes back at the start of the continuation. Either way the
client already holds that text: ``strip_echo`` removes it from the answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

from polyroute.canonical import ChatRequest, ChatResponse, StreamEvent, TextDelta, TextPart


def prefix_text(request: ChatRequest) -> str | None:
    """The text of a trailing assistant message to continue, if the request has one."""
    last = request.messages[-1] if request.messages else None
    if last is None or last.role != "assistant" or not last.prefix:
        return None
    return last.text()


def trailing_space(text: str) -> str:
    return text[len(text.rstrip()) :]


async def strip_echo(events: AsyncIterator[StreamEvent], echo: str) -> AsyncIterator[StreamEvent]:
    """Drop ``echo`` from the start of choice 0's streamed text, if it is there."""
    remaining = echo
    async for event in events:
        if remaining and isinstance(event, TextDelta) and event.choice == 0:
            if event.text.startswith(remaining):
                event = dataclasses.replace(event, text=event.text[len(remaining) :])
                remaining = ""
            elif remaining.startswith(event.text):
                remaining = remaining[len(event.text) :]
                continue
            else:
                remaining = ""
            if not event.text:
                continue
        yield event


def strip_echo_response(response: ChatResponse, echo: str) -> ChatResponse:
    if not echo or not response.choices:
        return response
    parts = response.choices[0].message.parts
    for i, part in enumerate(parts):
        if isinstance(part, TextPart):
            if part.text.startswith(echo):
                parts[i] = dataclasses.replace(part, text=part.text[len(echo) :])
            break
    return response
