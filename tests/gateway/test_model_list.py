"""What ``GET /v1/models`` offers: routes, then each provider's models (its config's list,
else the catalog's current ones for its kind), named ``provider/model``."""

from __future__ import annotations

from polyroute.app import _model_list
from polyroute.catalog import ModelEntry
from polyroute.config import settings_from_mapping


class _Catalog:
    def __init__(self, *entries: ModelEntry) -> None:
        self._entries = entries

    def entries(self, provider: str | None = None) -> tuple[ModelEntry, ...]:
        return tuple(e for e in self._entries if provider in (None, e.provider))

    def get(self, provider: str, model: str) -> ModelEntry | None:
        return next((e for e in self._entries if (e.provider, e.model) == (provider, model)), None)


CATALOG = _Catalog(
    ModelEntry("openai", "current", context_window=128_000, max_output=16_384),
    ModelEntry("openai", "retiring-later", deprecation_date="2999-01-01"),
    ModelEntry("openai", "retired", deprecation_date="2000-01-01"),
    ModelEntry("mistral", "mistral-small-latest"),
)


def _ids(providers: dict[str, dict[str, object]]) -> list[str]:
    settings = settings_from_mapping({"providers": providers}, env={}, source="test.yaml")
    return [m.id for m in _model_list(settings, ["auto"], CATALOG)]  # type: ignore[arg-type]


def test_a_provider_without_a_model_list_offers_the_catalogs_current_models() -> None:
    ids = _ids({"openai": {"api_key": "k"}})
    assert ids == ["auto", "openai/current", "openai/retiring-later"]


def test_a_providers_own_list_replaces_the_catalogs() -> None:
    assert _ids({"openai": {"api_key": "k", "models": ["ft:gpt-4o-mini:acme"]}}) == [
        "auto",
        "openai/ft:gpt-4o-mini:acme",
    ]


def test_the_catalog_is_read_by_the_providers_kind_and_named_by_the_provider() -> None:
    ids = _ids({"work": {"type": "mistral", "api_key": "k"}})
    assert ids == ["auto", "work/mistral-small-latest"]


def test_a_self_hosted_server_offers_only_what_its_config_lists() -> None:
    local = {"type": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1"}
    assert _ids({"local": local}) == ["auto"]
    assert _ids({"local": {**local, "models": ["qwen"]}}) == ["auto", "local/qwen"]


def test_a_models_limits_come_from_the_catalog_where_it_knows_them() -> None:
    settings = settings_from_mapping(
        {"providers": {"openai": {"api_key": "k", "models": ["current", "ft:custom"]}}},
        env={},
        source="test.yaml",
    )
    models = _model_list(settings, ["auto"], CATALOG)  # type: ignore[arg-type]
    limits = {m.id: (m.context_window, m.max_output) for m in models}
    assert limits == {
        "auto": (None, None),
        "openai/current": (128_000, 16_384),
        "openai/ft:custom": (None, None),
    }
