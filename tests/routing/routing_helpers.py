"""Builders shared by the routing tests (no network, no clock, no randomness)."""

from __future__ import annotations

import random
from typing import Any

from polyroute.canonical import ChatRequest, ImagePart, Message, ResponseFormat, TextPart, ToolSpec
from polyroute.catalog import load_catalog
from polyroute.config import Settings, settings_from_mapping
from polyroute.gateway.targets import Target
from polyroute.routing import HealthBook, LatencyBook, Router

KEYS = {
    "MISTRAL_API_KEY": "m",
    "OPENAI_API_KEY": "o",
    "ANTHROPIC_API_KEY": "a",
    "GEMINI_API_KEY": "g",
}
CATALOG = load_catalog()


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def settings(raw: dict[str, Any] | None = None, keys: dict[str, str] | None = None) -> Settings:
    return settings_from_mapping(raw or {}, KEYS if keys is None else keys, "test.yaml")


def router(
    raw: dict[str, Any] | None = None,
    *,
    seed: int = 7,
    clock: FakeClock | None = None,
    keys: dict[str, str] | None = None,
) -> Router:
    clock = clock or FakeClock()
    return Router(
        settings(raw, keys),
        load_catalog(settings(raw, keys).catalog),
        LatencyBook(clock=clock, epsilon=0.0),
        HealthBook(clock=clock),
        random.Random(seed),
    )


def chat(
    text: str = "hello",
    *,
    tools: int = 0,
    image: bool = False,
    schema: bool = False,
    max_tokens: int | None = None,
    **extra: Any,
) -> ChatRequest:
    parts: list[Any] = [TextPart(text)]
    if image:
        parts.append(ImagePart("https://example.com/cat.png"))
    return ChatRequest(
        model="x",
        messages=[Message("user", parts)],
        tools=[ToolSpec(f"tool{i}", parameters={"type": "object"}) for i in range(tools)] or None,
        response_format=ResponseFormat("json_schema", schema={"type": "object"})
        if schema
        else None,
        max_tokens=max_tokens,
        **extra,
    )


def t(name: str) -> Target:
    provider, _, model = name.partition("/")
    return Target(provider, model)


def names(targets: Any) -> list[str]:
    return [target.name for target in targets]
