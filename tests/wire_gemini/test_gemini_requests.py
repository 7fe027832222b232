"""``encode_generate_request`` and the embeddings codec, case by case."""

from __future__ import annotations

import base64
import struct

import pytest

from polyroute.canonical import (
    ChatRequest,
    EmbeddingRequest,
    ImagePart,
    Message,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from polyroute.errors import InvalidRequest
from polyroute.wire.gemini import (
    SKIP_SIGNATURE,
    decode_embed_response,
    encode_embed_request,
    encode_generate_request,
)


def _text(role: str, text: str) -> Message:
    return Message(role, [TextPart(text)])  # type: ignore[arg-type]


def _encode(*messages: Message, **fields: object) -> dict:
    return encode_generate_request(ChatRequest("m", list(messages), **fields), "m")  # type: ignore[arg-type]


def test_roles_system_and_merging() -> None:
    body = _encode(
        _text("system", "be brief"),
        _text("user", "a"),
        _text("user", "b"),
        _text("system", "and kind"),
        _text("assistant", "c"),
        _text("assistant", ""),
        _text("user", "d"),
    )
    assert body["systemInstruction"] == {"parts": [{"text": "be brief"}, {"text": "and kind"}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
        {"role": "model", "parts": [{"text": "c"}]},
        {"role": "user", "parts": [{"text": "d"}]},
    ]
    assert "generationConfig" not in body and "tools" not in body


def test_system_only_request_gets_an_empty_user_turn() -> None:
    body = _encode(_text("system", "tell a joke"))
    assert body["contents"] == [{"role": "user", "parts": [{"text": ""}]}]


def test_images() -> None:
    body = _encode(
        Message(
            "user",
            [
                TextPart("look"),
                ImagePart("data:image/png;base64,iVBORw0KGgo="),
                ImagePart("https://example.com/cat.webp?size=2"),
                ImagePart("https://example.com/render"),
            ],
        )
    )
    assert body["contents"][0]["parts"] == [
        {"text": "look"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"fileData": {"fileUri": "https://example.com/cat.webp?size=2", "mimeType": "image/webp"}},
        {"fileData": {"fileUri": "https://example.com/render", "mimeType": "image/jpeg"}},
    ]


def test_generation_config() -> None:
    body = _encode(
        _text("user", "hi"),
        temperature=0.5,
        top_p=0.9,
        top_k=40,
        max_tokens=100,
        stop=["END"],
        n=2,
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        logprobs=True,
        top_logprobs=3,
        reasoning_effort="low",
        response_format=ResponseFormat("json_schema", schema={"type": "object"}),
    )
    assert body["generationConfig"] == {
        "temperature": 0.5,
        "topP": 0.9,
        "topK": 40,
        "maxOutputTokens": 100,
        "stopSequences": ["END"],
        "candidateCount": 2,
        "seed": 7,
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.2,
        "responseLogprobs": True,
        "logprobs": 3,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object"},
        "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True},
    }


@pytest.mark.parametrize(
    ("effort", "config"),
    [
        ("none", {"thinkingBudget": 0}),
        ("minimal", {"thinkingBudget": 512, "includeThoughts": True}),
        ("medium", {"thinkingBudget": 8192, "includeThoughts": True}),
        ("high", {"thinkingBudget": 24576, "includeThoughts": True}),
    ],
)
def test_reasoning_effort(effort: str, config: dict) -> None:
    body = _encode(_text("user", "hi"), reasoning_effort=effort)
    assert body["generationConfig"]["thinkingConfig"] == config


def test_unknown_reasoning_effort_is_refused() -> None:
    with pytest.raises(InvalidRequest) as info:
        _encode(_text("user", "hi"), reasoning_effort="extreme")
    assert info.value.param == "reasoning_effort"


def test_json_object() -> None:
    body = _encode(_text("user", "hi"), response_format=ResponseFormat("json_object"))
    assert body["generationConfig"] == {"responseMimeType": "application/json"}


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        (ToolChoice("auto"), {"mode": "AUTO"}),
        (ToolChoice("none"), {"mode": "NONE"}),
        (ToolChoice("required"), {"mode": "ANY"}),
        (ToolChoice("tool", "f"), {"mode": "ANY", "allowedFunctionNames": ["f"]}),
    ],
)
def test_tools_and_tool_choice(choice: ToolChoice, config: dict) -> None:
    tools = [
        ToolSpec("f", "does f", {"type": "object", "additionalProperties": False}),
        ToolSpec("g"),
    ]
    body = _encode(_text("user", "hi"), tools=tools, tool_choice=choice)
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "f",
                    "description": "does f",
                    "parametersJsonSchema": {"type": "object", "additionalProperties": False},
                },
                {"name": "g", "description": ""},
            ]
        }
    ]
    assert body["toolConfig"] == {"functionCallingConfig": config}


