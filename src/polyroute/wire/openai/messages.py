"""Chat messages: OpenAI's ``messages[]`` to canonical ``Message`` and back.

Decoding validates like OpenAI (roles, content types, part types per role, tool-call
shapes) and names the offending path, e.g. ``messages[2].content[0].image_url.url``.
Encoding produces the reference OpenAI shape; provider dialects adjust it afterwards.
"""

from __future__ import annotations

from typing import Any

import orjson

from polyroute.canonical import ImagePart, Message, Part, ReasoningPart, TextPart, ToolCall
from polyroute.canonical.messages import Role
from polyroute.errors import InvalidRequest
from polyroute.wire.openai.fields import (
    invalid_value,
    missing,
    opt_bool,
    opt_str,
    req_str,
    wrong_type,
)

_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}

# The content part types OpenAI accepts for each role that polyroute can carry.
_PART_TYPES: dict[str, frozenset[str]] = {
    "system": frozenset({"text"}),
    "developer": frozenset({"text"}),
    "user": frozenset({"text", "image_url"}),
    "assistant": frozenset({"text", "refusal"}),
    "tool": frozenset({"text"}),
}
# Valid in OpenAI's API but with no canonical slot: rejected clearly instead of dropped.
_UNSUPPORTED_PART_TYPES = frozenset({"input_audio", "file"})


