"""SSE chunk sequences in each provider's framing (see ``StreamStyle``)."""

from __future__ import annotations

import secrets
from typing import Any

import orjson

from polyroute.emulators.faults import StreamPlan
from polyroute.emulators.openai_compat import errors
from polyroute.emulators.openai_compat.generation import Choice, Reply
from polyroute.emulators.openai_compat.shapes import (
    Context,
    groq_usage,
    logprobs_for,
    time_info,
    usage_body,
    wants_logprobs,
)

DONE = b"data: [DONE]\n\n"
_ARG_FRAGMENT = 8
_OBFUSCATION = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


class _Builder:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.style = ctx.profile.stream
        opts = ctx.body.get("stream_options") or {}
        self.include_usage = bool(opts.get("include_usage"))
        self.obfuscate = self.style.obfuscation and opts.get("include_obfuscation", True)
        self.chunks: list[dict[str, Any]] = []

    def _choice(self, index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"index": index, "delta": delta}
        if self.style.native_finish_reason:
            out.update(finish_reason=finish, native_finish_reason=finish, logprobs=None)
            return out
        if self.style.logprobs_key:
            out["logprobs"] = None
        out["finish_reason"] = finish
        return out

    def add(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        chunk = {**self.ctx.header("chat.completion.chunk"), "choices": choices}
        if self.include_usage and self.style.usage_null_on_chunks:
            chunk["usage"] = None
        chunk.update(extra)
        self.chunks.append(chunk)
        return chunk

    def first_delta(self, choice: Choice) -> dict[str, Any]:
        delta: dict[str, Any] = {"role": "assistant", "content": ""}
        if choice.tool_calls and not self.style.tool_calls_whole:
            call = choice.tool_calls[0]
            delta["content"] = None
            delta["tool_calls"] = [_call_head(0, call.id, call.name)]
        if self.style.refusal_in_first_delta:
            delta["refusal"] = None
        return delta

    def choice_chunks(self, choice: Choice) -> None:
        i = choice.index
        first = self.add([self._choice(i, self.first_delta(choice), None)])
        if self.style.groq_ids and not self.chunks[:-1]:
            first["x_groq"] = {"id": self.ctx.groq_request_id}
        top = int(self.ctx.body.get("top_logprobs") or 0)
        for piece in choice.pieces:
            c = self._choice(i, {"content": piece}, None)
            if wants_logprobs(self.ctx):
                c["logprobs"] = logprobs_for([piece], top)
            self.add([c])
        for k, call in enumerate(choice.tool_calls):
            if self.style.tool_calls_whole:
                whole = {
                    **_call_head(k, call.id, call.name),
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                self.add([self._choice(i, {"tool_calls": [whole]}, None)])
                continue
            if k:
                self.add(
                    [self._choice(i, {"tool_calls": [_call_head(k, call.id, call.name)]}, None)]
                )
            args = call.arguments
            for start in range(0, len(args), _ARG_FRAGMENT):
                frag = {"index": k, "function": {"arguments": args[start : start + _ARG_FRAGMENT]}}
                self.add([self._choice(i, {"tool_calls": [frag]}, None)])
        self.add([self._choice(i, dict(self.style.finish_delta), choice.finish_reason)])

    def finish(self, reply: Reply) -> None:
        usage = usage_body(self.ctx, reply.usage, in_stream=True)
        last = self.chunks[-1]
        mode = self.style.usage
        if mode == "last_chunk":
            last["usage"] = usage
            if self.style.time_info:
                last["time_info"] = time_info(self.ctx, reply.usage)
        elif mode == "x_groq":
            last["x_groq"] = {"id": self.ctx.groq_request_id, "usage": groq_usage(reply.usage)}
            if self.include_usage:
                self.add([], usage=usage, x_groq={"id": self.ctx.groq_request_id})
        elif mode == "always_final":
            delta = {"role": "assistant", "content": ""}
            self.add([self._choice(0, delta, None)], usage=usage)
        elif self.include_usage:
            self.add([], usage=usage)
        if self.obfuscate:
            for chunk in self.chunks:
                chunk["obfuscation"] = "".join(
                    secrets.choice(_OBFUSCATION) for _ in range(4 + len(chunk["choices"]) * 6)
                )


def _call_head(index: int, call_id: str, name: str) -> dict[str, Any]:
    return {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": ""},
    }


def chunks(ctx: Context, reply: Reply) -> list[dict[str, Any]]:
    builder = _Builder(ctx)
    for choice in reply.choices:
        builder.choice_chunks(choice)
    builder.finish(reply)
    return builder.chunks


def _error_event(ctx: Context, reply: Reply) -> bytes:
    """The provider's in-stream error (OpenRouter's is a chunk with a top-level ``error``)."""
    profile = ctx.profile
    if profile.usage_shape != "openrouter":
        return frame(errors.render(profile, errors.for_status(profile, 500, ctx.card.id)))
    head = ctx.header("chat.completion.chunk")
    choice = {
        "index": 0,
        "delta": {"role": "assistant", "content": ""},
        "finish_reason": None,
        "native_finish_reason": None,
        "logprobs": None,
    }
    chunk = {
        "id": head["id"],
        "provider": head["provider"],
        "error": {"code": 502, "message": "Provider returned error"},
        "model": head["model"],
        "object": head["object"],
        "created": head["created"],
        "choices": [choice],
        "usage": usage_body(ctx, reply.usage, in_stream=True),
    }
    return frame(chunk)


def stream_plan(ctx: Context, reply: Reply) -> StreamPlan:
    return StreamPlan(
        events=[frame(c) for c in chunks(ctx, reply)],
        terminator=DONE,
        error_event=_error_event(ctx, reply),
        keepalive=ctx.profile.stream.keepalive,
        keepalive_every=5 if ctx.profile.stream.keepalive else 0,
    )
