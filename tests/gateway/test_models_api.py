"""``GET /v1/models`` and ``/v1/models/{id}`` through both SDKs: OpenAI's shapes by default,
Anthropic's (cursor pages, its envelope) for a client that sends ``anthropic-version``."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest

from polyroute.server import BackgroundServer
from tests.gateway.conftest import MASTER_KEY


@pytest.fixture
def claude(gateway: BackgroundServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0) as c:
        yield c


def test_models_lists_routes_and_each_providers_catalog_models(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert {"fallback", "auto"} <= set(ids)
    # A provider with no ``models`` in its config offers its catalog's, as model pickers
    # (Open WebUI, LibreChat) show them; ``provider/model`` is how they are called.
    assert {"openai/gpt-4o-mini", "mistral/mistral-small-latest"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_a_model_is_retrieved_by_its_id(client: openai.OpenAI) -> None:
    model = client.models.retrieve("openai/gpt-4o-mini")
    assert (model.id, model.owned_by, model.object) == ("openai/gpt-4o-mini", "openai", "model")
    assert client.models.retrieve("auto").owned_by == "polyroute"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("openai/no-such-model")
    assert caught.value.code == "model_not_found"
    assert caught.value.body["param"] == "model"  # type: ignore[index]


def test_the_anthropic_sdk_pages_through_the_same_models(
    client: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    expected = [m.id for m in client.models.list()]
    pages = claude.models.list(limit=7)
    assert len(pages.data) == 7 and pages.has_more
    # The SDK follows ``last_id`` as ``after_id`` until ``has_more`` is false.
    assert [m.id for m in pages] == expected
    model = next(m for m in claude.models.list(limit=1000) if m.id == "openai/gpt-4o-mini")
    assert (model.type, model.display_name) == ("model", "openai/gpt-4o-mini")
    assert model.max_input_tokens == 128_000 and model.max_tokens == 16_384
    assert model.created_at.year == 1970  # release date unknown: the epoch, as the spec says


def test_an_anthropic_page_before_a_cursor(
    client: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    ids = [m.id for m in client.models.list()]
    page = claude.models.list(before_id=ids[5], limit=3)
    assert [m.id for m in page.data] == ids[2:5]
    assert (page.first_id, page.last_id, page.has_more) == (ids[2], ids[4], True)
    first = claude.models.list(before_id=ids[2], limit=3)
    assert [m.id for m in first.data] == ids[:2] and first.has_more is False


def test_anthropic_retrieve_and_its_errors(claude: anthropic.Anthropic) -> None:
    assert claude.models.retrieve("auto").id == "auto"
    with pytest.raises(anthropic.NotFoundError) as missing:
        claude.models.retrieve("openai/no-such-model")
    assert missing.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    for bad in ({"limit": 0}, {"limit": 1001}, {"after_id": "nope"}):
        with pytest.raises(anthropic.BadRequestError) as caught:
            claude.models.list(**bad)  # type: ignore[arg-type]
        assert caught.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
