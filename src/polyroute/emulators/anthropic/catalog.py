"""The Claude models the emulator serves (ids, aliases, limits) and the /v1/models listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ClaudeModel:
    id: str
    display_name: str
    created_at: str
    max_tokens: int
    aliases: tuple[str, ...] = ()
    thinking: bool = True
    max_input_tokens: int = 200_000


MODELS: tuple[ClaudeModel, ...] = (
    ClaudeModel("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z", 64_000),
    ClaudeModel("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05T00:00:00Z", 64_000),
    ClaudeModel("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z",
                64_000, ("claude-sonnet-4-5",)),
    ClaudeModel("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15T00:00:00Z",
                64_000, ("claude-haiku-4-5",)),
    ClaudeModel("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z",
                32_000, ("claude-opus-4-1",)),
    ClaudeModel("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z",
                64_000, ("claude-sonnet-4-0",)),
    ClaudeModel("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z",
                8_192, ("claude-3-5-haiku-latest",), thinking=False),
)  # fmt: skip


def select(ids: list[str] | None) -> tuple[ClaudeModel, ...]:
    """The catalog serving exactly ``ids`` (unknown ids become plain 64k-output models)."""
    if ids is None:
        return MODELS
    known = [find(i) for i in ids]
    return tuple(
        m or ClaudeModel(i, i, "2025-01-01T00:00:00Z", 64_000)
        for i, m in zip(ids, known, strict=True)
    )


def find(model: object, table: tuple[ClaudeModel, ...] = MODELS) -> ClaudeModel | None:
    return next((m for m in table if model == m.id or model in m.aliases), None)


def model_info(m: ClaudeModel) -> dict[str, Any]:
    return {
        "type": "model",
        "id": m.id,
        "display_name": m.display_name,
        "created_at": m.created_at,
        "max_input_tokens": m.max_input_tokens,
        "max_tokens": m.max_tokens,
        "capabilities": {"thinking": {"supported": m.thinking}},
    }


def listing(
    table: tuple[ClaudeModel, ...], limit: int = 20, after_id: str | None = None
) -> dict[str, Any]:
    ids = [m.id for m in table]
    start = ids.index(after_id) + 1 if after_id in ids else 0
    page = table[start : start + limit]
    return {
        "data": [model_info(m) for m in page],
        "has_more": start + limit < len(table),
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
    }
