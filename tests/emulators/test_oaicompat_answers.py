"""Deterministic answers: text, tools, JSON, n, max_tokens, stop, logprobs, usage, FIM."""

from __future__ import annotations

import base64
import json
import re
import struct

import pytest

USER = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 2},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


def test_text_reply_is_deterministic_and_echoes(chat):
    a = chat("openai", {"messages": USER}).json()
    b = chat("openai", {"messages": USER}).json()
    text = a["choices"][0]["message"]["content"]
    assert text == b["choices"][0]["message"]["content"]
    assert text.startswith("You said: What is the weather in Paris")
    assert a["id"].startswith("chatcmpl-")
    assert a["model"] == "gpt-4o-mini-2024-07-18"


def test_tool_call_with_schema_arguments(chat):
    r = chat("openai", {"messages": USER, "tools": [WEATHER]}).json()
    choice = r["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call["id"])
    args = json.loads(call["function"]["arguments"])
    assert set(args) == {"city", "unit", "days"}
    assert args["unit"] == "c" and args["days"] >= 2 and isinstance(args["city"], str)


def test_parallel_tool_calls(chat):
    messages = [{"role": "user", "content": "Call get_weather and get_time please"}]
    r = chat("openai", {"messages": messages, "tools": [WEATHER, TIME]}).json()
    names = [c["function"]["name"] for c in r["choices"][0]["message"]["tool_calls"]]
    assert names == ["get_weather", "get_time"]
    r = chat(
        "openai", {"messages": messages, "tools": [WEATHER, TIME], "parallel_tool_calls": False}
    ).json()
    assert len(r["choices"][0]["message"]["tool_calls"]) == 1


def test_tool_choice_none_named_and_required(chat):
    r = chat("openai", {"messages": USER, "tools": [WEATHER], "tool_choice": "none"}).json()
    assert r["choices"][0]["finish_reason"] == "stop"
    named = {"type": "function", "function": {"name": "get_time"}}
    r = chat("openai", {"messages": USER, "tools": [WEATHER, TIME], "tool_choice": named}).json()
    assert r["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_time"


def test_answer_after_tool_result(chat):
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": "{}"},
    }
    messages = [
        *USER,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "22 degrees"},
    ]
    r = chat("openai", {"messages": messages, "tools": [WEATHER]}).json()
    assert r["choices"][0]["finish_reason"] == "stop"
    assert "22 degrees" in r["choices"][0]["message"]["content"]


def test_mistral_tool_ids_are_9_alnum(chat):
    r = chat("mistral", {"messages": USER, "tools": [WEATHER]}).json()
    call = r["choices"][0]["message"]["tool_calls"][0]
    assert re.fullmatch(r"[A-Za-z0-9]{9}", call["id"])
    assert re.fullmatch(r"[0-9a-f]{32}", r["id"])


def test_json_modes(chat):
    r = chat("openai", {"messages": USER, "response_format": {"type": "json_object"}}).json()
    assert isinstance(json.loads(r["choices"][0]["message"]["content"]), dict)
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "tags"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema, "strict": True}}
    r = chat("openai", {"messages": USER, "response_format": fmt}).json()
    value = json.loads(r["choices"][0]["message"]["content"])
    assert isinstance(value["name"], str) and isinstance(value["tags"], list)


def test_n_max_tokens_stop(chat):
    r = chat("openai", {"messages": USER, "n": 2}).json()
    assert [c["index"] for c in r["choices"]] == [0, 1]
    r = chat("openai", {"messages": USER, "max_completion_tokens": 3}).json()
    assert r["choices"][0]["finish_reason"] == "length"
    assert r["usage"]["completion_tokens"] == 3
    r = chat("openai", {"messages": USER, "stop": ["deterministic"]}).json()
    assert r["choices"][0]["finish_reason"] == "stop"
    assert "deterministic" not in r["choices"][0]["message"]["content"]
    r = chat("mistral", {"messages": USER, "max_tokens": 2}).json()
    assert r["choices"][0]["finish_reason"] == "length"


