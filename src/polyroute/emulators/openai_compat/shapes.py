"""Response bodies in each provider's exact shape: ids, usage objects, messages, logprobs."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polyroute.emulators.openai_compat.generation import Choice, Reply, ToolCall, Usage
from polyroute.emulators.openai_compat.profiles import ModelCard, Profile

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


COMPLETION_IDS: dict[str, Callable[[], str]] = {
    "openai": lambda: "chatcmpl-" + _rand(29),
    "hex32": lambda: uuid.uuid4().hex,
    "uuid": lambda: f"chatcmpl-{uuid.uuid4()}",
    "openrouter": lambda: f"gen-{int(time.time())}-{_rand(20)}",
    "vllm": lambda: "chatcmpl-" + uuid.uuid4().hex,
}
REQUEST_IDS: dict[str, Callable[[str], str]] = {
    "x-request-id": lambda _: "req_" + uuid.uuid4().hex,
    "mistral-correlation-id": lambda _: str(uuid.uuid4()),
    "inference-id": lambda completion_id: completion_id or f"chatcmpl-{uuid.uuid4()}",
}


@dataclass(frozen=True, slots=True)
class Context:
    """Per-response constants shared by the body and every stream chunk."""

    profile: Profile
    card: ModelCard
    body: dict[str, Any]
    id: str
    created: int
    groq_request_id: str

    @classmethod
    def new(cls, profile: Profile, card: ModelCard, body: dict[str, Any]) -> Context:
        rid = COMPLETION_IDS[profile.completion_ids]()
        return cls(profile, card, body, rid, int(time.time()), "req_" + _rand(26).lower())

    @property
    def model_name(self) -> str:
        return self.card.snapshot or self.card.id

    @property
    def fingerprint(self) -> str:
        seed = self.body.get(self.profile.seed_field)
        digest = hashlib.sha256(f"{self.card.id}:{seed}".encode()).hexdigest()
        return "fp_" + digest[:10]

    def header(self, obj: str) -> dict[str, Any]:
        """The keys every body / chunk starts with, in the provider's order."""
        if self.profile.usage_shape == "openrouter":
            return {
                "id": self.id,
                "provider": "Emulator",
                "model": self.model_name,
                "object": obj,
                "created": self.created,
            }
        head: dict[str, Any] = {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.model_name,
        }
        if self.profile.service_tier:
            head["service_tier"] = "default"
        if self.profile.system_fingerprint:
            head["system_fingerprint"] = self.fingerprint
        return head


def usage_body(ctx: Context, usage: Usage, *, in_stream: bool = False) -> dict[str, Any]:
    shape = ctx.profile.usage_shape
    base: dict[str, Any] = {
        "prompt_tokens": usage.prompt,
        "completion_tokens": usage.completion,
        "total_tokens": usage.total,
    }
    if shape in ("openai", "xai"):
        base["prompt_tokens_details"] = {"cached_tokens": usage.cached, "audio_tokens": 0}
        base["completion_tokens_details"] = {
            "reasoning_tokens": usage.reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        }
    elif shape == "mistral" and (usage.cached or not in_stream):
        # recorded Mistral streams carry no prompt_tokens_details when nothing was cached
        base["prompt_tokens_details"] = {"cached_tokens": usage.cached}
    elif shape == "openrouter":
        return _openrouter_usage(base, usage)
    elif shape in ("groq", "cerebras"):
        if usage.cached:
            base["prompt_tokens_details"] = {"cached_tokens": usage.cached}
        if usage.reasoning:
            base["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning}
        if shape == "groq":
            base = {**timings(usage), **base}
    elif shape == "deepinfra":
        base["estimated_cost"] = round(usage.total * 2e-8, 10)
    return base


def timings(usage: Usage) -> dict[str, float]:
    prompt_time, completion_time = usage.prompt * 1e-5, usage.completion * 2e-4
    return {
        "queue_time": 0.01,
        "prompt_time": round(prompt_time, 9),
        "completion_time": round(completion_time, 9),
        "total_time": round(prompt_time + completion_time, 9),
    }


def groq_usage(usage: Usage) -> dict[str, Any]:
    t = timings(usage)
    return {
        "queue_time": t["queue_time"],
        "prompt_tokens": usage.prompt,
        "prompt_time": t["prompt_time"],
        "completion_tokens": usage.completion,
        "completion_time": t["completion_time"],
        "total_tokens": usage.total,
        "total_time": t["total_time"],
    }


def _openrouter_usage(base: dict[str, Any], usage: Usage) -> dict[str, Any]:
    prompt_cost = round(usage.prompt * 1.5e-7, 9)
    completion_cost = round(usage.completion * 6e-7, 9)
    return {
        **base,
        "cost": round(prompt_cost + completion_cost, 9),
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": usage.cached, "audio_tokens": 0},
        "cost_details": {
            "upstream_inference_cost": None,
            "upstream_inference_prompt_cost": prompt_cost,
            "upstream_inference_completions_cost": completion_cost,
        },
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning, "image_tokens": 0},
    }


