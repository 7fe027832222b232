"""Golden tests: the recorded Gemini exchanges decoded into exact canonical values."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from polyroute.canonical import (
    ChatRequest,
    Finish,
    Message,
    ReasoningDelta,
    StreamEvent,
    StreamStart,
    TextDelta,
    TextPart,
    ToolSpec,
    Usage,
    UsageReport,
)
from polyroute.errors import UpstreamKind
from polyroute.wire.gemini import (
    GeminiStreamDecoder,
    decode_error,
    decode_generate_response,
    encode_generate_request,
)

pytestmark = pytest.mark.spec

FUNCTION_CALLS = "generateContent-function-calls.cassette.yaml"


def _stream(chunks: list[dict[str, Any]]) -> tuple[list[StreamEvent], GeminiStreamDecoder]:
    decoder = GeminiStreamDecoder()
    events = [event for chunk in chunks for event in decoder.decode(chunk)]
    return events + decoder.end(), decoder


def test_alt_sse_stream(cassette: Any, sse: Any) -> None:
    (interaction,) = cassette("streamGenerateContent-alt-sse.cassette.yaml")
    body = interaction["response"]["body"]["string"]
    assert "\r\n\r\n" in body and "[DONE]" not in body
    events, decoder = _stream(sse(body))
    assert decoder.finished
    start = events[0]
    assert isinstance(start, StreamStart) and start.created > 0  # stamped on arrival
    assert events == [
        StreamStart("w1peaMz6INOvnvgPgYfPiQY", "gemini-2.0-flash-exp", start.created),
        TextDelta("The"),
        TextDelta(" capital of France"),
        TextDelta(" is Paris.\n"),
        Finish("stop"),
        # Only the last chunk's usage counts: earlier chunks said promptTokenCount 15.
        UsageReport(Usage(input_tokens=13, output_tokens=8)),
    ]


def test_thinking_stream_usage_includes_thoughts(cassette: Any, sse: Any) -> None:
    (interaction,) = cassette("streamGenerateContent-thinking.cassette.yaml")
    chunks = sse(interaction["response"]["body"]["string"])
    events, decoder = _stream(chunks)
    assert decoder.finished
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert len(reasoning) == 4 and reasoning[0].text.startswith("**Clarifying User Goals**")
    assert text.startswith("This is a great question!")
    assert text.endswith("Always assume a driver might not see you.")
    assert [e for e in events if isinstance(e, Finish)] == [Finish("stop")]
    assert events[-1] == UsageReport(
        Usage(input_tokens=34, output_tokens=469 + 787, reasoning_tokens=787)
    )
    last = chunks[-1]["usageMetadata"]
    assert events[-1].usage.total_tokens == last["totalTokenCount"] == 1290


def test_function_calls_decode(cassette: Any) -> None:
    interactions = cassette(FUNCTION_CALLS)
    first = interactions[0]["response"]["parsed_body"]
    response = decode_generate_response(first)
    assert (response.id, response.model) == ("wOd8abGuO5rgz7IP5tLEGA", "gemini-3-flash-preview")
    (choice,) = response.choices
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert [(c.name, c.arguments) for c in calls] == [("generate_topic", "{}")] * 3
    assert len({c.id for c in calls}) == 3 and all(c.id.startswith("call_") for c in calls)
    signature = first["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    assert calls[0].provider_data == {"thoughtSignature": signature}
    assert calls[1].provider_data is None
    # Ids are deterministic: decoding the same answer again yields the same ids.
    assert [c.id for c in decode_generate_response(first).choices[0].message.tool_calls] == [
        c.id for c in calls
    ]
    assert response.usage == Usage(input_tokens=83, output_tokens=30 + 190, reasoning_tokens=190)


@pytest.mark.parametrize("position", range(5))
def test_every_recorded_usage_matches_total(cassette: Any, position: int) -> None:
    body = cassette(FUNCTION_CALLS)[position]["response"]["parsed_body"]
    usage = decode_generate_response(body).usage
    assert usage is not None
    assert usage.total_tokens == body["usageMetadata"]["totalTokenCount"]


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_"))


def test_function_calls_round_trip_into_next_request(cassette: Any) -> None:
    """The decoded calls, answered, encode into the turn Gemini accepted (interaction 2)."""
    interactions = cassette(FUNCTION_CALLS)
    recorded = interactions[1]["request"]["parsed_body"]
    calls = decode_generate_response(interactions[0]["response"]["parsed_body"])
    assistant = calls.choices[0].message
    results = ["cars", "penguins", "cars"]
    request = ChatRequest(
        model="gemini/gemini-3-flash-preview",
        messages=[
            Message("system", [TextPart(recorded["systemInstruction"]["parts"][0]["text"])]),
            Message("user", [TextPart("")]),
            assistant,
            *[
                Message("tool", [TextPart(text)], tool_call_id=call.id)
                for call, text in zip(assistant.tool_calls, results, strict=True)
            ],
        ],
        tools=[
            ToolSpec(d["name"], d["description"] or None, parameters=d["parameters_json_schema"])
            for d in recorded["tools"][0]["functionDeclarations"]
        ],
    )
    body = encode_generate_request(request, "gemini-3-flash-preview")
    assert body["systemInstruction"]["parts"] == recorded["systemInstruction"]["parts"]
    model_turn, results_turn = body["contents"][-2:]
    want_model, want_results = recorded["contents"][-2:]
    assert model_turn["role"] == want_model["role"] == "model"
    assert [p["functionCall"]["name"] for p in model_turn["parts"]] == ["generate_topic"] * 3
    # The signature goes back on the first call only, unchanged (the recorded client
    # re-encoded it as URL-safe base64: the same bytes).
    sent = [p.get("thoughtSignature") for p in model_turn["parts"]]
    wanted = [p.get("thoughtSignature") for p in want_model["parts"]]
    assert sent[1:] == wanted[1:] == [None, None]
    assert _b64(sent[0]) == _b64(wanted[0])
    # Each result names its function and carries its call's id.
    assert results_turn["role"] == want_results["role"] == "user"
    ids = [p["functionCall"]["id"] for p in model_turn["parts"]]
    responses = [p["functionResponse"] for p in results_turn["parts"]]
    assert [r["id"] for r in responses] == ids
    assert [r["name"] for r in responses] == [
        p["functionResponse"]["name"] for p in want_results["parts"]
    ]
    assert [r["response"] for r in responses] == [{"result": t} for t in results]
    declarations = body["tools"][0]["functionDeclarations"]
    assert [d["parametersJsonSchema"] for d in declarations] == [
        d["parameters_json_schema"] for d in recorded["tools"][0]["functionDeclarations"]
    ]


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("embedContent-404-error.cassette.yaml", "embedContent"),
        ("countTokens-error.cassette.yaml", "countTokens"),
    ],
)
def test_recorded_errors(cassette: Any, name: str, method: str) -> None:
    (interaction,) = cassette(name)
    response = interaction["response"]
    error = decode_error(response["status"]["code"], response["parsed_body"], "gemini", {})
    assert error.kind is UpstreamKind.NOT_FOUND
    assert (error.status, error.code, error.provider) == (404, "NOT_FOUND", "gemini")
    assert error.message.startswith("gemini: models/nonexistent-model is not found")
    assert method in error.message
    assert error.failover and not error.retryable
