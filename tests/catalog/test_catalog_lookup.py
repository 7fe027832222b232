"""The shipped catalog: coverage, id forms, capabilities as evidence says."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyroute.catalog import CAPABILITIES, load_catalog
from polyroute.providers.registry import PROVIDERS

CATALOG = load_catalog()
DATA = Path(__file__).resolve().parents[2] / "src/polyroute/catalog/models.json"


def test_every_hosted_provider_has_models() -> None:
    hosted = set(PROVIDERS) - {"openai-compatible"}
    assert set(CATALOG.providers()) == hosted


def test_catalog_is_dated_and_small() -> None:
    assert CATALOG.version.startswith(CATALOG.effective_date)
    assert DATA.stat().st_size < 300_000


def test_entries_are_complete() -> None:
    for entry in CATALOG:
        assert entry.context_window, entry.name
        assert entry.capabilities <= CAPABILITIES, entry.name
        if entry.kind == "chat":
            assert entry.max_output, entry.name
        else:
            assert entry.capabilities == {"embeddings"}, entry.name


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("mistral", "mistral-small-latest", "mistral-small-latest"),
        ("mistral", "mistral/mistral-small-latest", "mistral-small-latest"),
        ("gemini", "gemini/gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini", "models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("groq", "groq/openai/gpt-oss-20b", "openai/gpt-oss-20b"),
        ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("deepinfra", "qwen/qwen3-coder-480b-a35b-instruct-turbo", None),
        ("deepinfra", "Qwen/Qwen3-Coder-480B-A35B-Instruct-Turbo", "same"),
        ("openrouter", "anthropic/claude-sonnet-4.5", "same"),
    ],
)
def test_id_forms(provider: str, model: str, expected: str | None) -> None:
    entry = CATALOG.get(provider, model)
    assert entry is not None
    if expected == "same":
        assert entry.model == model
    elif expected is not None:
        assert entry.model == expected


def test_case_insensitive_match_is_the_same_model() -> None:
    upper = CATALOG.get("deepinfra", "qwen/qwen3-coder-480b-a35b-instruct-turbo")
    assert upper is CATALOG.get("deepinfra", "Qwen/Qwen3-Coder-480B-A35B-Instruct-Turbo")


def test_unknown_models_and_near_misses_are_none() -> None:
    assert CATALOG.get("openai", "gpt-4o-2024-05-13") is None  # a snapshot at another price
    assert CATALOG.get("openai", "gpt-4") is None
    assert CATALOG.get("groq", "llama-3.1-8b-instant") is None  # not in the reference table
    assert CATALOG.get("mistral", "gpt-4o") is None


def test_capabilities_follow_evidence() -> None:
    def caps(provider: str, model: str) -> frozenset[str]:
        entry = CATALOG.get(provider, model)
        assert entry is not None
        return entry.capabilities

    assert {"fim", "tools"} <= caps("mistral", "codestral-latest")
    assert "fim" not in caps("mistral", "mistral-large-latest")
    assert "prefill" in caps("mistral", "mistral-small-latest")
    assert "prefill" in caps("anthropic", "claude-sonnet-4-5")
    assert "prefill" not in caps("openai", "gpt-4o")
    assert "images" not in caps("mistral", "codestral-latest")
    assert "reasoning" in caps("openai", "o4-mini")
    assert caps("mistral", "mistral-embed") == {"embeddings"}


def test_openrouter_entries_name_their_source() -> None:
    for entry in CATALOG.entries("openrouter"):
        assert entry.derived_from, entry.name
        assert "prefill" not in entry.capabilities


def test_entries_filter_by_provider() -> None:
    assert {e.provider for e in CATALOG.entries("xai")} == {"xai"}
    assert len(CATALOG.entries()) == len(CATALOG)
