"""Deterministic Messages answers: content blocks, stop reason and usage, from the request.

Rules (all pure functions of the body):

- Text: ``"This is the polyroute Anthropic emulator replying to: <last user text>"``.
- Tools: when ``tools`` are given, ``tool_choice`` is not ``none`` and the last user message
  carries no ``tool_result``, the reply calls tools: ``tool_choice.tool`` names the tool; else
  every tool whose name appears in the last user text (only the first with
  ``disable_parallel_tool_use``), or the first tool. ``auto`` adds a short text preamble.
  Inputs are generated from ``input_schema``; ids are ``toolu_01`` + 22 alphanumerics.
- After a ``tool_result``: a text reply quoting the results.
- ``thinking`` enabled/adaptive: a thinking block with a base64 signature comes first.
- ``stop_sequences`` cut the text at the first occurrence (``stop_sequence``); blocks beyond
  ``max_tokens`` are cut (``max_tokens``).
- Usage: every piece of text is ``ceil(chars / 4)`` tokens (images 1600, PDFs 2000, prior
  thinking 0) plus 3 framing tokens. Caching: ``C`` = tokens of tools → system → messages up to
  the last block carrying ``cache_control`` (everything when the top-level ``cache_control`` is
  set), at least 2. ``cache_read_input_tokens = C // 2``, ``cache_creation_input_tokens = C -
  C // 2`` (bucket ``ephemeral_1h`` when that breakpoint's ttl is ``1h``, else ``5m``) and
  ``input_tokens`` is the rest (uncached).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from polyroute.emulators.anthropic.catalog import ClaudeModel
from polyroute.emulators.anthropic.synth import (
    alnum,
    digest,
    json_tokens,
    signature,
    tokens,
    truncate_tokens,
    value_for_schema,
)

FRAMING_TOKENS = 3


@dataclass(slots=True)
class Reply:
    id: str
    model: str
    content: list[dict[str, Any]]
    stop_reason: str
    stop_sequence: str | None
    usage: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def message(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": self.content,
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": self.usage,
        }


def _block_tokens(block: Any) -> int:
    if isinstance(block, str):
        return tokens(block)
    kind = block.get("type")
    if kind == "text":
        return tokens(block["text"])
    if kind == "image":
        return 1600
    if kind == "document":
        source = block.get("source", {})
        return tokens(str(source.get("data", ""))) if source.get("type") == "text" else 2000
    if kind == "tool_use":
        return json_tokens({"name": block.get("name"), "input": block.get("input")})
    if kind == "tool_result":
        inner = block.get("content", "")
        return 1 + (
            sum(_block_tokens(b) for b in inner) if isinstance(inner, list) else tokens(str(inner))
        )
    if kind in ("thinking", "redacted_thinking"):
        return 0
    return json_tokens(block)


def _segments(body: dict[str, Any]) -> list[tuple[int, Any]]:
    """(tokens, cache_control or None) for tools, system blocks, message blocks, in order."""
    segs: list[tuple[int, Any]] = [
        (json_tokens(t), t.get("cache_control")) for t in body.get("tools") or []
    ]
    system = body.get("system")
    if isinstance(system, str) and system:
        segs.append((tokens(system), None))
    elif isinstance(system, list):
        segs.extend((tokens(b["text"]), b.get("cache_control")) for b in system)
    for msg in body["messages"]:
        content = msg["content"]
        blocks = [content] if isinstance(content, str) else content
        segs.extend(
            (_block_tokens(b), None if isinstance(b, str) else b.get("cache_control"))
            for b in blocks
        )
    return segs


def prompt_usage(body: dict[str, Any]) -> dict[str, Any]:
    segs = _segments(body)
    total = sum(n for n, _ in segs)
    marks = [i for i, (_, cc) in enumerate(segs) if cc]
    top = body.get("cache_control")
    cached, ttl = 0, "5m"
    if marks or top:
        last = marks[-1] if marks and not top else len(segs) - 1
        cached = max(2, sum(n for n, _ in segs[: last + 1]))
        control = top or segs[last][1] or {}
        ttl = control.get("ttl", "5m") if isinstance(control, dict) else "5m"
        total = max(total, cached)
    read = cached // 2
    created = cached - read
    return {
        "input_tokens": total - cached + FRAMING_TOKENS,
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": created if ttl != "1h" else 0,
            "ephemeral_1h_input_tokens": created if ttl == "1h" else 0,
        },
    }


def count_tokens(body: dict[str, Any]) -> int:
    return sum(n for n, _ in _segments(body)) + FRAMING_TOKENS


def _text_of(msg: dict[str, Any]) -> str:
    content = msg["content"]
    if isinstance(content, str):
        return content
    return " ".join(b["text"] for b in content if b.get("type") == "text")


def _last_user(body: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in reversed(body["messages"]) if m["role"] == "user")


def _tool_results(msg: dict[str, Any]) -> list[dict[str, Any]]:
    content = msg["content"]
    return (
        [b for b in content if b.get("type") == "tool_result"] if isinstance(content, list) else []
    )


def _chosen_tools(body: dict[str, Any], user_text: str) -> list[dict[str, Any]]:
    tools = [t for t in body.get("tools") or [] if t.get("type") in (None, "custom")]
    choice = body.get("tool_choice") or {"type": "auto"}
    if not tools or choice["type"] == "none":
        return []
    if choice["type"] == "tool":
        return [t for t in tools if t["name"] == choice["name"]]
    named = [t for t in tools if t["name"] in user_text] or tools[:1]
    return named[:1] if choice.get("disable_parallel_tool_use") else named


def _draft(body: dict[str, Any], seed: bytes) -> list[dict[str, Any]]:
    user = _last_user(body)
    user_text = " ".join(_text_of(user).split())[:200]
    blocks: list[dict[str, Any]] = []
    thinking = body.get("thinking") or {}
    if thinking.get("type") in ("enabled", "adaptive"):
        shown = thinking.get("display") != "omitted"
        thought = f"The user wrote {len(user_text)} characters. I will answer them plainly."
        blocks.append({"type": "thinking", "thinking": thought if shown else "",
                       "signature": signature(digest(seed, "thinking"))})  # fmt: skip
    results = _tool_results(user) if body["messages"][-1] is user else []
    if results:
        quoted = "; ".join(str(r.get("content", ""))[:80] for r in results)
        blocks.append({"type": "text", "text": f"The tool returned: {quoted}. Done."})
        return blocks
    calls = _chosen_tools(body, user_text)
    if calls and (body.get("tool_choice") or {"type": "auto"})["type"] == "auto":
        blocks.append({"type": "text", "text": f"I'll use {calls[0]['name']} to help with that."})
    for n, tool in enumerate(calls):
        tool_seed = digest(seed, "tool", n)
        blocks.append({
            "type": "tool_use", "id": "toolu_01" + alnum(tool_seed, 22), "name": tool["name"],
            "input": value_for_schema(tool["input_schema"], tool_seed),
            "caller": {"type": "direct"},
        })  # fmt: skip
    if not calls:
        reply = f"This is the polyroute Anthropic emulator replying to: {user_text}"
        blocks.append({"type": "text", "text": reply})
    return blocks


def _block_out(block: dict[str, Any]) -> int:
    if block["type"] == "thinking":
        return tokens(block["thinking"]) + 4
    if block["type"] == "tool_use":
        return json_tokens(block["input"]) + 4
    return tokens(block["text"])


def _apply_limits(
    body: dict[str, Any], blocks: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str, str | None]:
    stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    out: list[dict[str, Any]] = []
    budget = body.get("max_tokens", 1 << 30)
    for block in blocks:
        if block["type"] == "text":
            for seq in body.get("stop_sequences") or []:
                at = block["text"].find(seq) if seq else -1
                if at >= 0:
                    out.append({**block, "text": block["text"][:at]})
                    return out, "stop_sequence", seq
        cost = _block_out(block)
        if cost > budget:
            if block["type"] == "text":
                out.append({**block, "text": truncate_tokens(block["text"], budget)[0]})
            return out, "max_tokens", None
        budget -= cost
        out.append(block)
    return out, stop_reason, None


def _prefill(body: dict[str, Any]) -> str | None:
    """A trailing assistant turn is prefill: the model continues it rather than answering."""
    last = body["messages"][-1]
    return _text_of(last) if last["role"] == "assistant" else None


def _continued(blocks: list[dict[str, Any]], prefill: str) -> list[dict[str, Any]]:
    """Only the continuation is returned, never the prefilled text itself."""
    for block in blocks:
        if block["type"] == "text":
            text = block["text"]
            rest = text[len(prefill) :] if text.startswith(prefill) else " " + text
            return [{"type": "text", "text": rest}]
    return blocks


def answer(body: dict[str, Any], model: ClaudeModel, *, refusal: bool = False) -> Reply:
    seed = digest(model.id, body.get("system"), body["messages"], body.get("tools"))
    prefill = _prefill(body)
    if prefill is None:
        blocks = _draft(body, seed)
    else:
        blocks = _continued(_draft({**body, "messages": body["messages"][:-1]}, seed), prefill)
    if refusal:
        blocks = [{"type": "text", "text": "I can't help with that request."}]
    content, stop_reason, stop_sequence = _apply_limits(body, blocks)
    if refusal:
        stop_reason = "refusal"
    usage = prompt_usage(body)
    usage["output_tokens"] = max(1, sum(_block_out(b) for b in content))
    usage["service_tier"] = "standard"
    usage["inference_geo"] = "not_available"
    return Reply("msg_01" + alnum(seed, 22), model.id, content, stop_reason, stop_sequence, usage)
