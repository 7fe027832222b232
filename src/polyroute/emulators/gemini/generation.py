"""Deterministic GenerateContentResponse bodies and stream chunks, from the request.

Rules (pure functions of the request):

- Text: ``"This is the polyroute Gemini emulator replying to: <last user text>"``; JSON
  (``responseMimeType: application/json``) is generated from ``responseJsonSchema`` /
  ``responseSchema``, else ``{"answer": ...}``.
- Function calls: when declarations exist, mode is not NONE and the last turn holds no
  ``functionResponse``: mode ANY calls every declared (allowed) function named in the last user
  text, else the first; AUTO does so only for named functions. ``id`` only for models that
  send ids; thinking models put a ``thoughtSignature`` on the first call.
- Thinking models: ``thoughtsTokenCount`` = 4 x the thought summary's tokens (not in
  ``candidatesTokenCount``, included in ``totalTokenCount``); the summary appears as a
  ``thought: true`` part only with ``includeThoughts``. ``thinkingBudget: 0`` turns it off.
- ``cachedContent``: ``cachedContentTokenCount`` = 2048 + (digest of the name mod 1024), also
  counted in ``promptTokenCount``. Images (inlineData) count 258 tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from polyroute.emulators.anthropic.synth import (
    alnum,
    digest,
    json_tokens,
    signature,
    split_text,
    tokens,
    truncate_tokens,
    value_for_schema,
)
from polyroute.emulators.gemini.catalog import GeminiModel

IMAGE_TOKENS = 258
SAFETY_CATEGORIES = ("HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_HATE_SPEECH",
                     "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT")  # fmt: skip


@dataclass(slots=True)
class Reply:
    model: GeminiModel
    response_id: str
    parts: list[dict[str, Any]]
    finish_reason: str
    prompt_tokens: int
    cached_tokens: int = 0
    thoughts_tokens: int = 0
    output_tokens: int = 0
    image_tokens: int = 0
    blocked_prompt: bool = False
    safety: list[dict[str, Any]] = field(default_factory=list)


def _part_tokens(part: dict[str, Any]) -> int:
    if "text" in part:
        return 0 if part.get("thought") else tokens(str(part["text"]))
    if "inlineData" in part or "fileData" in part:
        return IMAGE_TOKENS
    return json_tokens(part.get("functionCall") or part.get("functionResponse") or part)


def prompt_tokens(body: dict[str, Any]) -> tuple[int, int]:
    """(text-ish tokens, image tokens) of systemInstruction, tools and contents."""
    parts = [p for c in body.get("contents") or [] for p in c.get("parts") or []]
    parts += (body.get("systemInstruction") or {}).get("parts") or []
    images = sum(IMAGE_TOKENS for p in parts if "inlineData" in p or "fileData" in p)
    text = sum(_part_tokens(p) for p in parts) - images
    text += sum(json_tokens(t) for t in body.get("tools") or [])
    return max(1, text), images


def cached_tokens(body: dict[str, Any]) -> int:
    name = body.get("cachedContent")
    return 2048 + int.from_bytes(digest(name)[:2]) % 1024 if name else 0


def _user_text(body: dict[str, Any]) -> str:
    for content in reversed(body["contents"]):
        if content.get("role", "user") == "user":
            text = " ".join(p["text"] for p in content["parts"] if isinstance(p.get("text"), str))
            return " ".join(text.split())[:200]
    return ""


def _calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    last = body["contents"][-1]
    if any("functionResponse" in p for p in last["parts"]):
        return []
    decls = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = config.get("mode", "AUTO")
    allowed = config.get("allowedFunctionNames")
    decls = [d for d in decls if not allowed or d["name"] in allowed]
    if not decls or mode == "NONE":
        return []
    named = [d for d in decls if d["name"] in _user_text(body)]
    return named or (decls[:1] if mode in ("ANY", "VALIDATED") else [])


def _text(body: dict[str, Any], seed: bytes) -> str:
    config = body.get("generationConfig") or {}
    last = body["contents"][-1]
    results = [p["functionResponse"] for p in last["parts"] if "functionResponse" in p]
    if config.get("responseMimeType") == "application/json":
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        value = value_for_schema(schema, seed) if schema else {"answer": _user_text(body)}
        return orjson.dumps(value).decode()
    if results:
        quoted = "; ".join(orjson.dumps(r.get("response")).decode()[:80] for r in results)
        return f"The function returned: {quoted}. Done."
    return f"This is the polyroute Gemini emulator replying to: {_user_text(body)}"


def _thinking(body: dict[str, Any], model: GeminiModel) -> tuple[bool, bool]:
    """(thinks, shows thoughts)."""
    config = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
    thinks = model.thinking and config.get("thinkingBudget") != 0
    return thinks, thinks and bool(config.get("includeThoughts"))


def answer(body: dict[str, Any], model: GeminiModel, *, safety: bool = False,
           prompt_blocked: bool = False) -> Reply:  # fmt: skip
    seed = digest(model.id, body.get("contents"), body.get("systemInstruction"), body.get("tools"))
    text_tokens, image_tokens = prompt_tokens(body)
    cached = cached_tokens(body)
    reply = Reply(model, alnum(seed, 23), [], "STOP", text_tokens + image_tokens + cached,
                  cached, image_tokens=image_tokens)  # fmt: skip
    if prompt_blocked or safety:
        reply.blocked_prompt = prompt_blocked
        reply.finish_reason = "SAFETY"
        reply.safety = safety_ratings()
        return reply
    thinks, shows = _thinking(body, model)
    if thinks:
        thought = f"**Answering directly**\n\nThe user wrote {len(_user_text(body))} characters."
        reply.thoughts_tokens = 4 * tokens(thought)
        if shows:
            reply.parts.append({"text": thought, "thought": True})
    for n, decl in enumerate(_calls(body)):
        call_seed = digest(seed, "call", n)
        schema = decl.get("parametersJsonSchema") or decl.get("parameters")
        call: dict[str, Any] = {"name": decl["name"], "args": value_for_schema(schema, call_seed)}
        if model.call_ids:
            call["id"] = alnum(call_seed, 8).lower()
        part: dict[str, Any] = {"functionCall": call}
        if thinks and n == 0:
            part["thoughtSignature"] = signature(call_seed)
        reply.parts.append(part)
    if not any("functionCall" in p for p in reply.parts):
        _add_text(reply, body, _text(body, seed))
    reply.output_tokens = max(1, sum(_part_tokens(p) for p in reply.parts))
    return reply


def _add_text(reply: Reply, body: dict[str, Any], text: str) -> None:
    config = body.get("generationConfig") or {}
    for seq in config.get("stopSequences") or []:
        at = text.find(seq) if seq else -1
        if at >= 0:
            text = text[:at]
    limit = config.get("maxOutputTokens")
    if isinstance(limit, int):
        text, cut = truncate_tokens(text, limit)
        if cut:
            reply.finish_reason = "MAX_TOKENS"
    if text:
        reply.parts.append({"text": text})


def safety_ratings() -> list[dict[str, Any]]:
    ratings: list[dict[str, Any]] = [
        {"category": c, "probability": "NEGLIGIBLE"} for c in SAFETY_CATEGORIES
    ]
    ratings[3] = {"category": SAFETY_CATEGORIES[3], "probability": "HIGH", "blocked": True}
    return ratings


def usage(reply: Reply, *, final: bool, done_output: int | None = None) -> dict[str, Any]:
    out = reply.output_tokens if final else (done_output or 0)
    meta: dict[str, Any] = {"promptTokenCount": reply.prompt_tokens}
    if out and not reply.blocked_prompt:
        meta["candidatesTokenCount"] = out
    meta["totalTokenCount"] = reply.prompt_tokens + out + reply.thoughts_tokens
    details = [{"modality": "TEXT", "tokenCount": reply.prompt_tokens - reply.image_tokens}]
    if reply.image_tokens:
        details.append({"modality": "IMAGE", "tokenCount": reply.image_tokens})
    meta["promptTokensDetails"] = details
    if reply.cached_tokens:
        meta["cachedContentTokenCount"] = reply.cached_tokens
        meta["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": reply.cached_tokens}]
    if final and out and not reply.blocked_prompt:
        meta["candidatesTokensDetails"] = [{"modality": "TEXT", "tokenCount": out}]
    if reply.thoughts_tokens:
        meta["thoughtsTokenCount"] = reply.thoughts_tokens
    return meta


def _envelope(reply: Reply, parts: list[dict[str, Any]], final: bool, done: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if reply.blocked_prompt:
        body["promptFeedback"] = {"blockReason": "SAFETY", "safetyRatings": reply.safety}
    else:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}} if parts else {}
        if final:
            candidate["finishReason"] = reply.finish_reason
            if reply.safety:
                candidate["safetyRatings"] = reply.safety
        candidate["index"] = 0
        body["candidates"] = [candidate]
    body["usageMetadata"] = usage(reply, final=final, done_output=done)
    body["modelVersion"] = reply.model.id
    body["responseId"] = reply.response_id
    return body


def response_body(reply: Reply) -> dict[str, Any]:
    return _envelope(reply, reply.parts, True, reply.output_tokens)


def chunks(reply: Reply) -> list[dict[str, Any]]:
    """Stream chunks: one per text piece / call; the last carries finishReason and totals."""
    pieces: list[dict[str, Any]] = []
    for part in reply.parts:
        if "text" in part:
            pieces.extend({**part, "text": t} for t in split_text(part["text"], 4) if t)
        else:
            pieces.append(part)
    if not pieces:
        return [_envelope(reply, [], True, reply.output_tokens)]
    out, done = [], 0
    for n, piece in enumerate(pieces):
        done += 0 if piece.get("thought") else _part_tokens(piece)
        final = n == len(pieces) - 1
        out.append(_envelope(reply, [piece], final, reply.output_tokens if final else done))
    return out
