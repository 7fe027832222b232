"""The Gemini models the emulator serves and the ``GET /v1beta/models`` listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GENERATE = ("generateContent", "countTokens", "createCachedContent", "batchGenerateContent")
EMBED = ("embedContent", "countTextTokens", "countTokens")


@dataclass(frozen=True, slots=True)
class GeminiModel:
    id: str
    display_name: str
    embedding: bool = False
    thinking: bool = False
    thinking_required: bool = False
    """Rejects ``thinkingBudget: 0`` (2.5 Pro)."""
    call_ids: bool = True
    """Sends ``functionCall.id`` (older models and gemini-3-flash-preview do not)."""
    input_limit: int = 1_048_576
    output_limit: int = 65_536
    dimensions: int = 0

    @property
    def methods(self) -> tuple[str, ...]:
        return EMBED if self.embedding else GENERATE


MODELS: tuple[GeminiModel, ...] = (
    GeminiModel("gemini-2.5-flash", "Gemini 2.5 Flash", thinking=True),
    GeminiModel("gemini-2.5-pro", "Gemini 2.5 Pro", thinking=True, thinking_required=True),
    GeminiModel("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", thinking=True),
    # Google's aliases for the newest stable Flash and Pro (2.5-series when introduced).
    GeminiModel("gemini-flash-latest", "Gemini Flash Latest", thinking=True),
    GeminiModel("gemini-pro-latest", "Gemini Pro Latest", thinking=True, thinking_required=True),
    GeminiModel("gemini-3-flash-preview", "Gemini 3 Flash Preview", thinking=True,
                thinking_required=True, call_ids=False),
    GeminiModel("gemini-2.0-flash", "Gemini 2.0 Flash", call_ids=False, output_limit=8_192),
    GeminiModel("gemini-embedding-001", "Gemini Embedding 001", embedding=True,
                input_limit=2_048, output_limit=1, dimensions=3_072),
    GeminiModel("text-embedding-004", "Text Embedding 004", embedding=True,
                input_limit=2_048, output_limit=1, dimensions=768),
)  # fmt: skip


def select(ids: list[str] | None) -> tuple[GeminiModel, ...]:
    """The catalog serving exactly ``ids`` (unknown ids become plain chat models)."""
    if ids is None:
        return MODELS
    return tuple(find(i) or GeminiModel(i, i) for i in ids)


def find(model: str, table: tuple[GeminiModel, ...] = MODELS) -> GeminiModel | None:
    model = model.removeprefix("models/")
    return next((m for m in table if m.id == model), None)


def model_resource(m: GeminiModel) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"models/{m.id}",
        "version": "001",
        "displayName": m.display_name,
        "description": f"{m.display_name} (polyroute emulator)",
        "inputTokenLimit": m.input_limit,
        "outputTokenLimit": m.output_limit,
        "supportedGenerationMethods": list(m.methods),
    }
    if not m.embedding:
        body.update(temperature=1, topP=0.95, topK=64, maxTemperature=2)
    if m.thinking:
        body["thinking"] = True
    return body


def listing(table: tuple[GeminiModel, ...], page_size: int, token: str | None) -> dict[str, Any]:
    start = int(token) if token and token.isdigit() else 0
    page = table[start : start + page_size]
    body: dict[str, Any] = {"models": [model_resource(m) for m in page]}
    if start + page_size < len(table):
        body["nextPageToken"] = str(start + page_size)
    return body