def test_logprobs_and_seed(chat):
    r = chat("openai", {"messages": USER, "logprobs": True, "top_logprobs": 2}).json()
    content = r["choices"][0]["logprobs"]["content"]
    assert content[0]["token"] == "You" and len(content[0]["top_logprobs"]) == 2
    a = chat("openai", {"messages": USER, "seed": 1}).json()["system_fingerprint"]
    b = chat("openai", {"messages": USER, "seed": 2}).json()["system_fingerprint"]
    assert a != b and a.startswith("fp_")


def test_cached_and_reasoning_tokens(chat):
    r = chat("openai", {"messages": USER, "prompt_cache_key": "k"}).json()
    assert r["usage"]["prompt_tokens_details"]["cached_tokens"] == r["usage"]["prompt_tokens"] // 2
    long = [{"role": "user", "content": "word " * 1200}]
    r = chat("openai", {"messages": long}).json()
    assert r["usage"]["prompt_tokens"] >= 1024
    assert r["usage"]["prompt_tokens_details"]["cached_tokens"] % 128 == 0
    assert (
        chat("openai", {"messages": USER}).json()["usage"]["prompt_tokens_details"]["cached_tokens"]
        == 0
    )
    r = chat("openai", {"model": "o4-mini", "messages": USER}).json()
    assert r["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    r = chat("groq", {"model": "openai/gpt-oss-20b", "messages": USER}).json()
    assert r["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_context_window_exceeded(chat):
    huge = [{"role": "user", "content": "x" * 140_000}]
    r = chat("cerebras", {"model": "llama3.1-8b", "messages": huge})
    assert r.status_code == 400
    assert r.json()["code"] == "context_length_exceeded"


def test_fim(chat):
    body = {"model": "codestral-latest", "prompt": "def add(a, b):", "suffix": "\nprint(add(1, 2))"}
    r = chat("mistral", body, path="/fim/completions")
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"].strip().endswith("return None")
    assert (
        chat(
            "mistral", {**body, "model": "mistral-small-latest"}, path="/fim/completions"
        ).status_code
        == 400
    )
    assert chat("mistral", {**body, "n": 2}, path="/fim/completions").status_code == 422


@pytest.mark.parametrize(
    ("profile", "model", "field", "size"),
    [
        ("openai", "text-embedding-3-small", "dimensions", 256),
        ("mistral", "mistral-embed", "output_dimension", 64),
    ],
)
def test_embeddings(emulators, http, profile, model, field, size):
    url = emulators[profile].base_url + "/embeddings"
    r = http.post(url, json={"model": model, "input": ["a", "b"], field: size}).json()
    assert [d["index"] for d in r["data"]] == [0, 1]
    assert len(r["data"][0]["embedding"]) == size
    again = http.post(url, json={"model": model, "input": ["a", "b"], field: size}).json()
    assert again["data"][0]["embedding"] == r["data"][0]["embedding"]
    b64 = http.post(
        url, json={"model": model, "input": "a", "encoding_format": "base64", field: size}
    )
    floats = struct.unpack(f"<{size}f", base64.b64decode(b64.json()["data"][0]["embedding"]))
    assert floats[0] == pytest.approx(r["data"][0]["embedding"][0], rel=1e-5)
    other = "output_dimension" if field == "dimensions" else "dimensions"
    assert http.post(url, json={"model": model, "input": "a", other: 8}).status_code in (400, 422)


def test_models_listing(emulators, http):
    r = http.get(emulators["mistral"].base_url + "/models").json()
    ids = [m["id"] for m in r["data"]]
    assert {
        "mistral-small-latest",
        "mistral-large-latest",
        "codestral-latest",
        "mistral-embed",
    } <= set(ids)
    assert http.get(emulators["openai"].base_url + "/models/gpt-4o").json()["id"] == "gpt-4o"
    assert http.get(emulators["openai"].base_url + "/models/nope").status_code == 404
