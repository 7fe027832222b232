"""Golden tests: recorded provider exchanges decoded into exact canonical values."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from polyroute.canonical import (
    Finish,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallStart,
    Usage,
    UsageReport,
)
from polyroute.errors import UpstreamKind
from polyroute.wire.openai import (
    ChunkDecoder,
    ChunkEncoder,
    decode_chat_request,
    decode_chat_response,
    decode_embedding_request,
    decode_embedding_response,
    decode_error,
    encode_chat_response,
)

pytestmark = pytest.mark.spec


def _decode_stream(chunks: list[dict[str, Any]], provider: str = "test") -> list[StreamEvent]:
    decoder = ChunkDecoder(provider)
    return [event for chunk in chunks for event in decoder.decode(chunk)]


def _body(interaction: dict[str, Any]) -> bytes:
    return orjson.dumps(interaction["response"]["parsed_body"])


# -- OpenAI ---------------------------------------------------------------------------


def test_openai_stream_tool_call_with_usage(cassette: Any, sse_chunks: Any) -> None:
    tool_run, text_run = cassette("openai/chat-stream-tool-call-include-usage.cassette.yaml")
    request = decode_chat_request(tool_run["request"]["parsed_body"])
    assert request.stream and request.include_usage
    assert request.tools is not None and request.tools[0].name == "get_capital"
    assert request.tools[0].strict is True and request.tools[0].description == ""
    assert request.tool_choice is not None and request.tool_choice.mode == "auto"

    events = _decode_stream(sse_chunks(tool_run["response"]["body"]["string"]))
    assert events == [
        StreamStart(
            id="chatcmpl-Dx0XpqH8w09uBXwq1zFGYdETjtnEl",
            model="gpt-4o-mini-2024-07-18",
            created=1782955817,
            system_fingerprint="fp_d0469e1700",
            openai_fields={"service_tier": "default"},
        ),
        ToolCallStart(index=0, id="call_ZR5UUuTt3pf61kjwAJIYdVMj", name="get_capital"),
        ToolCallDelta(0, '{"'),
        ToolCallDelta(0, "country"),
        ToolCallDelta(0, '":"'),
        ToolCallDelta(0, "UK"),
        ToolCallDelta(0, '"}'),
        Finish("tool_calls"),
        UsageReport(Usage(input_tokens=53, output_tokens=15)),
    ]
    text_events = _decode_stream(sse_chunks(text_run["response"]["body"]["string"]))
    assert "".join(e.text for e in text_events if isinstance(e, TextDelta)) == (
        "The capital of the UK is London."
    )
    assert text_events[-2:] == [Finish("stop"), UsageReport(Usage(78, 9))]


def test_openai_stream_reencodes_byte_for_byte(cassette: Any, sse_chunks: Any) -> None:
    """Decoding OpenAI's own text stream and encoding it again gives OpenAI's chunks back,
    byte for byte and in key order, ``service_tier`` and every usage detail included (minus
    the ``obfuscation`` padding and the first delta's ``refusal``)."""
    _, text_run = cassette("openai/chat-stream-tool-call-include-usage.cassette.yaml")
    recorded = sse_chunks(text_run["response"]["body"]["string"])
    for chunk in recorded:
        chunk.pop("obfuscation")
    recorded[0]["choices"][0]["delta"].pop("refusal")
    encoder = ChunkEncoder(include_usage=True)
    out = b"".join(encoder.encode(e) for e in _decode_stream(recorded)) + encoder.done()
    expected = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in recorded)
    assert out == expected + b"data: [DONE]\n\n"


def test_openai_prompt_cache_usage(cassette: Any) -> None:
    write, read = cassette("openai/chat-prompt-cache-cached-tokens.cassette.yaml")
    request = decode_chat_request(read["request"]["parsed_body"])
    first = request.messages[0].parts[0]
    assert isinstance(first, TextPart)
    assert first.provider_data == {"prompt_cache_breakpoint": {"mode": "explicit"}}
    assert request.extra == {
        "prompt_cache_key": "pydantic-ai-prompt-cache-e2e-chat",
        "prompt_cache_options": {"mode": "explicit", "ttl": "30m"},
    }
    assert decode_chat_response(write["response"]["parsed_body"]).usage == Usage(
        input_tokens=4020, output_tokens=4, cache_write_tokens=4012
    )
    response = decode_chat_response(read["response"]["parsed_body"])
    assert response.usage == Usage(input_tokens=4020, output_tokens=4, cached_input_tokens=4012)
    assert response.id == "chatcmpl-E1mBQt42vYTsKNd5wnyJlT0db7v9S"
    assert response.system_fingerprint is None
    assert response.choices[0].message.text() == "OK"
    assert response.choices[0].finish_reason == "stop"


