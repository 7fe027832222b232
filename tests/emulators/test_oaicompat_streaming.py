"""SSE framing and usage placement, per profile."""

from __future__ import annotations

import json

import pytest

USER = [{"role": "user", "content": "Stream something to me"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_capital",
        "parameters": {"type": "object", "properties": {"country": {"type": "string"}}},
    },
}


def _events(chat, sse, profile, **body):
    r = chat(profile, {"messages": USER, "stream": True, **body})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    return r, sse(r.text)


def _text(events):
    return "".join(
        c["delta"].get("content") or "" for e in events if isinstance(e, dict) for c in e["choices"]
    )


def test_openai_framing_with_include_usage(chat, sse):
    r, events = _events(chat, sse, "openai", stream_options={"include_usage": True})
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert all("usage" in c and "obfuscation" in c for c in chunks)
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert len(chunks) > 10
    assert r.headers["x-request-id"].startswith("req_")
    assert "openai-processing-ms" in r.headers and "x-ratelimit-remaining-tokens" in r.headers
    assert _text(events).startswith("You said: Stream something to me")


def test_openai_without_include_usage_has_no_usage(chat, sse):
    _, events = _events(chat, sse, "openai", stream_options={"include_obfuscation": False})
    assert all("usage" not in e and "obfuscation" not in e for e in events[:-1])


def test_openai_tool_call_deltas(chat, sse):
    _, events = _events(chat, sse, "openai", tools=[TOOL])
    first = events[0]["choices"][0]["delta"]
    assert first["content"] is None and first["role"] == "assistant"
    head = first["tool_calls"][0]
    assert head["function"] == {"name": "get_capital", "arguments": ""}
    assert head["id"].startswith("call_") and head["type"] == "function"
    fragments = [
        e["choices"][0]["delta"]["tool_calls"][0]
        for e in events[1:-2]
        if "tool_calls" in e["choices"][0]["delta"]
    ]
    assert all(set(f) == {"index", "function"} for f in fragments)
    assert json.loads("".join(f["function"]["arguments"] for f in fragments))
    assert events[-2]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "tool_calls",
    }


def test_mistral_usage_on_last_chunk_and_whole_tool_calls(chat, sse):
    r, events = _events(chat, sse, "mistral")
    assert events[-1] == "[DONE]"
    last = events[-2]
    assert last["choices"][0] == {"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}
    assert last["usage"]["total_tokens"] > 0
    assert all("usage" not in e for e in events[:-2])
    assert "mistral-correlation-id" in r.headers
    assert "x-ratelimit-remaining-tokens-minute" in r.headers
    _, events = _events(chat, sse, "mistral", tools=[TOOL])
    (call,) = events[1]["choices"][0]["delta"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"country": "me"}
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_groq_x_groq_usage(chat, sse):
    _, events = _events(chat, sse, "groq")
    assert events[0]["x_groq"]["id"].startswith("req_")
    assert events[-2]["x_groq"]["usage"]["total_tokens"] > 0
    assert "queue_time" in events[-2]["x_groq"]["usage"]
    assert all("usage" not in e for e in events[:-1])
    _, events = _events(chat, sse, "groq", stream_options={"include_usage": True})
    assert events[-2]["choices"] == [] and events[-2]["usage"]["total_tokens"] > 0


def test_cerebras_time_info(chat, sse):
    r, events = _events(chat, sse, "cerebras")
    assert "time_info" in events[-2] and "usage" in events[-2]
    assert r.headers["inference-id"] == events[0]["id"]
    assert "x-ratelimit-remaining-tokens-minute" in r.headers


def test_openrouter_comments_and_cost(chat, sse):
    r, events = _events(chat, sse, "openrouter")
    assert r.text.startswith(": OPENROUTER PROCESSING\n\n")
    assert r.text.count(": OPENROUTER PROCESSING") > 2
    usage = events[-2]["usage"]
    assert usage["cost"] > 0 and usage["is_byok"] is False
    assert events[-2]["choices"][0]["finish_reason"] is None
    assert events[-3]["choices"][0]["native_finish_reason"] == "stop"
    assert events[0]["id"].startswith("gen-")


@pytest.mark.parametrize("profile", ["deepinfra", "xai", "openai-compatible"])
def test_opt_in_usage_profiles(chat, sse, profile):
    _, events = _events(chat, sse, profile)
    assert all("usage" not in e for e in events[:-1])
    _, events = _events(chat, sse, profile, stream_options={"include_usage": True})
    assert events[-2]["choices"] == [] and events[-2]["usage"]["prompt_tokens"] > 0


def test_fim_streams(chat, sse):
    body = {"model": "codestral-latest", "prompt": "def f():", "stream": True}
    r = chat("mistral", body, path="/fim/completions")
    events = sse(r.text)
    assert events[-1] == "[DONE]" and "usage" in events[-2]
    assert _text(events).strip().endswith("return None")


def test_n_choices_stream(chat, sse):
    _, events = _events(chat, sse, "openai", n=2)
    indexes = {e["choices"][0]["index"] for e in events[:-1]}
    assert indexes == {0, 1}


def test_logprobs_stream(chat, sse):
    _, events = _events(chat, sse, "openai", logprobs=True)
    assert events[1]["choices"][0]["logprobs"]["content"][0]["token"] == "You"
