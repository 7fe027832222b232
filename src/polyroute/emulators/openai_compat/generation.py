"""Deterministic answers, derived only from the request (wire-neutral).

Rules (documented because tests and the gateway's cost checks rely on them):

- Text reply: ``You said: <first 80 chars of the last user message>.`` plus two fixed
  sentences; after a tool result, ``The tool returned: <result>.`` plus one sentence.
  A completion token is one word piece (``re.findall(r" ?[^ ]+")``), which is also one
  stream chunk.
- Prompt tokens: ceil(characters of all message text and tool definitions / 4) + 3 per
  message + 85 per image part.
- Cached prompt tokens: prompts of >= 1024 tokens report ``prompt_tokens // 128 * 128``;
  shorter prompts sent with ``prompt_cache_key`` report ``prompt_tokens // 2``; else 0.
- Reasoning models add ``reasoning_tokens = 2 * visible completion tokens`` (min 8) to
  ``completion_tokens``.
- Tools: called when tools are given, ``tool_choice`` is not ``none`` and either it forces
  a call or the last message is the user's. Two calls are emitted when
  ``parallel_tool_calls`` is not false and the user text says "parallel" or names two tools.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from polyroute.emulators.openai_compat.profiles import ModelCard, Profile
from polyroute.emulators.openai_compat.schema_instance import instance_for

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_TOOL_IDS = {  # prefix, length, alphabet
    "openai": ("call_", 24, _ALNUM),
    "groq": ("call_", 24, "abcdefghijklmnopqrstuvwxyz0123456789"),
    "mistral": ("", 9, _ALNUM),
    "cerebras": ("", 9, "0123456789abcdef"),
    "plain": ("call_", 24, _ALNUM),
}


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(slots=True)
class Choice:
    index: int
    pieces: list[str]
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"

    @property
    def text(self) -> str:
        return "".join(self.pieces)


@dataclass(slots=True)
class Usage:
    prompt: int
    completion: int
    cached: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion


@dataclass(slots=True)
class Reply:
    choices: list[Choice]
    usage: Usage


def new_tool_id(style: str) -> str:
    prefix, length, alphabet = _TOOL_IDS[style]
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def split_pieces(text: str) -> list[str]:
    return re.findall(r"\s*\S+|\s+$", text)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


def _images_in(content: Any) -> int:
    if not isinstance(content, list):
        return 0
    return sum(1 for p in content if isinstance(p, dict) and p.get("type") == "image_url")


def prompt_tokens(body: dict[str, Any]) -> int:
    messages = body.get("messages") or []
    chars = sum(len(_text_of(m.get("content"))) for m in messages if isinstance(m, dict))
    chars += len(json.dumps(body.get("tools"))) if body.get("tools") else 0
    chars += len(str(body.get("prompt", ""))) + len(str(body.get("suffix") or ""))
    images = sum(_images_in(m.get("content")) for m in messages if isinstance(m, dict))
    return math.ceil(chars / 4) + 3 * len(messages) + 85 * images


def cached_tokens(body: dict[str, Any], prompt: int) -> int:
    if prompt >= 1024:
        return prompt // 128 * 128
    return prompt // 2 if body.get("prompt_cache_key") else 0


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user":
            return _text_of(msg.get("content"))
    return ""


def _answer_text(profile: Profile, messages: list[dict[str, Any]]) -> str:
    last = messages[-1]
    if last.get("role") == "tool":
        result = _text_of(last.get("content"))[:200]
        return f"The tool returned: {result}. That is the final answer."
    said = " ".join(_last_user_text(messages).split())[:80].rstrip(".!? ")
    return (
        f"You said: {said}. This is a deterministic reply from the {profile.name} emulator. "
        "It has several sentences so that a stream carries several chunks."
    )


def _json_text(body: dict[str, Any], text: str) -> str | None:
    fmt = body.get("response_format") or {}
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_object":
        return json.dumps({"answer": text})
    if kind == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {"type": "object"}
        return json.dumps(instance_for(schema, schema, hint=text[:40]))
    return None


def _tool_names(profile: Profile, body: dict[str, Any]) -> list[str]:
    tools = [t["function"]["name"] for t in body.get("tools") or []]
    choice = body.get("tool_choice", "auto")
    messages = body["messages"]
    if not tools or choice == "none":
        return []
    if isinstance(choice, dict):
        return [choice["function"]["name"]]
    if choice not in profile.required_tool_choices and messages[-1].get("role") != "user":
        return []
    user = _last_user_text(messages)
    mentioned = [name for name in tools if name in user]
    wants_two = "parallel" in user.lower() or len(mentioned) >= 2
    if body.get("parallel_tool_calls", True) is not False and wants_two:
        ordered = mentioned + [t for t in tools if t not in mentioned]
        return (ordered * 2)[:2]
    return [mentioned[0] if mentioned else tools[0]]


def _tool_calls(profile: Profile, body: dict[str, Any], names: list[str]) -> list[ToolCall]:
    schemas = {t["function"]["name"]: t["function"].get("parameters") for t in body["tools"]}
    hint = _last_user_text(body["messages"]).split()[-1:] or ["example"]
    calls = []
    for name in names:
        schema = schemas.get(name) or {"type": "object", "properties": {}}
        args = instance_for(schema, schema, hint=hint[0].strip(".,!?"))
        calls.append(ToolCall(new_tool_id(profile.tool_ids), name, json.dumps(args)))
    return calls


def _limit(body: dict[str, Any], profile: Profile) -> int | None:
    for name in profile.max_tokens_fields:
        if isinstance(body.get(name), int):
            return int(body[name])
    return None


def _finish_text(text: str, body: dict[str, Any], profile: Profile) -> tuple[list[str], str]:
    finish = "stop"
    stops = body.get("stop") or []
    for stop in [stops] if isinstance(stops, str) else stops:
        at = text.find(stop) if stop else -1
        if at >= 0:
            text = text[:at]
    pieces = split_pieces(text)
    limit = _limit(body, profile)
    if limit is not None and len(pieces) > limit:
        pieces, finish = pieces[:limit], "length"
    return pieces, finish


def _prefilled(messages: list[dict[str, Any]]) -> str | None:
    """The text of a trailing ``prefix: true`` assistant message (Mistral's prefill)."""
    last = messages[-1] if messages else {}
    if last.get("role") == "assistant" and last.get("prefix") is True:
        return _text_of(last.get("content"))
    return None


def _continue(prefix: str, answer: str) -> str:
    """Mistral answers a prefix with the prefix itself followed by its continuation."""
    rest = answer[len(prefix) :] if answer.startswith(prefix) else " " + answer
    return prefix + rest


def generate_chat(
    profile: Profile, card: ModelCard, body: dict[str, Any], *, content_filter: bool = False
) -> Reply:
    messages = body["messages"]
    prefix = _prefilled(messages)
    if prefix is not None:
        messages = messages[:-1]
    names = [] if prefix is not None else _tool_names(profile, body)
    text = _answer_text(profile, messages)
    text = _json_text(body, text) or text
    if prefix is not None:
        text = _continue(prefix, text)
    choices = []
    for index in range(int(body.get("n") or 1)):
        if names:
            calls = _tool_calls(profile, body, names)
            choices.append(Choice(index, [], calls, "tool_calls"))
            continue
        pieces, finish = _finish_text(text, body, profile)
        if content_filter:
            pieces, finish = pieces[: len(pieces) // 2], "content_filter"
        choices.append(Choice(index, pieces, finish_reason=finish))
    return Reply(choices, _usage(card, body, choices))


def _usage(card: ModelCard, body: dict[str, Any], choices: list[Choice]) -> Usage:
    visible = sum(len(c.pieces) for c in choices)
    visible += sum(math.ceil(len(t.arguments) / 4) + 5 for c in choices for t in c.tool_calls)
    reasoning = max(8, 2 * visible) if card.reasoning else 0
    prompt = prompt_tokens(body)
    return Usage(prompt, visible + reasoning, cached_tokens(body, prompt), reasoning)


def generate_fim(profile: Profile, card: ModelCard, body: dict[str, Any]) -> Reply:
    prompt, suffix = str(body["prompt"]), str(body.get("suffix") or "")
    text = f"\n    # filled in by the emulator ({len(prompt)} chars before, {len(suffix)} after)\n"
    text += "    return None\n"
    pieces, finish = _finish_text(text, body, profile)
    choices = [Choice(0, pieces, finish_reason=finish)]
    return Reply(choices, _usage(card, body, choices))
