"""Applies a provider's declared ``OpenAIDialect`` to a reference OpenAI request body.

Everything a provider does differently from OpenAI's own API is a field of its dialect;
this module is the only code that reads those fields, so no other module names a provider.
"""

from __future__ import annotations

import hashlib
from typing import Any

from polyroute.canonical import ChatRequest, EmbeddingRequest, FimRequest
from polyroute.providers.spec import OpenAIDialect, ToolCallIdRule

# Canonical fields and the reference-OpenAI body keys that carry them.
_CANONICAL_KEYS = {
    "logprobs": ("logprobs",),
    "top_logprobs": ("top_logprobs",),
    "user": ("user",),
    "top_k": ("top_k",),
    "n": ("n",),
    "seed": ("seed",),
}


def short_tool_call_id(original: str, rule: ToolCallIdRule) -> str:
    """A stable id of the provider's required form for any client id.

    Deterministic, so the assistant's call and the tool result that answers it map to the
    same id in every turn and on every replica, with no state to keep.
    """
    if len(original) == rule.length and all(c in rule.alphabet for c in original):
        return original
    digest = int.from_bytes(hashlib.blake2b(original.encode(), digest_size=16).digest(), "big")
    base = len(rule.alphabet)
    chars = []
    for _ in range(rule.length):
        digest, rest = divmod(digest, base)
        chars.append(rule.alphabet[rest])
    return "".join(chars)


def dropped_params(request: ChatRequest, dialect: OpenAIDialect) -> list[str]:
    """Request fields this provider cannot take; the gateway reports them in a header."""
    dropped = [
        name
        for name in dialect.unsupported
        if name in _CANONICAL_KEYS and getattr(request, name, None) not in (None, False)
    ]
    dropped.extend(_unknown(request.extra, dialect, dialect.known_fields))
    # What _apply_message_rules takes out of messages.
    if not dialect.message_name_field and any(
        m.name and m.role != "tool" for m in request.messages
    ):
        dropped.append("messages.name")
    if not dialect.assistant_prefix and any(m.prefix for m in request.messages):
        dropped.append("messages.prefix")
    return sorted(dropped)


def dropped_embedding_params(request: EmbeddingRequest, dialect: OpenAIDialect) -> list[str]:
    dropped = _unknown(request.extra, dialect, dialect.embedding_fields)
    if request.user is not None and not dialect.embedding_accepts_user:
        dropped.append("user")
    if request.dimensions is not None and not dialect.embedding_dimensions_field:
        dropped.append("dimensions")
    return sorted(dropped)


def dropped_fim_params(request: FimRequest, dialect: OpenAIDialect) -> list[str]:
    return sorted(_unknown(request.extra, dialect, dialect.fim_fields))


def _unknown(extra: dict[str, Any], dialect: OpenAIDialect, known: frozenset[str]) -> list[str]:
    return [] if dialect.accepts_unknown_fields else [k for k in extra if k not in known]


def apply_chat_dialect(
    body: dict[str, Any], request: ChatRequest, dialect: OpenAIDialect, *, stream: bool
) -> dict[str, Any]:
    """Turn a reference OpenAI chat body into this provider's dialect, in place."""
    for name in dialect.unsupported:
        for key in _CANONICAL_KEYS.get(name, (name,)):
            body.pop(key, None)
    _forward_extra(body, request.extra, dialect, dialect.known_fields)
    _rename(body, "seed", dialect.seed_field)
    if "max_completion_tokens" in body or "max_tokens" in body:
        value = body.pop("max_completion_tokens", None) or body.pop("max_tokens", None)
        body[dialect.max_tokens_field] = value
    if body.get("tool_choice") == "required":
        body["tool_choice"] = dialect.required_tool_choice
    _apply_message_rules(body["messages"], dialect)
    body.pop("stream_options", None)
    if stream:
        body["stream"] = True
        if dialect.stream_usage_opt_in:
            # Always ask: the gateway must know what a stream cost even when the client
            # did not ask to see usage (the client's stream hides the usage chunk).
            body["stream_options"] = {"include_usage": True}
    else:
        body.pop("stream", None)
    return body


def apply_fim_dialect(body: dict[str, Any], extra: dict[str, Any], dialect: OpenAIDialect) -> None:
    _forward_extra(body, extra, dialect, dialect.fim_fields)


def apply_embedding_dialect(
    body: dict[str, Any], extra: dict[str, Any], dialect: OpenAIDialect
) -> None:
    _forward_extra(body, extra, dialect, dialect.embedding_fields)
    if dialect.embedding_dimensions_field:
        _rename(body, "dimensions", dialect.embedding_dimensions_field)
    else:
        body.pop("dimensions", None)
    if not dialect.embedding_accepts_user:
        body.pop("user", None)


def _forward_extra(
    body: dict[str, Any], extra: dict[str, Any], dialect: OpenAIDialect, known: frozenset[str]
) -> None:
    for key, value in extra.items():
        if dialect.accepts_unknown_fields or key in known:
            body[key] = value
        else:
            body.pop(key, None)


def _rename(body: dict[str, Any], old: str, new: str) -> None:
    if old != new and old in body:
        body[new] = body.pop(old)


def _apply_message_rules(messages: list[dict[str, Any]], dialect: OpenAIDialect) -> None:
    if dialect.tool_call_ids is not None:
        _remap_tool_call_ids(messages, dialect.tool_call_ids)
    for message in messages:
        if not dialect.message_name_field and message.get("role") != "tool":
            message.pop("name", None)
        if not dialect.assistant_prefix:
            message.pop("prefix", None)


def _remap_tool_call_ids(messages: list[dict[str, Any]], rule: ToolCallIdRule) -> None:
    for message in messages:
        for call in message.get("tool_calls") or ():
            call["id"] = short_tool_call_id(call["id"], rule)
        if message.get("tool_call_id"):
            message["tool_call_id"] = short_tool_call_id(message["tool_call_id"], rule)
