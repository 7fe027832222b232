"""Whole conversations: Anthropic ``system`` + ``messages`` to canonical messages and back.

Decoding splits a user turn's ``tool_result`` blocks into canonical ``tool`` messages
(placed before the turn's other content, as Anthropic requires of the blocks themselves).

Encoding produces a body Anthropic accepts from any canonical conversation:

- system messages (wherever they are) go to the top-level ``system``;
- tool messages become ``tool_result`` blocks of a user turn, and consecutive turns of the
  same role are merged, so roles alternate and results follow the calls they answer;
- a ``tool_result`` whose id answers no ``tool_use`` of the previous assistant turn becomes
  a text block; a ``tool_use`` left without a result gets an ``is_error`` result saying so;
- ids are made legal with ``tool_use_id`` (deterministic, so both sides map alike);
- turns left with no content (blank text, foreign reasoning) are dropped.
"""

from __future__ import annotations

from typing import Any

from polyroute.canonical import Message, Part, ReasoningPart, TextPart
from polyroute.errors import InvalidRequest
from polyroute.wire.anthropic import blocks as b
from polyroute.wire.anthropic.fields import as_dict, invalid, join, missing, req_str

_USER_BLOCKS = frozenset({"text", "image", "tool_result"})
_ASSISTANT_BLOCKS = frozenset({"text", "tool_use", "thinking", "redacted_thinking"})
_MISSING_RESULT = "No result was provided for this tool call."


def decode_system(value: object) -> Message | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Message(role="system", parts=[TextPart(value)]) if value else None
    if not isinstance(value, list):
        raise invalid("system", "Input should be a valid string or a valid list")
    parts: list[Part] = []
    for i, raw in enumerate(value):
        _, block = b.block_type(raw, join("system", i), frozenset({"text"}))
        parts.append(b.decode_text(block, join("system", i)))
    return Message(role="system", parts=parts) if parts else None


def decode_messages(value: object) -> list[Message]:
    if value is None:
        raise missing("messages")
    if not isinstance(value, list):
        raise invalid("messages", "Input should be a valid list")
    if not value:
        raise invalid("messages", "at least one message is required")
    out: list[Message] = []
    for i, raw in enumerate(value):
        out.extend(_decode_turn(raw, join("messages", i)))
    return out


def _decode_turn(raw: object, path: str) -> list[Message]:
    turn = as_dict(raw, path)
    extra = set(turn) - {"role", "content"}
    if extra:
        raise invalid(join(path, sorted(extra)[0]), "Extra inputs are not permitted")
    role = req_str(turn, "role", path)
    if role not in ("user", "assistant"):
        raise invalid(join(path, "role"), "Input should be 'user' or 'assistant'")
    content = turn.get("content")
    cpath = join(path, "content")
    if content is None:
        raise missing(cpath)
    if isinstance(content, str):
        return [Message(role=role, parts=[TextPart(content)] if content else [])]
    if not isinstance(content, list):
        raise invalid(cpath, "Input should be a valid string or a valid list")
    allowed = _USER_BLOCKS if role == "user" else _ASSISTANT_BLOCKS
    message = Message(role=role)
    results: list[Message] = []
    for i, raw_block in enumerate(content):
        bpath = join(cpath, i)
        kind, block = b.block_type(raw_block, bpath, allowed)
        if kind == "text":
            message.parts.append(b.decode_text(block, bpath))
        elif kind == "image":
            message.parts.append(b.decode_image(block, bpath))
        elif kind == "tool_result":
            results.append(b.decode_tool_result(block, bpath))
        elif kind == "tool_use":
            message.tool_calls.append(b.decode_tool_use(block, bpath))
        else:
            message.parts.append(b.decode_thinking(kind, block, bpath))
    if results and not message.parts:
        return results
    return [*results, message]


# -- encoding ---------------------------------------------------------------------------


def encode_system(messages: list[Message]) -> str | list[dict[str, Any]] | None:
    parts = [p for m in messages if m.role == "system" for p in m.parts]
    blocks = b.encode_parts(parts)
    if not blocks:
        return None
    if all(set(block) == {"type", "text"} for block in blocks):
        return "\n\n".join(block["text"] for block in blocks)
    return blocks


def encode_turns(messages: list[Message]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role, content = _encode_message(message)
        if not content:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(content)
        else:
            turns.append({"role": role, "content": content})
    _pair_tool_results(turns)
    _trim_prefill(turns)
    if not turns:
        raise InvalidRequest(
            "messages: at least one message with content is required", param="messages"
        )
    for turn in turns:
        content = turn["content"]
        if turn["role"] == "user":
            content.sort(key=lambda block: block["type"] != "tool_result")
        if len(content) == 1 and set(content[0]) == {"type", "text"}:
            turn["content"] = content[0]["text"]
    return turns


def _encode_message(message: Message) -> tuple[str, list[dict[str, Any]]]:
    if message.role == "tool":
        return "user", [b.encode_tool_result(message)]
    if message.role == "user":
        return "user", b.encode_parts(message.parts)
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ReasoningPart):
            block = b.encode_reasoning(part)
            if block is not None:
                content.append(block)
    content.extend(b.encode_parts([p for p in message.parts if not isinstance(p, ReasoningPart)]))
    content.extend(b.encode_tool_use(call) for call in message.tool_calls)
    return "assistant", content


def _trim_prefill(turns: list[dict[str, Any]]) -> None:
    """Anthropic refuses a final assistant turn (prefill) that ends in white space; the
    adapter strips the same white space from the start of the continuation."""
    if not turns or turns[-1]["role"] != "assistant":
        return
    last = turns[-1]["content"][-1]
    if last.get("type") == "text":
        last["text"] = last["text"].rstrip()
        if not last["text"]:
            turns[-1]["content"].pop()
            if not turns[-1]["content"]:
                turns.pop()


def _pair_tool_results(turns: list[dict[str, Any]]) -> None:
    """Make every tool_result answer a tool_use of the turn before, and every tool_use be
    answered (a conversation ending in tool calls gets a closing user turn of results)."""
    calls: list[str] = []
    for i, turn in enumerate(turns):
        if turn["role"] == "assistant":
            calls = [block["id"] for block in turn["content"] if block["type"] == "tool_use"]
            if calls and i + 1 < len(turns):
                continue
            if calls:  # a final assistant turn that calls tools: the results are still owed
                turns.append({"role": "user", "content": []})
            continue
        answered = {
            block["tool_use_id"] for block in turn["content"] if block["type"] == "tool_result"
        }
        turn["content"] = [
            block
            if block["type"] != "tool_result" or block["tool_use_id"] in calls
            else _orphan_as_text(block)
            for block in turn["content"]
        ]
        turn["content"][:0] = [
            {
                "type": "tool_result",
                "tool_use_id": call,
                "content": _MISSING_RESULT,
                "is_error": True,
            }
            for call in calls
            if call not in answered
        ]
        calls = []


def _orphan_as_text(block: dict[str, Any]) -> dict[str, Any]:
    content = block.get("content", "")
    if isinstance(content, list):
        content = "\n".join(c["text"] for c in content if c["type"] == "text")
    label = "error" if block.get("is_error") else "result"
    return {"type": "text", "text": f"[tool {label} for call {block['tool_use_id']}]\n{content}"}
