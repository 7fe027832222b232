"""Chat completion responses and usage, both directions.

Encoding writes exactly OpenAI's ``chat.completion`` object. Decoding tolerates every
member of the family: Mistral content arrays with ``thinking`` chunks, ``reasoning`` /
``reasoning_content`` fields (Groq, OpenRouter, Cerebras, vLLM), missing optional fields,
and each provider's usage variant (``prompt_tokens_details.cached_tokens``,
``cache_write_tokens``, ``completion_tokens_details.reasoning_tokens``, Groq
``x_groq.usage``).

Fields the decoder does not read (OpenAI's ``service_tier`` and a message's
``annotations`` or ``audio``, a provider's own extensions) are kept in the canonical
response's ``openai_fields`` and written back as they came.

Reasoning has no place in OpenAI's schema; polyroute shows it to OpenAI clients as
``message.reasoning_content`` (the DeepSeek / vLLM convention most clients read). A refusal
is a ``TextPart`` whose ``provider_data`` is ``{"refusal": True}``.
"""

from __future__ import annotations

import uuid
from typing import Any

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

FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "model_length": "length",  # Mistral: the context window, not max_tokens, ran out
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}
"""Every finish reason the family sends; anything else is read as ``stop``."""

OPENAI_FINISH: dict[FinishReason, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "error": "stop",  # OpenAI has no such value and its SDK rejects unknown ones
}

REFUSAL: dict[str, Any] = {"refusal": True}


def decode_finish(value: object) -> FinishReason | None:
    if value is None:
        return None
    return FINISH_REASONS.get(value, "stop") if isinstance(value, str) else "stop"


RESPONSE_READ = frozenset(
    {"id", "object", "created", "model", "choices", "usage", "system_fingerprint"}
)
"""What the decoder reads of an answer; the other fields pass on (Groq's ``x_groq`` too: its
request id is what Groq's support asks for)."""
_CHOICE_READ = frozenset({"index", "message", "finish_reason", "logprobs"})
MESSAGE_READ = frozenset(
    {"role", "content", "tool_calls", "refusal", "reasoning_content", "reasoning",
     "reasoning_details"}
)  # fmt: skip
"""What the decoders read of a message, or of a stream's delta (a message in pieces)."""


def unread_fields(obj: dict[str, Any], read: frozenset[str]) -> dict[str, Any] | None:
    """``obj``'s fields outside ``read``, in their order; ``None`` when there are none."""
    if obj.keys() <= read:
        return None
    return {k: v for k, v in obj.items() if k not in read}


# -- usage --------------------------------------------------------------------------------


def _count(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


_USAGE_READ = frozenset(
    {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
     "completion_tokens_details", "cache_write_tokens"}
)  # fmt: skip
_DETAILS_READ = {
    "prompt_tokens_details": frozenset({"cached_tokens", "cache_write_tokens"}),
    "completion_tokens_details": frozenset({"reasoning_tokens"}),
}


def decode_usage(obj: dict[str, Any]) -> Usage:
    prompt_details = obj.get("prompt_tokens_details") or {}
    completion_details = obj.get("completion_tokens_details") or {}
    input_tokens = _count(obj.get("prompt_tokens"))
    if "completion_tokens" in obj:
        output_tokens = _count(obj.get("completion_tokens"))
    else:  # some servers send only prompt and total tokens
        output_tokens = max(0, _count(obj.get("total_tokens")) - input_tokens)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=_count(prompt_details.get("cached_tokens")),
        cache_write_tokens=_count(
            prompt_details.get("cache_write_tokens") or obj.get("cache_write_tokens")
        ),
        reasoning_tokens=_count(completion_details.get("reasoning_tokens")),
        openai_fields=_unread_usage(obj),
    )


def _unread_usage(obj: dict[str, Any]) -> dict[str, Any] | None:
    unread = unread_fields(obj, _USAGE_READ)
    for key, read in _DETAILS_READ.items():
        details = obj.get(key)
        if isinstance(details, dict) and (more := unread_fields(details, read)):
            unread = {**(unread or {}), key: more}
    prompt = obj.get("prompt_tokens_details")
    if isinstance(prompt, dict) and prompt.get("cache_write_tokens") == 0:
        # encode_usage writes the count only when there is one; OpenAI writes its zero too.
        details = {**(unread or {}).get("prompt_tokens_details", {}), "cache_write_tokens": 0}
        unread = {**(unread or {}), "prompt_tokens_details": details}
    return unread


def encode_usage(u: Usage) -> dict[str, Any]:
    prompt_details: dict[str, Any] = {"cached_tokens": u.cached_input_tokens}
    if u.cache_write_tokens:
        prompt_details["cache_write_tokens"] = u.cache_write_tokens
    out: dict[str, Any] = {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    }
    if u.openai_fields:
        for key, value in u.openai_fields.items():
            out[key] = {**out[key], **value} if key in _DETAILS_READ else value
    return out


def usage_of(obj: dict[str, Any]) -> Usage | None:
    """A response's or chunk's usage: top-level ``usage``, else Groq's ``x_groq.usage``."""
    usage = obj.get("usage")
    if not usage:
        x_groq = obj.get("x_groq")
        usage = x_groq.get("usage") if isinstance(x_groq, dict) else None
    return decode_usage(usage) if isinstance(usage, dict) else None


