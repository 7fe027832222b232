"""Anthropic content blocks, one at a time, to canonical parts and back.

Only the block types polyroute can carry are decoded (``text``, ``image``, ``tool_use``,
``tool_result``, ``thinking``, ``redacted_thinking``); others are rejected by name rather
than dropped. Like Anthropic, a block with a field it does not define is rejected
(``messages.0.content.1.text.foo: Extra inputs are not permitted``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from polyroute.canonical import ImagePart, Message, Part, ReasoningPart, TextPart, ToolCall
from polyroute.wire.anthropic.fields import as_dict, invalid, join, missing, opt_bool, req_str

_FIELDS: dict[str, frozenset[str]] = {
    "text": frozenset({"type", "text", "cache_control", "citations"}),
    "image": frozenset({"type", "source", "cache_control"}),
    "tool_use": frozenset({"type", "id", "name", "input", "cache_control", "caller"}),
    "tool_result": frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"}),
    "thinking": frozenset({"type", "thinking", "signature"}),
    "redacted_thinking": frozenset({"type", "data"}),
}
TEXT_KEEP = ("cache_control", "citations")
"""Text-part ``provider_data`` keys an Anthropic text block may carry."""

_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_NOT_ID = re.compile(r"[^a-zA-Z0-9_-]")
_DATA_URL = re.compile(r"^data:(?P<media>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)$", re.DOTALL)


def block_type(raw: object, path: str, allowed: frozenset[str]) -> tuple[str, dict[str, Any]]:
    """The block's ``type`` (checked against ``allowed``) and the block itself."""
    block = as_dict(raw, path)
    kind = block.get("type")
    if kind is None:
        raise missing(join(path, "type"))
    if kind not in allowed:
        expected = ", ".join(f"'{t}'" for t in sorted(allowed))
        raise invalid(
            join(path, "type"), f"Input tag '{kind}' does not match the expected tags: {expected}"
        )
    extra = set(block) - _FIELDS[kind]
    if extra:
        raise invalid(f"{path}.{kind}.{sorted(extra)[0]}", "Extra inputs are not permitted")
    return kind, block


def decode_text(block: dict[str, Any], path: str) -> TextPart:
    keep = {k: block[k] for k in TEXT_KEEP if block.get(k) is not None}
    return TextPart(req_str(block, "text", path), provider_data=keep or None)


def decode_image(block: dict[str, Any], path: str) -> ImagePart:
    spath = join(path, "source")
    source = block.get("source")
    if source is None:
        raise missing(spath)
    source = as_dict(source, spath)
    kind = source.get("type")
    if kind == "base64":
        media = req_str(source, "media_type", spath)
        return ImagePart(url=f"data:{media};base64,{req_str(source, 'data', spath)}")
    if kind == "url":
        return ImagePart(url=req_str(source, "url", spath))
    raise invalid(
        join(spath, "type"), "Input tag does not match the expected tags: 'base64', 'url'"
    )


def decode_tool_use(block: dict[str, Any], path: str) -> ToolCall:
    value = block.get("input")
    if value is None:
        raise missing(join(path, "input"))
    as_dict(value, join(path, "input"))
    cache = block.get("cache_control")
    return ToolCall(
        id=_valid_id(req_str(block, "id", path), join(path, "id")),
        name=req_str(block, "name", path),
        arguments=orjson.dumps(value).decode(),
        provider_data={"cache_control": cache} if cache else None,
    )


def decode_tool_result(block: dict[str, Any], path: str) -> Message:
    call_id = _valid_id(req_str(block, "tool_use_id", path), join(path, "tool_use_id"))
    content = block.get("content")
    parts: list[Part] = []
    cpath = join(path, "content")
    if isinstance(content, str):
        parts = [TextPart(content)] if content else []
    elif isinstance(content, list):
        for i, raw in enumerate(content):
            kind, inner = block_type(raw, join(cpath, i), frozenset({"text", "image"}))
            ipath = join(cpath, i)
            parts.append(
                decode_text(inner, ipath) if kind == "text" else decode_image(inner, ipath)
            )
    elif content is not None:
        raise invalid(cpath, "Input should be a valid string or a valid list")
    return Message(
        role="tool",
        parts=parts,
        tool_call_id=call_id,
        is_error=bool(opt_bool(block, "is_error", path)),
    )


def decode_thinking(kind: str, block: dict[str, Any], path: str) -> ReasoningPart:
    if kind == "redacted_thinking":
        return ReasoningPart(text="", signature=req_str(block, "data", path), redacted=True)
    return ReasoningPart(
        text=req_str(block, "thinking", path), signature=req_str(block, "signature", path)
    )


def _valid_id(value: str, param: str) -> str:
    if not _ID.match(value):
        raise invalid(param, "String should match pattern '^[a-zA-Z0-9_-]+$'")
    return value


# -- encoding ---------------------------------------------------------------------------


def tool_use_id(original: str) -> str:
    """An id Anthropic accepts (``^[a-zA-Z0-9_-]+$``) for any client or provider id.

    Valid ids pass unchanged; others become their legal characters plus a short hash of the
    original, so the call and the result that answers it map to the same id in every turn
    and on every replica, with no state kept.
    """
    if _ID.match(original):
        return original
    digest = hashlib.blake2b(original.encode(), digest_size=6).hexdigest()
    return f"toolu_{_NOT_ID.sub('', original)[:40]}_{digest}"


def tool_input(arguments: str) -> dict[str, Any]:
    """A tool call's JSON arguments as the object Anthropic's ``input`` must be.

    Empty arguments become ``{}``; text that is not a JSON object is kept, under
    ``{"arguments": <text or value>}``, rather than lost.
    """
    if not arguments.strip():
        return {}
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": value}


def encode_text(part: TextPart) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": part.text}
    for key in TEXT_KEEP:
        if part.provider_data and part.provider_data.get(key) is not None:
            block[key] = part.provider_data[key]
    return block


def encode_image(part: ImagePart) -> dict[str, Any]:
    match = _DATA_URL.match(part.url)
    if match:
        source = {"type": "base64", "media_type": match["media"], "data": match["data"]}
    else:
        source = {"type": "url", "url": part.url}
    return {"type": "image", "source": source}


def encode_reasoning(part: ReasoningPart) -> dict[str, Any] | None:
    """A thinking block, or None when the reasoning carries no Anthropic signature (reasoning
    from another provider cannot be replayed to Anthropic)."""
    if not part.signature:
        return None
    if part.redacted:
        return {"type": "redacted_thinking", "data": part.signature}
    return {"type": "thinking", "thinking": part.text, "signature": part.signature}


def encode_tool_use(call: ToolCall) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_use",
        "id": tool_use_id(call.id),
        "name": call.name,
        "input": tool_input(call.arguments),
    }
    if call.provider_data and call.provider_data.get("cache_control"):
        block["cache_control"] = call.provider_data["cache_control"]
    return block


def encode_parts(parts: list[Part]) -> list[dict[str, Any]]:
    """Text and image blocks of ``parts``; blank text (which Anthropic rejects) is left out."""
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart) and part.text.strip():
            out.append(encode_text(part))
        elif isinstance(part, ImagePart):
            out.append(encode_image(part))
    return out


def encode_tool_result(message: Message) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": tool_use_id(message.tool_call_id or ""),
    }
    content = encode_parts(message.parts)
    if len(content) == 1 and set(content[0]) == {"type", "text"}:
        block["content"] = content[0]["text"]
    elif content:
        block["content"] = content
    if message.is_error:
        block["is_error"] = True
    return block