def test_openai_answer_comes_back_with_its_own_fields(cassette: Any) -> None:
    """OpenAI's recorded answer, decoded and encoded again, is what OpenAI sent: its
    ``service_tier``, the message's ``annotations`` and every usage detail included.
    polyroute writes ``logprobs: null`` where OpenAI left it out."""
    _, read = cassette("openai/chat-prompt-cache-cached-tokens.cassette.yaml")
    recorded = read["response"]["parsed_body"]
    expected = orjson.loads(orjson.dumps(recorded))
    expected["choices"][0]["logprobs"] = None
    response = decode_chat_response(recorded)
    assert response.openai_fields == {"service_tier": "default"}
    assert response.choices[0].message.openai_fields == {"annotations": []}
    assert encode_chat_response(response) == expected


def test_openai_reasoning_tokens(cassette: Any) -> None:
    chat = cassette("openai/chat-reasoning-model.cassette.yaml")[1]
    request = decode_chat_request(chat["request"]["parsed_body"])
    assert request.reasoning_effort == "high" and len(request.messages) == 3
    response = decode_chat_response(chat["response"]["parsed_body"])
    assert response.usage == Usage(input_tokens=577, output_tokens=2320, reasoning_tokens=1792)
    assert response.system_fingerprint == "fp_6c43dcef8c"


def test_openai_embeddings(cassette: Any) -> None:
    (interaction,) = cassette("openai/embeddings.cassette.yaml")
    request = decode_embedding_request(interaction["request"]["parsed_body"])
    assert request.inputs == ["Hello, world!"] and request.input_was_list
    assert request.encoding_format == "base64" and request.model == "text-embedding-3-small"
    response = decode_embedding_response(interaction["response"]["parsed_body"])
    assert response.model == "text-embedding-3-small"
    assert response.usage == Usage(input_tokens=4)
    assert len(response.data) == 1 and response.data[0].index == 0
    vector = response.data[0].vector
    assert isinstance(vector, str) and vector.startswith("sDqdvHJAz7zp5926")


def test_openai_embeddings_404(cassette: Any) -> None:
    (interaction,) = cassette("openai/embeddings-404-error.cassette.yaml")
    err = decode_error(404, _body(interaction), "openai", {})
    assert err.kind is UpstreamKind.NOT_FOUND and err.status == 404
    assert err.code == "model_not_found" and err.provider_type == "invalid_request_error"
    assert err.message == (
        "openai: The model `nonexistent` does not exist or you do not have access to it."
    )
    assert err.failover and not err.retryable


# -- Groq -----------------------------------------------------------------------------


def test_groq_stream_x_groq_usage(example_text: Any, sse_chunks: Any) -> None:
    events = _decode_stream(sse_chunks(example_text("groq/chat-stream-x_groq-usage.excerpt.sse")))
    assert events[0] == StreamStart(
        id="chatcmpl-4ef92b12-fb9d-486f-8b98-af9b5ecac736",
        model="deepseek-r1-distill-llama-70b",
        created=1758144596,
        system_fingerprint="fp_448a0d11e0",
    )
    assert [e.text for e in events if isinstance(e, TextDelta)] == [
        "<think>", "\n", "Okay", ",", " so", "!",
    ]  # fmt: skip
    assert events[-2:] == [Finish("stop"), UsageReport(Usage(input_tokens=21, output_tokens=988))]