def time_info(ctx: Context, usage: Usage) -> dict[str, float]:
    return {**timings(usage), "created": float(ctx.created)}


def tool_call_body(ctx: Context, call: ToolCall, index: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }
    if index is not None:
        out["index"] = index
    return out


def logprobs_for(pieces: list[str], top: int) -> dict[str, Any]:
    def entry(token: str, rank: int) -> dict[str, Any]:
        lp = -round((len(token) % 7 + rank * 3 + 1) / 97, 6)
        return {"token": token, "logprob": lp, "bytes": list(token.encode())}

    content = [
        {**entry(p, 0), "top_logprobs": [entry(p if r == 0 else f"{p}{r}", r) for r in range(top)]}
        for p in pieces
    ]
    return {"content": content, "refusal": None}


def wants_logprobs(ctx: Context) -> bool:
    return ctx.profile.logprobs and bool(ctx.body.get("logprobs"))


def _message(ctx: Context, choice: Choice) -> dict[str, Any]:
    shape = ctx.profile.usage_shape
    calls = [
        tool_call_body(ctx, c, i if shape == "mistral" else None)
        for i, c in enumerate(choice.tool_calls)
    ]
    content: str | None = choice.text
    if calls and shape != "mistral":
        content = None
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if shape == "mistral":
        msg["tool_calls"] = calls or None
        return msg
    if calls:
        msg["tool_calls"] = calls
    if shape in ("openai", "openrouter"):
        msg["refusal"] = None
    if shape == "openai":
        msg["annotations"] = []
    if shape == "openrouter":
        msg["reasoning"] = None
    return msg


def chat_body(ctx: Context, reply: Reply, obj: str = "chat.completion") -> dict[str, Any]:
    choices = []
    for choice in reply.choices:
        out: dict[str, Any] = {"index": choice.index, "message": _message(ctx, choice)}
        if wants_logprobs(ctx):
            top = int(ctx.body.get("top_logprobs") or 0)
            out["logprobs"] = logprobs_for(choice.pieces, top)
        elif ctx.profile.stream.logprobs_key and ctx.profile.null_logprobs_in_body:
            out["logprobs"] = None
        out["finish_reason"] = choice.finish_reason
        if ctx.profile.stream.native_finish_reason:
            out["native_finish_reason"] = choice.finish_reason
        choices.append(out)
    body = {**ctx.header(obj), "choices": choices, "usage": usage_body(ctx, reply.usage)}
    if ctx.profile.stream.time_info:
        body["time_info"] = time_info(ctx, reply.usage)
    if ctx.profile.stream.groq_ids:
        body["usage_breakdown"] = {"models": None}
        body["x_groq"] = {"id": ctx.groq_request_id}
    return body