# -- content ------------------------------------------------------------------------------


def content_parts(content: object) -> list[Part]:
    """``content`` as a string, or Mistral's array of ``text`` / ``thinking`` chunks."""
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    if not isinstance(content, list):
        return []
    parts: list[Part] = []
    for chunk in content:
        if not isinstance(chunk, dict):
            continue
        kind = chunk.get("type")
        if kind == "text" and chunk.get("text"):
            parts.append(TextPart(chunk["text"]))
        elif kind == "thinking":
            text = thinking_text(chunk.get("thinking"))
            if text:
                parts.append(ReasoningPart(text))
    return parts


def thinking_text(thinking: object) -> str:
    """The text of a Mistral ``thinking`` chunk (an array of text chunks, or a string)."""
    if isinstance(thinking, str):
        return thinking
    if not isinstance(thinking, list):
        return ""
    return "".join(t.get("text") or "" for t in thinking if isinstance(t, dict))


def reasoning_of(obj: dict[str, Any]) -> str | None:
    """``reasoning_content`` (vLLM, DeepSeek) or ``reasoning`` (Groq, OpenRouter, Cerebras)."""
    value = obj.get("reasoning_content") or obj.get("reasoning")
    return value if isinstance(value, str) and value else None


def signature_of(details: object) -> str | None:
    """The last signature in OpenRouter's ``reasoning_details`` (Anthropic / Gemini proof)."""
    if not isinstance(details, list):
        return None
    signature = None
    for detail in details:
        if isinstance(detail, dict) and detail.get("signature"):
            signature = detail["signature"]
    return signature


def arguments_text(arguments: object) -> str:
    if isinstance(arguments, str):
        return arguments
    if arguments is None:
        return ""
    return orjson.dumps(arguments).decode()


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


# -- responses ----------------------------------------------------------------------------


def decode_chat_response(body: dict[str, Any]) -> ChatResponse:
    choices = [
        _decode_choice(c, i) for i, c in enumerate(body.get("choices") or []) if isinstance(c, dict)
    ]
    return ChatResponse(
        id=body.get("id") or "",
        model=body.get("model") or "",
        created=_count(body.get("created")),
        choices=choices,
        usage=usage_of(body),
        system_fingerprint=body.get("system_fingerprint"),
        openai_fields=unread_fields(body, RESPONSE_READ),
    )


def _decode_choice(raw: dict[str, Any], position: int) -> Choice:
    message = raw.get("message") or {}
    parts: list[Part] = []
    reasoning = reasoning_of(message)
    if reasoning:
        parts.append(
            ReasoningPart(reasoning, signature=signature_of(message.get("reasoning_details")))
        )
    parts.extend(content_parts(message.get("content")))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        parts.append(TextPart(refusal, provider_data=dict(REFUSAL)))
    calls = [_decode_tool_call(c) for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    index = raw.get("index")
    return Choice(
        index=index if isinstance(index, int) else position,
        message=Message(
            role="assistant",
            parts=parts,
            tool_calls=calls,
            openai_fields=unread_fields(message, MESSAGE_READ),
        ),
        finish_reason=decode_finish(raw.get("finish_reason")),
        logprobs=raw.get("logprobs"),
        openai_fields=unread_fields(raw, _CHOICE_READ),
    )


def _decode_tool_call(raw: dict[str, Any]) -> ToolCall:
    function = raw.get("function") or {}
    return ToolCall(
        id=raw.get("id") or new_call_id(),
        name=function.get("name") or "",
        arguments=arguments_text(function.get("arguments")),
    )


def encode_chat_response(resp: ChatResponse) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": resp.id,
        "object": "chat.completion",
        "created": resp.created,
        "model": resp.model,
        "choices": [_encode_choice(c) for c in resp.choices],
    }
    if resp.usage is not None:
        out["usage"] = encode_usage(resp.usage)
    if resp.openai_fields:  # where OpenAI writes its service_tier
        out.update(resp.openai_fields)
    out["system_fingerprint"] = resp.system_fingerprint
    return out


def _encode_choice(choice: Choice) -> dict[str, Any]:
    text: list[str] = []
    refusal: list[str] = []
    reasoning: list[str] = []
    for part in choice.message.parts:
        if isinstance(part, TextPart):
            (refusal if part.provider_data and part.provider_data.get("refusal") else text).append(
                part.text
            )
        elif isinstance(part, ReasoningPart) and not part.redacted:
            reasoning.append(part.text)
    calls = choice.message.tool_calls
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(text) if text or not (calls or refusal) else None,
        "refusal": "".join(refusal) if refusal else None,
    }
    if calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ]
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if choice.message.openai_fields:
        message.update(choice.message.openai_fields)
    out = {
        "index": choice.index,
        "message": message,
        "logprobs": choice.logprobs,
        "finish_reason": OPENAI_FINISH[choice.finish_reason or "stop"],
    }
    if choice.openai_fields:
        out.update(choice.openai_fields)
    return out