def test_groq_stream_usage_repeated_is_reported_once() -> None:
    decoder = ChunkDecoder("groq")
    usage = {"prompt_tokens": 21, "completion_tokens": 988, "total_tokens": 1009}
    start = {"id": "x", "model": "m", "created": 1, "choices": []}
    finish = {**start, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    decoder.decode(start)
    assert decoder.decode({**finish, "x_groq": {"id": "req", "usage": usage}}) == [
        Finish("stop"),
        UsageReport(Usage(21, 988)),
    ]
    assert decoder.decode({**start, "usage": usage}) == []


def test_groq_errors(cassette: Any) -> None:
    (not_found,) = cassette("groq/chat-404-model-not-found.cassette.yaml")
    err = decode_error(404, _body(not_found), "groq", {})
    assert (err.kind, err.status, err.code) == (UpstreamKind.NOT_FOUND, 404, "model_not_found")
    tool_failed = cassette("groq/chat-400-tool-use-failed.cassette.yaml")[0]
    err = decode_error(400, _body(tool_failed), "groq", {})
    assert (err.kind, err.status, err.code) == (
        UpstreamKind.INVALID_REQUEST,
        400,
        "tool_use_failed",
    )
    assert err.message.startswith("groq: Tool call validation failed")
    assert not err.failover


def test_groq_reasoning_and_tool_call_history(cassette: Any) -> None:
    _, calls, answer = cassette("groq/chat-400-tool-use-failed.cassette.yaml")
    request = decode_chat_request(answer["request"]["parsed_body"])
    assistant = request.messages[2]
    assert assistant.role == "assistant" and assistant.parts == []
    assert assistant.tool_calls[0].id == "pyd_ai_445dbde6c4764cafb5782bb928ef6c2c"
    assert assistant.tool_calls[0].arguments == '{"foo":"bar"}'
    assert request.messages[3].tool_call_id == "pyd_ai_445dbde6c4764cafb5782bb928ef6c2c"

    response = decode_chat_response(calls["response"]["parsed_body"])
    message = response.choices[0].message
    assert message.parts == [
        ReasoningPart(
            'We need to call with correct param: name field. Use some name, e.g., "test".'
        )
    ]
    assert message.tool_calls[0].name == "get_something_by_name"
    assert message.tool_calls[0].arguments == '{"name":"test"}'
    assert response.choices[0].finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=301, output_tokens=52, reasoning_tokens=22)
    cached = decode_chat_response(answer["response"]["parsed_body"]).usage
    assert cached == Usage(336, 96, cached_input_tokens=256, reasoning_tokens=59)


# -- Mistral --------------------------------------------------------------------------


def test_mistral_magistral_thinking_stream(cassette: Any, sse_chunks: Any) -> None:
    (interaction,) = cassette("mistral/chat-stream-magistral-thinking.cassette.yaml")
    events = _decode_stream(sse_chunks(interaction["response"]["body"]["string"]))
    assert events[0] == StreamStart(
        "9f9d90210f194076abeee223863eaaf0", "magistral-medium-latest", 1764296393
    )
    kinds = [type(e) for e in events[1:-2]]
    first_text = kinds.index(TextDelta)
    assert set(kinds[:first_text]) == {ReasoningDelta} and set(kinds[first_text:]) == {TextDelta}
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert reasoning.startswith("Okay, the user is asking how to cross the street. I know that")
    assert text.endswith(" can ensure a safe crossing.")
    assert events[-2:] == [Finish("stop"), UsageReport(Usage(input_tokens=10, output_tokens=232))]


def test_mistral_prompt_cache_and_thinking_response(cassette: Any) -> None:
    _, second = cassette("mistral/chat-prompt-cache.cassette.yaml")
    response = decode_chat_response(second["response"]["parsed_body"])
    assert response.usage == Usage(input_tokens=268, output_tokens=5, cached_input_tokens=224)
    assert response.choices[0].message.text() == "cache probe two."
    assert response.choices[0].message.tool_calls == []

    (effort,) = cassette("mistral/chat-reasoning-effort-high.cassette.yaml")
    message = decode_chat_response(effort["response"]["parsed_body"]).choices[0].message
    assert message.parts == [
        ReasoningPart(
            "The user is asking for the result of 2+2. The instruction is to reply with just "
            'the number, so I should respond with "4".'
        ),
        TextPart("4"),
    ]


# -- OpenRouter -----------------------------------------------------------------------


def test_openrouter_midstream_error(cassette: Any, sse_chunks: Any) -> None:
    (interaction,) = cassette("openrouter/chat-stream-midstream-error.cassette.yaml")
    assert decode_chat_request(interaction["request"]["parsed_body"]).max_tokens == 10
    events = _decode_stream(sse_chunks(interaction["response"]["body"]["string"]), "openrouter")
    failure = events[-1]
    assert events[:-1] == [
        StreamStart(
            "gen-1762179802-UN8pkJI4AGZvryk0kFnb",
            "minimax/minimax-m2:free",
            1762179802,
            openai_fields={"provider": "Minimax"},  # OpenRouter's, on every chunk
        ),
        ReasoningDelta("We need"),
        ReasoningDelta(" to respond to a greeting. The user"),
        Finish("length"),  # sent twice upstream, reported once
        UsageReport(Usage(input_tokens=43, output_tokens=10, reasoning_tokens=11)),
    ]
    assert isinstance(failure, StreamFailure)
    assert failure.error.message == "openrouter: Token limit reached"
    assert failure.error.code == "400" and failure.error.provider == "openrouter"