def decode_messages(value: object) -> list[Message]:
    if value is None:
        raise missing("messages")
    if not isinstance(value, list):
        raise wrong_type("messages", "an array", value)
    if not value:
        raise InvalidRequest(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    return [_decode_message(m, f"messages[{i}]") for i, m in enumerate(value)]


def _decode_message(raw: object, path: str) -> Message:
    if not isinstance(raw, dict):
        raise wrong_type(path, "an object", raw)
    wire_role = raw.get("role")
    if wire_role is None:
        raise missing(f"{path}.role")
    if not isinstance(wire_role, str):
        raise wrong_type(f"{path}.role", "a string", wire_role)
    role = _ROLES.get(wire_role)
    if role is None:
        raise invalid_value(
            f"{path}.role",
            f"'{wire_role}' is not one of 'system', 'developer', 'user', 'assistant', 'tool'.",
        )
    message = Message(role=role, name=opt_str(raw, "name", path))
    message.parts = _decode_content(raw.get("content"), f"{path}.content", wire_role)
    if role == "assistant":
        _decode_assistant_fields(raw, path, message)
        return message
    if raw.get("content") is None:
        raise missing(f"{path}.content")
    if role == "tool":
        message.tool_call_id = req_str(raw, "tool_call_id", path)
    return message


def _decode_assistant_fields(raw: dict[str, Any], path: str, message: Message) -> None:
    # Reasoning some clients send back in history (DeepSeek/vLLM ``reasoning_content``,
    # OpenRouter/Groq ``reasoning``); kept for adapters of protocols that replay it.
    reasoning = opt_str(raw, "reasoning_content", path) or opt_str(raw, "reasoning", path)
    if reasoning:
        message.parts.insert(0, ReasoningPart(text=reasoning))
    message.prefix = bool(opt_bool(raw, "prefix", path))
    calls = raw.get("tool_calls")
    if calls is None:
        return
    if not isinstance(calls, list):
        raise wrong_type(f"{path}.tool_calls", "an array", calls)
    message.tool_calls = [
        _decode_tool_call(c, f"{path}.tool_calls[{i}]") for i, c in enumerate(calls)
    ]


def _decode_tool_call(raw: object, path: str) -> ToolCall:
    if not isinstance(raw, dict):
        raise wrong_type(path, "an object", raw)
    kind = raw.get("type", "function")
    if kind != "function":
        raise invalid_value(f"{path}.type", f"'{kind}' is not supported; expected 'function'.")
    function = raw.get("function")
    if function is None:
        raise missing(f"{path}.function")
    if not isinstance(function, dict):
        raise wrong_type(f"{path}.function", "an object", function)
    arguments = function.get("arguments", "")
    if isinstance(arguments, dict):  # tolerated: some clients send the object itself
        arguments = orjson.dumps(arguments).decode()
    elif not isinstance(arguments, str):
        raise wrong_type(f"{path}.function.arguments", "a string", arguments)
    return ToolCall(
        id=req_str(raw, "id", path),
        name=req_str(function, "name", f"{path}.function"),
        arguments=arguments,
    )


def _decode_content(value: object, path: str, wire_role: str) -> list[Part]:
    if value is None:
        return []
    if isinstance(value, str):
        return [TextPart(value)] if value else []
    if not isinstance(value, list):
        raise wrong_type(path, "a string or an array of content parts", value)
    allowed = _PART_TYPES[wire_role]
    return [_decode_part(p, f"{path}[{i}]", allowed, wire_role) for i, p in enumerate(value)]


def _decode_part(raw: object, path: str, allowed: frozenset[str], wire_role: str) -> Part:
    if not isinstance(raw, dict):
        raise wrong_type(path, "an object", raw)
    kind = raw.get("type")
    if kind is None:
        raise missing(f"{path}.type")
    if kind not in allowed:
        if kind in _UNSUPPORTED_PART_TYPES:
            reason = f"content parts of type '{kind}' are not supported by this gateway."
        else:
            expected = ", ".join(f"'{t}'" for t in sorted(allowed))
            reason = f"'{kind}' is not a valid content part type for role '{wire_role}' "
            reason += f"(expected one of {expected})."
        raise invalid_value(f"{path}.type", reason)
    if kind == "image_url":
        return _decode_image(raw, path)
    key = "refusal" if kind == "refusal" else "text"
    text = req_str(raw, key, path, nonempty=False)
    extra = {k: v for k, v in raw.items() if k not in ("type", key)}
    return TextPart(text, provider_data=extra or None)


def _decode_image(raw: dict[str, Any], path: str) -> ImagePart:
    image = raw.get("image_url")
    if isinstance(image, str):  # tolerated (vLLM accepts it): the URL itself
        image = {"url": image}
    if image is None:
        raise missing(f"{path}.image_url")
    if not isinstance(image, dict):
        raise wrong_type(f"{path}.image_url", "an object", image)
    url = req_str(image, "url", f"{path}.image_url")
    detail = opt_str(image, "detail", f"{path}.image_url")
    return ImagePart(url=url, detail=detail)


# -- encoding ---------------------------------------------------------------------------


def encode_messages(messages: list[Message]) -> list[dict[str, Any]]:
    return [encode_message(m) for m in messages]


def encode_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    content = encode_content(message.parts)
    if message.role == "assistant" and message.tool_calls and content == "":
        pass  # an assistant turn that only calls tools carries no content
    else:
        out["content"] = content
    if message.name is not None:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [encode_tool_call(c) for c in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.prefix:
        out["prefix"] = True
    return out


def encode_tool_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def encode_content(parts: list[Part]) -> str | list[dict[str, Any]]:
    """A plain string when the message is one plain text part, else an array of parts.

    Reasoning parts have no place in an OpenAI request and are left out.
    """
    visible = [p for p in parts if not isinstance(p, ReasoningPart)]
    if not visible:
        return ""
    if len(visible) == 1 and isinstance(visible[0], TextPart) and not visible[0].provider_data:
        return visible[0].text
    out: list[dict[str, Any]] = []
    for part in visible:
        if isinstance(part, TextPart):
            out.append({"type": "text", "text": part.text, **(part.provider_data or {})})
        elif isinstance(part, ImagePart):
            image: dict[str, Any] = {"url": part.url}
            if part.detail is not None:
                image["detail"] = part.detail
            out.append({"type": "image_url", "image_url": image})
    return out