def test_extra_only_known_fields_forwarded() -> None:
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    body = _encode(
        _text("user", "hi"),
        extra={"safety_settings": safety, "cachedContent": "cachedContents/x", "logit_bias": {}},
    )
    assert body["safetySettings"] == safety
    assert body["cachedContent"] == "cachedContents/x"
    assert "logit_bias" not in body and "safety_settings" not in body


def _assistant(*calls: ToolCall, parts: list | None = None) -> Message:
    return Message("assistant", parts or [], tool_calls=list(calls))


def test_tool_calls_and_results() -> None:
    body = _encode(
        _text("user", "weather?"),
        _assistant(
            ToolCall("c1", "weather", '{"city": "Paris"}', {"thoughtSignature": "sig"}),
            ToolCall("c2", "time", "[1, 2]"),
        ),
        Message("tool", [TextPart('{"temp": 20}')], tool_call_id="c1"),
        Message("tool", [TextPart("noon")], tool_call_id="c2", is_error=True),
        _text("user", "thanks"),
    )
    assert body["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {"name": "weather", "args": {"city": "Paris"}, "id": "c1"},
                    "thoughtSignature": "sig",
                },
                {"functionCall": {"name": "time", "args": {"arguments": [1, 2]}, "id": "c2"}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "weather", "response": {"temp": 20}, "id": "c1"}},
                {"functionResponse": {"name": "time", "response": {"error": "noon"}, "id": "c2"}},
                {"text": "thanks"},
            ],
        },
    ]


def test_missing_signature_gets_placeholder_on_first_call_only() -> None:
    body = _encode(
        _text("user", "go"),
        _assistant(ToolCall("a", "f", ""), ToolCall("b", "f", "{}")),
        Message("tool", [TextPart("1")], tool_call_id="a"),
        Message("tool", [TextPart("2")], tool_call_id="b"),
    )
    parts = body["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in parts] == [SKIP_SIGNATURE, None]
    assert parts[0]["functionCall"]["args"] == {}


def test_streamed_signature_is_used_and_thought_text_not_sent() -> None:
    body = _encode(
        _text("user", "go"),
        _assistant(
            ToolCall("a", "f", "{}"),
            parts=[ReasoningPart("thinking..."), ReasoningPart("", signature="streamed")],
        ),
        Message("tool", [TextPart("1")], tool_call_id="a"),
    )
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "f", "args": {}, "id": "a"}, "thoughtSignature": "streamed"}
        ],
    }


def test_text_signature_round_trips() -> None:
    body = _encode(
        _text("user", "hi"),
        Message("assistant", [TextPart("hello", provider_data={"thoughtSignature": "s"})]),
        _text("user", "again"),
    )
    assert body["contents"][1]["parts"] == [{"text": "hello", "thoughtSignature": "s"}]


def test_tool_result_without_a_call_is_refused() -> None:
    with pytest.raises(InvalidRequest) as info:
        _encode(_text("user", "hi"), Message("tool", [TextPart("x")], tool_call_id="nope"))
    assert info.value.param == "messages[1].tool_call_id"


# -- embeddings ---------------------------------------------------------------------------


def test_embed_request() -> None:
    req = EmbeddingRequest("e", ["a", "b"], dimensions=8, extra={"task_type": "RETRIEVAL_QUERY"})
    assert encode_embed_request(req, "gemini-embedding-001") == {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "outputDimensionality": 8,
                "taskType": "RETRIEVAL_QUERY",
                "content": {"parts": [{"text": text}]},
            }
            for text in ("a", "b")
        ]
    }


def test_embed_token_ids_refused() -> None:
    with pytest.raises(InvalidRequest):
        encode_embed_request(EmbeddingRequest("e", [[1, 2]]), "x")


def test_embed_response_usage_and_base64() -> None:
    body = {"embeddings": [{"values": [0.5, -1.0]}, {"values": [0.25]}]}
    req = EmbeddingRequest("e", ["abcdefgh", "abcde"])
    resp = decode_embed_response(body, req, "gemini-embedding-001")
    assert [e.vector for e in resp.data] == [[0.5, -1.0], [0.25]]
    assert resp.usage.input_tokens == 2 + 2  # estimated: ceil(chars / 4) per input
    reported = decode_embed_response({**body, "usageMetadata": {"promptTokenCount": 9}}, req, "x")
    assert reported.usage.input_tokens == 9
    req.encoding_format = "base64"
    packed = decode_embed_response(body, req, "x").data[0].vector
    assert isinstance(packed, str)
    assert struct.unpack("<2f", base64.b64decode(packed)) == (0.5, -1.0)
