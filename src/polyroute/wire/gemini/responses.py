"""Gemini ``GenerateContentResponse`` to canonical ``ChatResponse``.

* Parts: ``thought: true`` text → ``ReasoningPart``; other text → ``TextPart`` (a
  ``thoughtSignature`` on it is kept in ``provider_data``); ``functionCall`` → ``ToolCall``
  with ``args`` as JSON text and the signature in ``provider_data["thoughtSignature"]``.
* Gemini gives most calls no id; ``call_id`` synthesizes a stable one from the response id,
  candidate, position, name and arguments, so a re-decoded answer yields the same ids. The
  encoder sends ids back on ``functionCall`` / ``functionResponse`` and names results from
  the matching call, so the next turn finds its call.
* Finish reasons go through ``FINISH_REASONS``; ``STOP`` on a candidate with function calls
  is ``tool_calls``, and a reason the table does not know is ``error`` (new Gemini reasons
  are failure modes).
* A prompt blocked before any candidate (``promptFeedback.blockReason``) is an
  ``UpstreamError`` of kind ``CONTENT_FILTER`` (status 400): nothing was generated and the
  caller must change the prompt, so neither a retry nor a failover can help.
* Usage (``decode_usage``): input = promptTokenCount + toolUsePromptTokenCount (the tool-use
  prompt is counted apart from the prompt and billed as input); output =
  candidatesTokenCount + thoughtsTokenCount; reasoning = thoughtsTokenCount; cached =
  cachedContentTokenCount, already inside promptTokenCount per the spec. So
  ``Usage.total_tokens`` equals Gemini's ``totalTokenCount``.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Literal

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
from polyroute.errors import UpstreamError, UpstreamKind
from polyroute.wire.gemini.contents import SIGNATURE_KEY

GeminiFinishReason = Literal[
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_OTHER",
    "NO_IMAGE",
    "IMAGE_RECITATION",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
    "MISSING_THOUGHT_SIGNATURE",
    "MALFORMED_RESPONSE",
    "ESCALATION",
]

FINISH_REASONS: dict[GeminiFinishReason, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "ESCALATION": "content_filter",
    # The model failed to produce a usable answer: not a clean stop.
    "LANGUAGE": "error",
    "OTHER": "error",
    "IMAGE_OTHER": "error",
    "NO_IMAGE": "error",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "TOO_MANY_TOOL_CALLS": "error",
    "MISSING_THOUGHT_SIGNATURE": "error",
    "MALFORMED_RESPONSE": "error",
    "FINISH_REASON_UNSPECIFIED": "error",
}


def decode_finish(value: object, *, has_calls: bool) -> FinishReason | None:
    if not isinstance(value, str) or not value:
        return None
    reason = FINISH_REASONS.get(value, "error")  # type: ignore[call-overload]
    return "tool_calls" if reason == "stop" and has_calls else reason


def count(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def decode_usage(meta: dict[str, Any]) -> Usage:
    thoughts = count(meta.get("thoughtsTokenCount"))
    candidates = count(meta.get("candidatesTokenCount") or meta.get("responseTokenCount"))
    return Usage(
        input_tokens=count(meta.get("promptTokenCount"))
        + count(meta.get("toolUsePromptTokenCount")),
        output_tokens=candidates + thoughts,
        cached_input_tokens=count(meta.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def call_id(response_id: str, candidate: int, position: int, name: str, arguments: str) -> str:
    """A deterministic id for a call Gemini sent without one."""
    seed = f"{response_id}\x00{candidate}\x00{position}\x00{name}\x00{arguments}".encode()
    return "call_" + hashlib.blake2b(seed, digest_size=12).hexdigest()


def args_text(args: object) -> str:
    return orjson.dumps(args if args is not None else {}).decode()


def decode_call(raw: dict[str, Any], response_id: str, candidate: int, position: int) -> ToolCall:
    call = raw.get("functionCall") or {}
    name = call.get("name") or ""
    arguments = args_text(call.get("args"))
    given = call.get("id")
    signature = raw.get(SIGNATURE_KEY)
    return ToolCall(
        id=given
        if isinstance(given, str) and given
        else call_id(response_id, candidate, position, name, arguments),
        name=name,
        arguments=arguments,
        provider_data={SIGNATURE_KEY: signature} if isinstance(signature, str) else None,
    )


def blocked_prompt(body: dict[str, Any], provider: str) -> UpstreamError | None:
    """The error for a response whose prompt was blocked, if it was."""
    feedback = body.get("promptFeedback")
    reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
    if not reason or body.get("candidates"):
        return None
    return UpstreamError(
        UpstreamKind.CONTENT_FILTER,
        f"{provider}: the prompt was blocked ({reason})",
        provider,
        400,
        code=str(reason),
    )


def decode_generate_response(body: dict[str, Any], provider: str = "gemini") -> ChatResponse:
    """Raises ``UpstreamError`` (``CONTENT_FILTER``) when the prompt itself was blocked."""
    blocked = blocked_prompt(body, provider)
    if blocked is not None:
        raise blocked
    response_id = body.get("responseId") or ""
    choices = [
        _decode_candidate(c, i, response_id)
        for i, c in enumerate(body.get("candidates") or [])
        if isinstance(c, dict)
    ]
    meta = body.get("usageMetadata")
    return ChatResponse(
        id=response_id,
        model=body.get("modelVersion") or "",
        created=int(time.time()),  # Gemini sends none; OpenAI clients read it as a Unix time
        choices=choices,
        usage=decode_usage(meta) if isinstance(meta, dict) else None,
    )


def _decode_candidate(raw: dict[str, Any], position: int, response_id: str) -> Choice:
    index = raw.get("index")
    index = index if isinstance(index, int) else position
    content = raw.get("content") or {}
    parts: list[Part] = []
    calls: list[ToolCall] = []
    for part in content.get("parts") or []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("functionCall"), dict):
            calls.append(decode_call(part, response_id, index, len(calls)))
        elif isinstance(part.get("text"), str):
            parts.append(decode_text_part(part))
    return Choice(
        index=index,
        message=Message(role="assistant", parts=parts, tool_calls=calls),
        finish_reason=decode_finish(raw.get("finishReason"), has_calls=bool(calls)),
        logprobs=decode_logprobs(raw.get("logprobsResult")),
    )


def decode_text_part(part: dict[str, Any]) -> Part:
    signature = part.get(SIGNATURE_KEY)
    signature = signature if isinstance(signature, str) else None
    if part.get("thought"):
        return ReasoningPart(part["text"], signature=signature)
    return TextPart(part["text"], provider_data={SIGNATURE_KEY: signature} if signature else None)


def decode_logprobs(result: object) -> dict[str, Any] | None:
    """Gemini's ``logprobsResult`` in OpenAI's ``{"content": [...]}`` shape."""
    if not isinstance(result, dict):
        return None
    chosen = result.get("chosenCandidates") or []
    tops = result.get("topCandidates") or []
    content = []
    for step, token in enumerate(chosen):
        if not isinstance(token, dict):
            continue
        top = tops[step].get("candidates") or [] if step < len(tops) else []
        content.append(
            {
                **_token(token),
                "top_logprobs": [_token(t) for t in top if isinstance(t, dict)],
            }
        )
    return {"content": content}


def _token(raw: dict[str, Any]) -> dict[str, Any]:
    text = raw.get("token") or ""
    return {
        "token": text,
        "logprob": float(raw.get("logProbability") or 0.0),
        "bytes": list(text.encode()),
    }
