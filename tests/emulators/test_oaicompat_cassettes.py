"""The emulators' key structure matches the recorded exchanges in ../shared/specs/examples.

Requests recorded against the real APIs are replayed against the emulator; the JSON key
structure (not the values) of its answer must equal the recording's. ``TOLERATED`` lists
keys that differ between recordings of the same provider (they come and go with dates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

pytestmark = pytest.mark.spec

TOLERATED = frozenset({"cache_write_tokens", "video_tokens", "annotations", "reasoning_details"})


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k not in TOLERATED}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def keys(value: Any) -> Any:
    """Key structure only: dict keys recursively, lists by their first element."""
    return shape(value)


def _cassette(specs: Path, name: str) -> list[dict[str, Any]]:
    path = specs / "examples" / name
    if not path.exists():
        pytest.skip(f"recorded example {name} is absent")
    return yaml.safe_load(path.read_text())["interactions"]


def _replay(http: httpx.Client, base_url: str, interaction: dict[str, Any], **override):
    request = interaction["request"]
    path = "/" + request["uri"].split("/v1/", 1)[1].split("#")[0]
    return http.post(base_url + path, json={**request["parsed_body"], **override})


def _data(text: str) -> list[Any]:
    return [
        yaml.safe_load(line[6:])
        for line in text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


def test_openai_stream_tool_call_and_text(specs, emulators, http):
    for interaction in _cassette(specs, "openai/chat-stream-tool-call-include-usage.cassette.yaml"):
        recorded = _data(interaction["response"]["body"]["string"])
        r = _replay(http, emulators["openai"].base_url, interaction)
        assert r.status_code == 200, r.text
        ours = _data(r.text)
        assert r.text.endswith("data: [DONE]\n\n")
        for index in (0, 1, -2, -1):  # first, second, finish and usage chunks
            assert keys(ours[index]) == keys(recorded[index])


def test_openai_embeddings_and_404(specs, emulators, http):
    (ok,) = _cassette(specs, "openai/embeddings.cassette.yaml")
    r = _replay(http, emulators["openai"].base_url, ok)
    assert keys(r.json()) == keys(ok["response"]["parsed_body"])
    (missing,) = _cassette(specs, "openai/embeddings-404-error.cassette.yaml")
    r = _replay(http, emulators["openai"].base_url, missing)
    assert r.status_code == missing["response"]["status"]["code"]
    assert r.json() == missing["response"]["parsed_body"]


def test_openai_prompt_cache_usage(specs, emulators, http):
    interaction = _cassette(specs, "openai/chat-prompt-cache-cached-tokens.cassette.yaml")[-1]
    r = _replay(http, emulators["openai"].base_url, interaction, model="gpt-4o-mini")
    recorded = interaction["response"]["parsed_body"]
    assert keys(r.json()) == keys(recorded)
    assert r.json()["usage"]["prompt_tokens_details"]["cached_tokens"] > 0


def test_groq_404_and_reasoning_shapes(specs, emulators, http):
    (missing,) = _cassette(specs, "groq/chat-404-model-not-found.cassette.yaml")
    r = _replay(http, emulators["groq"].base_url, missing)
    assert r.status_code == 404
    assert r.json() == missing["response"]["parsed_body"]
    recorded = _cassette(specs, "groq/chat-reasoning.cassette.yaml")[0]
    r = _replay(http, emulators["groq"].base_url, recorded, model="llama-3.3-70b-versatile")
    assert keys(r.json()) == keys(recorded["response"]["parsed_body"])


def test_groq_stream_excerpt(specs, emulators, http):
    path = specs / "examples" / "groq" / "chat-stream-x_groq-usage.excerpt.sse"
    if not path.exists():
        pytest.skip("groq stream excerpt is absent")
    recorded = _data(path.read_text())
    body = {"model": "llama-3.3-70b-versatile", "stream": True, "reasoning_format": "raw",
            "messages": [{"role": "user", "content": "A recipe please"}]}  # fmt: skip
    ours = _data(http.post(emulators["groq"].base_url + "/chat/completions", json=body).text)
    for index in (0, 1, -1):
        assert keys(ours[index]) == keys(recorded[index])


def test_cerebras_time_info(specs, emulators, http):
    (interaction,) = _cassette(specs, "cerebras/chat-simple-time-info.cassette.yaml")
    r = _replay(http, emulators["cerebras"].base_url, interaction, model="llama-3.3-70b")
    assert keys(r.json()) == keys(interaction["response"]["parsed_body"])
    assert r.headers["inference-id"] == r.json()["id"]


def test_mistral_plain_and_stream(specs, emulators, http):
    (plain,) = _cassette(specs, "mistral/chat-penalties.cassette.yaml")
    r = _replay(http, emulators["mistral"].base_url, plain)
    assert r.status_code == 200, r.text
    assert keys(r.json()) == keys(plain["response"]["parsed_body"])
    assert "mistral-correlation-id" in r.headers
    stream = _cassette(specs, "mistral/chat-stream-magistral-thinking.cassette.yaml")[0]
    recorded = _data(stream["response"]["body"]["string"])
    r = _replay(http, emulators["mistral"].base_url, stream)
    assert r.status_code == 200, r.text
    ours = _data(r.text)
    for index in (0, -1):
        assert keys(ours[index]) == keys(recorded[index])


def test_openrouter_shapes(specs, emulators, http):
    emu = emulators["openrouter"]
    (errored,) = _cassette(specs, "openrouter/chat-stream-midstream-error.cassette.yaml")
    recorded = _data(errored["response"]["body"]["string"])
    emu.inject(stream_error_after_chunks=2)
    r = _replay(http, emu.base_url, errored, model="openai/gpt-4o-mini")
    ours = _data(r.text)
    assert keys(ours[-1]) == keys(recorded[-1])
    rate_limited = _cassette(specs, "openrouter/chat-429-provider-error.cassette.yaml")[0]
    emu.inject(status=429)
    r = _replay(http, emu.base_url, rate_limited, model="openai/gpt-4o-mini")
    assert r.status_code == 429
    assert keys(r.json()) == keys(rate_limited["response"]["parsed_body"])
    accounting = _cassette(specs, "openrouter/chat-usage-accounting.cassette.yaml")
    usage = next(i["response"]["parsed_body"]["usage"] for i in accounting
                 if "cost" in i["response"]["parsed_body"].get("usage", {}))  # fmt: skip
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    ours_usage = http.post(emu.base_url + "/chat/completions", json=body).json()["usage"]
    assert keys(ours_usage) == keys(usage)
