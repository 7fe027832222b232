"""Canonical messages to Gemini ``contents`` and ``systemInstruction``.

Gemini knows two roles, ``user`` and ``model``, and no system role. The mapping:

* system messages (wherever they appear) → ``systemInstruction.parts``, in order;
* user messages → ``user`` turns; tool results → ``functionResponse`` parts of a ``user`` turn;
* assistant messages → ``model`` turns: text, then one ``functionCall`` part per tool call;
* consecutive turns of one role are merged (parallel tool results become one turn, as
  Gemini requires); empty text parts are dropped and so are turns left without parts.

Thought signatures, which Gemini 3 requires back on function calls, are read from
``ToolCall.provider_data["thoughtSignature"]`` (non-streamed answers), else from an
empty-text ``ReasoningPart`` of the same message (the only slot a stream has for it, see
``stream.py``); a call with neither gets Google's documented placeholder
``skip_thought_signature_validator`` on the first call of the turn. Thought *text* is not
sent back: Gemini does not use earlier turns' thought summaries.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlsplit

import orjson

from polyroute.canonical import ImagePart, Message, ReasoningPart, TextPart, ToolCall
from polyroute.errors import InvalidRequest

SIGNATURE_KEY = "thoughtSignature"
"""Key of a Gemini thought signature in ``ToolCall`` / ``TextPart`` ``provider_data``."""
SKIP_SIGNATURE = "skip_thought_signature_validator"
"""Google's documented placeholder for a function call whose signature was lost
(history from another model, or a client that dropped it)."""
_DEFAULT_IMAGE_TYPE = "image/jpeg"

Content = dict[str, Any]


def encode_contents(messages: list[Message]) -> tuple[list[Content], Content | None]:
    """``(contents, systemInstruction)`` for a canonical conversation."""
    system: list[dict[str, Any]] = []
    contents: list[Content] = []
    calls: dict[str, str] = {}  # tool-call id -> function name, for functionResponse.name
    for position, message in enumerate(messages):
        if message.role == "system":
            system.extend({"text": p.text} for p in message.parts if _is_text(p) and p.text)
            continue
        if message.role == "assistant":
            role, parts = "model", _model_parts(message)
            calls.update((call.id, call.name) for call in message.tool_calls)
        elif message.role == "tool":
            role, parts = "user", _tool_result_parts(message, calls, position)
        else:
            role, parts = "user", _user_parts(message)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    if not contents:
        # Gemini requires ``contents``; a request of system instructions only is sent with
        # an empty user turn, the shape Google's own SDK sends for it.
        contents.append({"role": "user", "parts": [{"text": ""}]})
    return contents, ({"parts": system} if system else None)


def _is_text(part: object) -> bool:
    return isinstance(part, TextPart)


def _user_parts(message: Message) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart) and part.text:
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(image_part(part.url))
    return parts


def image_part(url: str) -> dict[str, Any]:
    """A ``data:`` URL becomes ``inlineData``; any other URL ``fileData`` (Gemini fetches
    Files-API, YouTube and public http(s) URLs itself), its MIME type guessed from the
    path's extension and ``image/jpeg`` when there is none to go by."""
    if url.startswith("data:"):
        header, _, data = url[5:].partition(",")
        mime = header.split(";")[0] or _DEFAULT_IMAGE_TYPE
        return {"inlineData": {"mimeType": mime, "data": data}}
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    return {"fileData": {"fileUri": url, "mimeType": guessed or _DEFAULT_IMAGE_TYPE}}


def _model_parts(message: Message) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart) and part.text:
            out: dict[str, Any] = {"text": part.text}
            signature = (part.provider_data or {}).get(SIGNATURE_KEY)
            if isinstance(signature, str):
                out[SIGNATURE_KEY] = signature
            parts.append(out)
    streamed = _streamed_signature(message)
    for position, call in enumerate(message.tool_calls):
        out = {"functionCall": {"name": call.name, "args": call_args(call), "id": call.id}}
        signature = (call.provider_data or {}).get(SIGNATURE_KEY)
        if not isinstance(signature, str) and position == 0:
            signature = streamed or SKIP_SIGNATURE
        if isinstance(signature, str):
            out[SIGNATURE_KEY] = signature
        parts.append(out)
    return parts


def _streamed_signature(message: Message) -> str | None:
    for part in message.parts:
        if isinstance(part, ReasoningPart) and not part.text and part.signature:
            return part.signature
    return None


def call_args(call: ToolCall) -> dict[str, Any]:
    """The call's arguments as the object Gemini requires; text that is not a JSON object
    (the model's own invalid output, echoed back) is kept under ``"arguments"``."""
    if not call.arguments.strip():
        return {}
    try:
        value = orjson.loads(call.arguments)
    except orjson.JSONDecodeError:
        return {"arguments": call.arguments}
    return value if isinstance(value, dict) else {"arguments": value}


def _tool_result_parts(
    message: Message, calls: dict[str, str], position: int
) -> list[dict[str, Any]]:
    call_id = message.tool_call_id
    name = calls.get(call_id or "")
    if name is None:
        raise InvalidRequest(
            f"messages[{position}]: tool result {call_id!r} answers no earlier assistant "
            "tool call; Gemini needs the call to name the function.",
            param=f"messages[{position}].tool_call_id",
        )
    response = {"name": name, "response": _result_object(message.text(), message.is_error)}
    if call_id:
        response["id"] = call_id
    parts: list[dict[str, Any]] = [{"functionResponse": response}]
    parts.extend(image_part(p.url) for p in message.parts if isinstance(p, ImagePart))
    return parts


def _result_object(text: str, is_error: bool) -> dict[str, Any]:
    """Gemini takes a result only as a JSON object: an object result is sent as it is,
    anything else under ``result`` (or ``error`` for a failed tool, the key Google names)."""
    if not is_error:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            return value
    return {"error" if is_error else "result": text}
