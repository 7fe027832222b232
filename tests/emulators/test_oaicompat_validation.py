"""Validation errors, per provider, with the exact bodies the real providers send."""

from __future__ import annotations

import pytest

USER = [{"role": "user", "content": "hi"}]
TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


def test_openai_rejects_unknown_field(chat):
    r = chat("openai", {"messages": USER, "top_k": 3})
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "message": "Unrecognized request argument supplied: top_k",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_openai_rejects_reasoning_effort_on_non_reasoning_model(chat):
    r = chat("openai", {"model": "gpt-4o-mini", "messages": USER, "reasoning_effort": "low"})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "Unrecognized request argument supplied: reasoning_effort"
    )
    ok = chat("openai", {"model": "o4-mini", "messages": USER, "reasoning_effort": "low"})
    assert ok.status_code == 200


def test_openai_reasoning_model_rejects_max_tokens(chat):
    r = chat("openai", {"model": "o4-mini", "messages": USER, "max_tokens": 5})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "unsupported_parameter"


def test_openai_missing_messages_and_model(chat, emulators, http):
    r = chat("openai", {})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "missing_required_parameter"
    assert r.json()["error"]["param"] == "messages"
    r = http.post(emulators["openai"].base_url + "/chat/completions", json={"messages": USER})
    assert r.json()["error"]["message"] == "you must provide a model parameter"


@pytest.mark.parametrize(
    ("profile", "status", "body"),
    [
        ("openai", 400, {"error": {"message": ..., "type": "invalid_request_error",
                                   "param": None, "code": None}}),
        ("mistral", 422, None),
        ("groq", 400, {"error": {"message": ..., "type": "invalid_request_error"}}),
    ],
)  # fmt: skip
def test_malformed_json(profile, status, body, emulators, http):
    r = http.post(
        emulators[profile].base_url + "/chat/completions",
        content=b'{"model": "x", "messages": [',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == status
    got = r.json()
    if profile == "mistral":
        assert got["message"]["detail"][0]["type"] == "json_invalid"
    else:
        assert set(got["error"]) == set(body["error"])
        assert "could not parse the JSON body" in got["error"]["message"]


def test_mistral_extra_forbidden_lists_every_extra_field(chat):
    r = chat(
        "mistral",
        {
            "messages": [{"role": "user", "content": "hi", "name": "bob", "metadata": {"a": 1}}],
            "stream": True,
            "stream_options": {"include_usage": True},
            "seed": 1,
            "max_completion_tokens": 5,
        },
    )
    assert r.status_code == 422
    body = r.json()
    assert body["object"] == "error"
    assert body["type"] == "invalid_request_error"
    assert body["param"] is None and body["code"] is None
    locs = [tuple(d["loc"]) for d in body["message"]["detail"]]
    assert ("body", "stream_options") in locs
    assert ("body", "seed") in locs
    assert ("body", "max_completion_tokens") in locs
    assert ("body", "messages", 0, "user", "name") in locs
    assert ("body", "messages", 0, "user", "metadata") in locs
    for d in body["message"]["detail"]:
        assert d["type"] == "extra_forbidden"
        assert d["msg"] == "Extra inputs are not permitted"


@pytest.mark.parametrize("field", ["logprobs", "user", "n_ctx"])
def test_mistral_has_no_logprobs_or_user(chat, field):
    assert chat("mistral", {"messages": USER, field: True}).status_code == 422


def test_mistral_tool_calls_on_user_message_forbidden(chat):
    msg = {"role": "user", "content": "hi", "tool_calls": []}
    assert chat("mistral", {"messages": [msg]}).status_code == 422


def _tool_history(call_id: str) -> list[dict]:
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": "get_weather", "arguments": "{}"},
    }
    return [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": "sunny"},
    ]


def test_mistral_rejects_tool_call_ids_not_9_alnum(chat):
    r = chat("mistral", {"messages": _tool_history("call_abc123"), "tools": [TOOL]})
    assert r.status_code == 400
    assert r.json() == {
        "object": "error",
        "message": "Tool call id was call_abc123 but must be a-z, A-Z, 0-9, with a length of 9.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert (
        chat("mistral", {"messages": _tool_history("abcDEF123"), "tools": [TOOL]}).status_code
        == 200
    )


def test_mistral_accepts_random_seed_and_any(chat):
    r = chat(
        "mistral",
        {
            "messages": USER,
            "random_seed": 7,
            "max_tokens": 3,
            "tools": [TOOL],
            "tool_choice": "any",
        },
    )
    assert r.status_code == 200
    assert r.json()["choices"][0]["finish_reason"] == "tool_calls"


