"""EmulatorServer: path layouts, model overrides, modes, non-stream faults."""

from __future__ import annotations

import httpx
import pytest

from polyroute.emulators import EmulatorServer, available_profiles
from polyroute.providers.registry import PROVIDERS

USER = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("profile", "path"),
    [
        ("openai", "/v1"),
        ("mistral", "/v1"),
        ("groq", "/openai/v1"),
        ("cerebras", "/v1"),
        ("deepinfra", "/v1/openai"),
        ("xai", "/v1"),
        ("openrouter", "/api/v1"),
        ("openai-compatible", "/v1"),
    ],
)
def test_base_url_follows_the_real_path_layout(emulators, profile, path):
    server = emulators[profile]
    assert server.base_url == f"http://127.0.0.1:{server.port}{path}"
    assert PROVIDERS[profile].base_url.endswith(path)


def test_every_openai_protocol_provider_has_an_emulator():
    openai_family = {name for name, spec in PROVIDERS.items() if spec.protocol == "openai"}
    assert openai_family <= set(available_profiles())


def test_unknown_profile():
    with pytest.raises(ValueError, match="unknown emulator profile"):
        EmulatorServer("nope")


def test_models_override_and_fim_only_on_mistral(http):
    with EmulatorServer("groq", models=["my-model", "gpt-4o"]) as server:
        listed = http.get(server.base_url + "/models").json()
        assert [m["id"] for m in listed["data"]] == ["my-model", "gpt-4o"]
        body = {"model": "my-model", "messages": USER}
        assert http.post(server.base_url + "/chat/completions", json=body).status_code == 200
        fim = http.post(server.base_url + "/fim/completions", json={"prompt": "x"})
        assert fim.status_code == 404


def test_thread_start_failure_is_reported(emulators):
    taken = emulators["openai"].port
    with pytest.raises(RuntimeError, match="did not start"):
        EmulatorServer("openai", port=taken).start_in_thread()


def test_non_stream_cut_truncates_the_json_body(emulators, http):
    emulators["openai"].inject(cut_after_chunks=1)
    body = {"model": "gpt-4o-mini", "messages": USER}
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.post(emulators["openai"].base_url + "/chat/completions", json=body)
