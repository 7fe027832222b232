"""Embeddings through the openai and mistralai SDKs, and Codestral fill-in-the-middle."""

from __future__ import annotations

import base64

import openai
import pytest
from mistralai.client import Mistral

from polyroute.server import BackgroundServer
from tests.gateway.conftest import FAMILY, MASTER_KEY, Family, last_body

EMBEDDERS = [f for f in FAMILY if f.embed]


@pytest.mark.parametrize("family", EMBEDDERS, ids=[f.provider for f in EMBEDDERS])
def test_embeddings(client: openai.OpenAI, family: Family) -> None:
    raw = client.embeddings.with_raw_response.create(model=family.embed, input=["one", "two words"])
    result = raw.parse()
    assert [d.index for d in result.data] == [0, 1]
    assert len(result.data[0].embedding) > 8
    assert result.data[0].embedding != result.data[1].embedding
    assert result.usage.prompt_tokens > 0
    assert raw.headers["x-polyroute-provider"] == family.provider


def test_embedding_dimensions_are_translated_for_mistral(client: openai.OpenAI, emulators) -> None:
    result = client.embeddings.create(model="mistral/mistral-embed", input="hi", dimensions=256)
    assert len(result.data[0].embedding) == 256
    body = last_body(emulators["mistral"], "/embeddings")
    assert body["output_dimension"] == 256 and "dimensions" not in body


def test_embedding_dimensions_for_openai(client: openai.OpenAI, emulators) -> None:
    result = client.embeddings.create(
        model="openai/text-embedding-3-small", input="hi", dimensions=64
    )
    assert len(result.data[0].embedding) == 64
    assert last_body(emulators["openai"], "/embeddings")["dimensions"] == 64


def test_base64_embeddings(client: openai.OpenAI) -> None:
    # The SDK asks for base64 by default and decodes it; ask explicitly and decode ourselves.
    raw = client.embeddings.with_raw_response.create(
        model="openai/text-embedding-3-small", input="hi", encoding_format="base64"
    )
    encoded = raw.http_response.json()["data"][0]["embedding"]
    assert len(base64.b64decode(encoded)) == 4 * 1536


@pytest.fixture
def mistral_sdk(gateway: BackgroundServer):
    with Mistral(api_key=MASTER_KEY, server_url=gateway.base_url) as sdk:
        yield sdk


def test_mistral_sdk_embeddings(mistral_sdk: Mistral) -> None:
    result = mistral_sdk.embeddings.create(model="mistral/mistral-embed", inputs=["a", "b"])
    assert len(result.data) == 2 and len(result.data[0].embedding) == 1024


def test_fim_with_the_mistral_sdk(mistral_sdk: Mistral, emulators) -> None:
    result = mistral_sdk.fim.complete(
        model="mistral/codestral-latest",
        prompt="def add(a, b):\n    ",
        suffix="\n\nprint(add(1, 2))",
    )
    assert result.choices[0].message.content
    body = last_body(emulators["mistral"], "/fim/completions")
    assert body["prompt"].startswith("def add") and body["suffix"].startswith("\n\nprint")
    assert body["model"] == "codestral-latest"


def test_fim_streaming_with_the_mistral_sdk(mistral_sdk: Mistral) -> None:
    whole = mistral_sdk.fim.complete(model="mistral/codestral-latest", prompt="def f():", suffix="")
    stream = mistral_sdk.fim.stream(model="mistral/codestral-latest", prompt="def f():", suffix="")
    text = "".join(
        event.data.choices[0].delta.content or "" for event in stream if event.data.choices
    )
    assert text == whole.choices[0].message.content


def test_fim_on_a_provider_without_it_is_a_clear_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post(
            "/fim/completions",
            body={"model": "openai/gpt-4o-mini", "prompt": "def f():"},
            cast_to=object,
        )
    assert "fill-in-the-middle" in caught.value.message
