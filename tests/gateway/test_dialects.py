"""Each provider receives its own dialect: the declared deltas, checked on the wire."""

from __future__ import annotations

import openai
import pytest

from tests.gateway.conftest import BY_NAME, FAMILY, Family, last_body

HELLO = [{"role": "user", "content": "hello"}]
IMAGE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
VISION = {
    "openai": "gpt-4o-mini",
    "mistral": "mistral-small-latest",
    "groq": "meta-llama/llama-4-scout-17b-16e-instruct",
    "deepinfra": "Qwen/Qwen2.5-VL-32B-Instruct",
    "xai": "grok-4",
    "openrouter": "openai/gpt-4o-mini",
    "local": "Qwen/Qwen2.5-VL-7B-Instruct",
}


def test_mistral_gets_random_seed_max_tokens_and_no_stream_options(
    client: openai.OpenAI, emulators
) -> None:
    list(
        client.chat.completions.create(
            model=BY_NAME["mistral"].chat,
            messages=HELLO,
            seed=42,
            max_completion_tokens=64,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    body = last_body(emulators["mistral"])
    assert body["random_seed"] == 42 and "seed" not in body
    assert body["max_tokens"] == 64 and "max_completion_tokens" not in body
    assert "stream_options" not in body


@pytest.mark.parametrize(
    "provider", ["openai", "groq", "cerebras", "xai", "openrouter", "deepinfra", "local"]
)
def test_usage_is_requested_upstream_even_when_the_client_did_not_ask(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    chunks = list(
        client.chat.completions.create(model=BY_NAME[provider].chat, messages=HELLO, stream=True)
    )
    assert all(c.usage is None for c in chunks)
    assert last_body(emulators[provider])["stream_options"] == {"include_usage": True}


def test_unknown_fields_pass_to_providers_that_accept_them(
    client: openai.OpenAI, emulators
) -> None:
    for provider in ("deepinfra", "openrouter", "local"):
        raw = client.chat.completions.with_raw_response.create(
            model=BY_NAME[provider].chat, messages=HELLO, extra_body={"top_k": 5, "min_p": 0.1}
        )
        assert raw.parse().choices[0].message.content
        body = last_body(emulators[provider])
        assert body["top_k"] == 5 and body["min_p"] == 0.1
        assert "x-polyroute-dropped-params" not in raw.headers


def test_fields_a_strict_provider_rejects_are_dropped_and_reported(
    client: openai.OpenAI, emulators
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=BY_NAME["openai"].chat, messages=HELLO, extra_body={"top_k": 5, "safe_prompt": True}
    )
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-polyroute-dropped-params"] == "safe_prompt,top_k"
    body = last_body(emulators["openai"])
    assert "top_k" not in body and "safe_prompt" not in body


def test_provider_specific_fields_reach_their_provider(client: openai.OpenAI, emulators) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=BY_NAME["mistral"].chat,
        messages=HELLO,
        user="alice",
        extra_body={"safe_prompt": True},
    )
    assert raw.parse().choices[0].message.content
    body = last_body(emulators["mistral"])
    assert body["safe_prompt"] is True
    assert "user" not in body
    assert raw.headers["x-polyroute-dropped-params"] == "user"


def test_logprobs_pass_through_where_the_provider_has_them(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=BY_NAME["openai"].chat, messages=HELLO, logprobs=True, top_logprobs=2
    )
    assert reply.choices[0].logprobs is not None
    assert reply.choices[0].logprobs.content


def test_n_choices(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=BY_NAME["openai"].chat, messages=HELLO, n=2)
    assert [c.index for c in reply.choices] == [0, 1]


@pytest.mark.parametrize("provider", sorted(VISION))
def test_image_parts_reach_vision_models(client: openai.OpenAI, emulators, provider: str) -> None:
    model = f"{provider}/{VISION[provider]}"
    reply = client.chat.completions.create(
        model=model,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": IMAGE, "detail": "low"}},
                ],
            }
        ],
    )
    assert reply.choices[0].message.content
    parts = last_body(emulators[provider])["messages"][0]["content"]
    assert parts[1]["type"] == "image_url"
    url = (
        parts[1]["image_url"]["url"]
        if isinstance(parts[1]["image_url"], dict)
        else parts[1]["image_url"]
    )
    assert url == IMAGE


@pytest.mark.parametrize("family", FAMILY, ids=[f.provider for f in FAMILY])
def test_each_provider_gets_its_auth_header(
    client: openai.OpenAI, emulators, family: Family
) -> None:
    client.chat.completions.create(model=family.chat, messages=HELLO)
    received = emulators[family.provider].received("/chat/completions")[-1]
    assert received["headers"]["authorization"] == "<redacted>"


def test_dropped_field_names_cannot_inject_headers(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=BY_NAME["openai"].chat, messages=HELLO, extra_body={"a\r\nx-injected: 1": True}
    )
    assert "x-injected" not in raw.headers
    assert raw.headers["x-polyroute-dropped-params"] == "a??x-injected??1"
