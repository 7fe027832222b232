"""Deterministic synthesis shared by the native emulators (Anthropic, Gemini).

Everything an emulator invents — reply words, ids, tool arguments, token counts — is a pure
function of the request, so a test can predict the answer and a replay gives the same bytes.

Token rule: a piece of text counts ``max(1, ceil(len(text) / 4))`` tokens; a JSON value counts
as its compact serialization.
"""

from __future__ import annotations

import base64
import hashlib
import math
import string
from typing import Any

import orjson

_ALNUM = string.ascii_letters + string.digits


def digest(*parts: object) -> bytes:
    """SHA-256 over the canonical JSON of ``parts``."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)).digest()


def alnum(seed: bytes, n: int) -> str:
    """``n`` characters from ``[A-Za-z0-9]``, derived from ``seed``."""
    out: list[str] = []
    block = seed
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out.extend(_ALNUM[b % len(_ALNUM)] for b in block)
    return "".join(out[:n])


def signature(seed: bytes, n_bytes: int = 96) -> str:
    """An opaque base64 signature (thinking / thoughtSignature)."""
    raw = b""
    block = seed
    while len(raw) < n_bytes:
        block = hashlib.sha256(block + b"sig").digest()
        raw += block
    return base64.b64encode(raw[:n_bytes]).decode()


def tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def json_tokens(value: Any) -> int:
    return tokens(orjson.dumps(value).decode())


def split_text(text: str, words_per_piece: int = 3) -> list[str]:
    """Split ``text`` into stream pieces of a few words, keeping every character."""
    words = text.split(" ")
    pieces = [
        " ".join(words[i : i + words_per_piece]) for i in range(0, len(words), words_per_piece)
    ]
    return [p if i == 0 else " " + p for i, p in enumerate(pieces)]


def split_chars(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def truncate_tokens(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` tokens (4 characters each); whether it was cut."""
    if tokens(text) <= limit:
        return text, False
    return text[: max(0, limit) * 4], True


def value_for_schema(schema: Any, seed: bytes, name: str = "value", depth: int = 0) -> Any:
    """A deterministic value that satisfies a (JSON-)schema, OpenAPI subset or Gemini Schema."""
    if not isinstance(schema, dict) or depth > 6:
        return f"{name}-{alnum(seed, 4)}"
    for key in ("enum", "anyOf", "oneOf"):
        choices = schema.get(key)
        if isinstance(choices, list) and choices:
            pick = choices[seed[depth] % len(choices)]
            return pick if key == "enum" else value_for_schema(pick, seed, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    kind = str(kind).lower()
    if kind == "object":
        props = schema.get("properties") or {}
        return {
            key: value_for_schema(sub, digest(seed, key), key, depth + 1)
            for key, sub in props.items()
        }
    if kind == "array":
        return [value_for_schema(schema.get("items"), digest(seed, 0), name, depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", 0)) + seed[depth] % 10
    if kind == "number":
        return float(schema.get("minimum", 0)) + (seed[depth] % 100) / 4
    if kind == "boolean":
        return seed[depth] % 2 == 0
    if kind == "null":
        return None
    return f"{name}-{alnum(seed, 6)}"