def test_openrouter_429_provider_error(cassette: Any) -> None:
    interaction = cassette("openrouter/chat-429-provider-error.cassette.yaml")[0]
    err = decode_error(429, _body(interaction), "openrouter", {"Retry-After": "7"})
    assert (err.kind, err.status, err.code, err.retry_after) == (
        UpstreamKind.RATE_LIMITED, 429, "429", 7.0,
    )  # fmt: skip
    assert err.message.startswith(
        "openrouter: Provider returned error (Google: google/gemini-2.0-flash-exp:free is "
        "temporarily rate-limited upstream."
    )
    assert err.failover


def test_openrouter_usage_accounting(cassette: Any) -> None:
    _, second = cassette("openrouter/chat-usage-accounting.cassette.yaml")
    assert decode_chat_request(second["request"]["parsed_body"]).extra == {
        "usage": {"include": True}
    }
    response = decode_chat_response(second["response"]["parsed_body"])
    assert response.usage == Usage(input_tokens=17, output_tokens=2177, reasoning_tokens=960)
    # OpenRouter's charge and its breakdown go on to the client as OpenRouter sent them.
    assert encode_chat_response(response)["usage"] == second["response"]["parsed_body"]["usage"]
    parts = response.choices[0].message.parts
    assert isinstance(parts[0], ReasoningPart) and parts[0].text.startswith("**Exploring Mars")
    assert isinstance(parts[1], TextPart) and parts[1].text.startswith("Here\u2019s a concise")


def test_openrouter_stream_reasoning_signature(cassette: Any, sse_chunks: Any) -> None:
    (interaction,) = cassette("openrouter/chat-stream-reasoning.cassette.yaml")
    events = _decode_stream(sse_chunks(interaction["response"]["body"]["string"]))
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    assert "".join(e.text for e in reasoning) == (
        "This is a simple arithmetic question. 2+2 equals 4."
    )
    signatures = [e.signature for e in reasoning if e.signature]
    assert len(signatures) == 1 and signatures[0].startswith(
        "Et0BCkgIChACGAIqQA2s7h7tA7IG35fbwVkou9PM"
    )
    assert "".join(e.text for e in events if isinstance(e, TextDelta)).endswith("+ 2 = 4")
    assert events[-2:] == [
        Finish("stop"),
        UsageReport(Usage(input_tokens=43, output_tokens=36, reasoning_tokens=13)),
    ]


# -- Cerebras and Google errors ------------------------------------------------------


def test_cerebras_responses(cassette: Any) -> None:
    (simple,) = cassette("cerebras/chat-simple-time-info.cassette.yaml")
    response = decode_chat_response(simple["response"]["parsed_body"])
    assert response.id == "chatcmpl-5af19e85-b8e3-4836-8486-5f2b0b250c8d"
    assert response.created == 1764196886 and response.model == "llama-3.3-70b"
    assert response.choices[0].message.text() == "2 + 2 = 4."
    assert response.usage == Usage(input_tokens=43, output_tokens=9)
    time_info = simple["response"]["parsed_body"]["time_info"]
    assert response.openai_fields == {"time_info": time_info}
    assert encode_chat_response(response)["time_info"] == time_info

    first, replay = cassette("cerebras/chat-reasoning.cassette.yaml")
    response = decode_chat_response(first["response"]["parsed_body"])
    reasoning, text = response.choices[0].message.parts
    assert isinstance(reasoning, ReasoningPart) and reasoning.text.startswith("The user wants me")
    assert text == TextPart("25 * 4 = 100.")
    assert response.usage == Usage(input_tokens=17, output_tokens=415, reasoning_tokens=406)
    history = decode_chat_request(replay["request"]["parsed_body"]).messages
    assert history[1].role == "assistant" and history[1].text().startswith("<think>")


@pytest.mark.parametrize(
    "name",
    ["gemini/embedContent-404-error.cassette.yaml", "gemini/countTokens-error.cassette.yaml"],
)
def test_google_error_body(cassette: Any, name: str) -> None:
    (interaction,) = cassette(name)
    err = decode_error(404, _body(interaction), "gemini", {})
    assert (err.kind, err.status, err.code) == (UpstreamKind.NOT_FOUND, 404, "NOT_FOUND")
    assert err.message.startswith("gemini: models/nonexistent-model is not found")