def test_openai_rejects_any_tool_choice(chat):
    r = chat("openai", {"messages": USER, "tools": [TOOL], "tool_choice": "any"})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "tool_choice"


@pytest.mark.parametrize("profile", ["openai", "groq", "deepinfra", "openrouter"])
def test_tool_message_must_answer_a_previous_call(chat, profile):
    messages = [*USER, {"role": "tool", "tool_call_id": "call_x", "content": "r"}]
    r = chat(profile, {"messages": messages})
    assert r.status_code == 400
    if profile == "openai":
        assert r.json()["error"]["message"].startswith(
            "Invalid parameter: messages with role 'tool' must be a response"
        )


def test_tool_message_needs_tool_call_id(chat):
    r = chat("openai", {"messages": [*USER, {"role": "tool", "content": "r"}]})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "messages[1].tool_call_id"


def test_unanswered_tool_call_rejected(chat):
    history = [*_tool_history("call_1")[:2], {"role": "user", "content": "and?"}]
    r = chat("openai", {"messages": history})
    assert r.status_code == 400
    assert "did not have response messages: call_1" in r.json()["error"]["message"]


@pytest.mark.parametrize("profile", ["groq", "cerebras", "xai"])
def test_openai_schema_profiles_reject_unknown(chat, profile):
    assert chat(profile, {"messages": USER, "num_ctx": 1}).status_code == 400


def test_profile_extras_accepted(chat):
    assert chat("groq", {"messages": USER, "reasoning_format": "hidden"}).status_code == 200
    assert chat("xai", {"messages": USER, "search_parameters": {}}).status_code == 200


@pytest.mark.parametrize("profile", ["deepinfra", "openrouter", "openai-compatible"])
def test_permissive_profiles_accept_unknown_fields(chat, profile):
    r = chat(profile, {"messages": USER, "chat_template_kwargs": {}, "whatever": 1})
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("profile", "status", "body"),
    [
        ("openai", 404, {"error": {"message": "The model `nope` does not exist or you do not have "
                                   "access to it.", "type": "invalid_request_error",
                                   "param": None, "code": "model_not_found"}}),
        ("groq", 404, {"error": {"message": "The model `nope` does not exist or you do not have "
                                 "access to it.", "type": "invalid_request_error",
                                 "code": "model_not_found"}}),
        ("mistral", 400, {"object": "error", "message": "Invalid model: nope",
                          "type": "invalid_model", "param": None, "code": "1500"}),
        ("openrouter", 400, {"error": {"message": "nope is not a valid model ID", "code": 400},
                             "user_id": "user_2emulatorEmulatorEmulat0r"}),
    ],
)  # fmt: skip
def test_unknown_model(chat, profile, status, body):
    r = chat(profile, {"model": "nope", "messages": USER})
    assert r.status_code == status
    assert r.json() == body


def test_image_needs_vision_model(chat):
    parts = [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    messages = [{"role": "user", "content": parts}]
    assert chat("openai", {"model": "gpt-4o-mini", "messages": messages}).status_code == 200
    r = chat("groq", {"model": "llama-3.1-8b-instant", "messages": messages})
    assert r.status_code == 400


def test_auth_per_provider(emulators):
    import httpx

    bodies = {}
    for name, server in emulators.items():
        r = httpx.post(server.base_url + "/chat/completions", json={"model": "x", "messages": USER})
        bodies[name] = (r.status_code, r.json())
    assert bodies["openai"][0] == 401
    assert bodies["openai"][1]["error"]["message"].startswith("You didn't provide an API key.")
    assert bodies["mistral"] == (401, {"detail": "Unauthorized"})
    assert bodies["groq"][1]["error"]["code"] == "invalid_api_key"
    assert bodies["openrouter"] == (401, {"error": {"message": "No auth credentials found",
                                                    "code": 401}})  # fmt: skip
    assert bodies["xai"][0] == 400
    assert bodies["cerebras"][1]["code"] == "wrong_api_key"


def test_api_key_is_enforced_when_set():
    import httpx

    from polyroute.emulators import EmulatorServer

    with EmulatorServer("openai", api_key="sk-right-key-1234") as server:
        url = server.base_url + "/models"
        wrong = httpx.get(url, headers={"Authorization": "Bearer sk-wrong-key-9999"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "invalid_api_key"
        ok = httpx.get(url, headers={"Authorization": "Bearer sk-right-key-1234"})
        assert ok.status_code == 200
