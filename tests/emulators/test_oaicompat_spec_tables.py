"""The declared field tables match the published specs in ../shared/specs (skipped if absent)."""

from __future__ import annotations

import itertools
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from polyroute.emulators.openai_compat import PROFILES
from polyroute.emulators.openai_compat.profiles import (
    DEEPINFRA_EMBEDDING_FIELDS,
    OPENAI_CHAT_FIELDS,
    OPENAI_EMBEDDING_FIELDS,
)

pytestmark = pytest.mark.spec


class _Spec:
    """A spec file; for big YAML files only the schemas a test asks for are parsed."""

    def __init__(self, path: Path) -> None:
        text = path.read_text()
        self.doc: dict[str, Any] | None = None
        self._blocks: dict[str, str] = {}
        if text.lstrip().startswith("{"):
            self.doc = json.loads(text)
            return
        lines = text.splitlines()
        begin = lines.index("  schemas:", lines.index("components:"))
        names: list[tuple[str, int]] = []
        for i in range(begin + 1, len(lines)):
            line = lines[i]
            if line and not line.startswith("    "):
                names.append(("", i))
                break
            match = re.match(r"^    ([^\s#][^:]*):\s*$", line)
            if match:
                names.append((match.group(1).strip("'\""), i))
        for (name, i), (_, j) in itertools.pairwise(names):
            self._blocks[name] = "\n".join(lines[i:j])

    def schema(self, name: str) -> dict[str, Any]:
        if self.doc is not None:
            return self.doc["components"]["schemas"][name]
        parsed = yaml.load(self._blocks[name], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return next(iter(parsed.values()))


@cache
def _load(path: Path) -> _Spec:
    return _Spec(path)


def _resolve(spec: _Spec, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = spec.schema(node["$ref"].rsplit("/", 1)[1])
    return node


def _properties(spec: _Spec, node: dict[str, Any]) -> set[str]:
    """Property names of a schema, with ``allOf`` (and ``$ref``) resolved recursively."""
    node = _resolve(spec, node)
    names = set(node.get("properties", {}))
    for sub in node.get("allOf", []):
        names |= _properties(spec, sub)
    return names


def _schema(spec: _Spec, name: str) -> set[str]:
    return _properties(spec, spec.schema(name))


def _request_schema(spec: _Spec, path: str) -> set[str]:
    assert spec.doc is not None
    post = spec.doc["paths"][path]["post"]
    return _properties(spec, post["requestBody"]["content"]["application/json"]["schema"])


def test_openai_chat_and_embeddings(specs):
    doc = _load(specs / "openai" / "openapi.yaml")
    assert _schema(doc, "CreateChatCompletionRequest") == PROFILES["openai"].chat_fields
    assert _schema(doc, "CreateEmbeddingRequest") == PROFILES["openai"].embedding_fields
    for name in ("groq", "cerebras", "xai"):  # no spec: OpenAI's table plus their extras
        assert PROFILES[name].chat_fields >= OPENAI_CHAT_FIELDS
        assert PROFILES[name].embedding_fields == OPENAI_EMBEDDING_FIELDS


def test_mistral_chat_fim_embeddings_messages(specs):
    doc = _load(specs / "mistral" / "openapi.yaml")
    profile = PROFILES["mistral"]
    assert _schema(doc, "ChatCompletionRequest") == profile.chat_fields
    assert _schema(doc, "FIMCompletionRequest") == profile.fim_fields
    assert _schema(doc, "EmbeddingRequest") == profile.embedding_fields
    for role, schema in (
        ("system", "SystemMessage"),
        ("user", "UserMessage"),
        ("assistant", "AssistantMessage"),
        ("tool", "ToolMessage"),
    ):
        assert _schema(doc, schema) == profile.message_fields[role]


def test_openrouter_chat(specs):
    doc = _load(specs / "openrouter" / "openapi.yaml")
    assert _request_schema(doc, "/chat/completions") == PROFILES["openrouter"].chat_fields
    required = doc.schema("ChatRequest").get("required", [])
    assert tuple(required) == PROFILES["openrouter"].required_chat


def test_deepinfra_chat_and_embeddings(specs):
    doc = _load(specs / "deepinfra" / "openapi.json")
    assert _request_schema(doc, "/v1/openai/chat/completions") == PROFILES["deepinfra"].chat_fields
    assert _request_schema(doc, "/v1/openai/embeddings") == DEEPINFRA_EMBEDDING_FIELDS
    assert PROFILES["deepinfra"].base_path == "/v1/openai"
