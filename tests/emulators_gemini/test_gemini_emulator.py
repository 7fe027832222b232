"""The Gemini native emulator over real loopback HTTP: validation, answers, streams, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from polyroute.emulators import EmulatorServer

KEY = {"x-goog-api-key": "k"}
HELLO = {"contents": [{"role": "user", "parts": [{"text": "Hello there"}]}]}
WEATHER_TOOL = {
    "functionDeclarations": [
        {
            "name": "get_weather",
            "description": "d",
            "parameters": {
                "type": "OBJECT",
                "properties": {"city": {"type": "STRING"}},
                "required": ["city"],
            },
        }
    ]
}


@pytest.fixture
async def client() -> AsyncIterator[tuple[EmulatorServer, aiohttp.ClientSession]]:
    async with EmulatorServer("gemini") as emu, aiohttp.ClientSession() as http:
        yield emu, http


async def call(
    client: Any, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, bytes, aiohttp.ClientResponse]:
    emu, http = client
    method = http.get if body is None else http.post
    kwargs = {} if body is None else {"data": orjson.dumps(body)}
    async with method(
        emu.base_url + path, headers=KEY if headers is None else headers, **kwargs
    ) as r:
        raw = await r.read()
        parsed = orjson.loads(raw) if raw[:1] in (b"{", b"[") and r.status != 0 else None
        return r.status, parsed, raw, r


GEN = "/models/gemini-2.5-flash:generateContent"


def err(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"contents": [{"role": "system", "parts": [{"text": "x"}]}]},
            "Please use a valid role: user, model.",
        ),
        (
            {"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]},
            "Please use a valid role: user, model.",
        ),
        ({"contents": []}, "* GenerateContentRequest.contents: contents is not specified\n"),
        (
            {"contents": [{"role": "user", "parts": []}]},
            "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n",
        ),
        (
            {"contents": [{"role": "user", "parts": [{}]}]},
            "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data' must "
            "have one initialized field\n",
        ),
        (
            {**HELLO, "generationConfig": {"responseMimeType": "text/csv"}},
            "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are "
            "`text/plain`, `application/json`, `application/xml`, `application/yaml` and "
            "`text/x.enum`.\n",
        ),
        (
            {
                **HELLO,
                "cachedContent": "cachedContents/abc",
                "systemInstruction": {"parts": [{"text": "x"}]},
            },
            "CachedContent can not be used with GenerateContent request "
            "setting system_instruction, tools or tool_config.\n\nProposed fix: move those values "
            "to CachedContent from GenerateContent request.",
        ),
    ],
)
async def test_semantic_errors_exact(client: Any, body: Any, message: str) -> None:
    status, got, _, response = await call(client, GEN, body)
    assert status == 400 and got == err(400, "INVALID_ARGUMENT", message)
    assert response.headers["content-type"] == "application/json; charset=UTF-8"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {**HELLO, "temperatur": 1},
            "",
            'Invalid JSON payload received. Unknown name "temperatur": Cannot find field.',
        ),
        (
            {"contents": [{"role": "user", "parts": [{"text": "x", "foo": 1}]}]},
            "contents[0].parts[0]",
            'Invalid JSON payload received. Unknown name "foo" at '
            "'contents[0].parts[0]': Cannot find field.",
        ),
        (
            {**HELLO, "generationConfig": {"max_tokens": 5}},
            "generation_config",
            "Invalid JSON payload received. Unknown name \"max_tokens\" at 'generation_config': "
            "Cannot find field.",
        ),
        (
            {
                **HELLO,
                "tools": [
                    {
                        "functionDeclarations": [
                            {
                                "name": "f",
                                "parameters": {"type": "OBJECT", "additionalProperties": False},
                            }
                        ]
                    }
                ],
            },
            "tools[0].function_declarations[0].parameters",
            "Invalid JSON payload received. Unknown "
            "name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters': "
            "Cannot find field.",
        ),
        (
            {**HELLO, "toolConfig": {"functionCallingConfig": {"mode": "auto"}}},
            "tool_config.function_calling_config.mode",
            "Invalid value at 'tool_config.function_"
            "calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta."
            'FunctionCallingConfig.Mode), "auto"',
        ),
    ],
)
async def test_unknown_fields_exact(client: Any, body: Any, field: str, message: str) -> None:
    status, got, _, _ = await call(client, GEN, body)
    expected = err(400, "INVALID_ARGUMENT", message)
    expected["error"]["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": message}],
        }
    ]
    assert status == 400 and got == expected


async def test_snake_case_accepted(client: Any) -> None:
    body = {
        "contents": HELLO["contents"],
        "generation_config": {"max_output_tokens": 3},
        "system_instruction": {"parts": [{"text": "Be brief."}]},
    }
    status, got, _, _ = await call(client, GEN, body)
    assert status == 200 and got["candidates"][0]["finishReason"] == "MAX_TOKENS"


async def test_auth(client: Any) -> None:
    status, got, _, _ = await call(client, GEN, HELLO, headers={})
    assert (status, got["error"]["status"]) == (403, "PERMISSION_DENIED")
    assert got["error"]["message"].startswith("Method doesn't allow unregistered callers")
    status, got, _, _ = await call(client, GEN, HELLO, headers={"x-goog-api-key": "invalid"})
    assert (
        status == 400
        and got["error"]["message"] == "API key not valid. Please pass a valid API key."
    )
    assert got["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    status, _, _, _ = await call(client, GEN + "?key=k", HELLO, headers={})
    assert status == 200


async def test_unknown_model_404(client: Any) -> None:
    _, got, _, _ = await call(client, "/models/gemini-9:generateContent", HELLO)
    assert got == err(
        404,
        "NOT_FOUND",
        "models/gemini-9 is not found for API version v1beta, or "
        "is not supported for generateContent. Call ListModels to see the list of "
        "available models and their supported methods.",
    )


async def test_text_answer_usage(client: Any) -> None:
    _, got, _, _ = await call(client, "/models/gemini-2.0-flash:generateContent", HELLO)
    candidate = got["candidates"][0]
    assert candidate["content"] == {
        "role": "model",
        "parts": [{"text": "This is the polyroute Gemini emulator replying to: Hello there"}],
    }
    usage = got["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert got["modelVersion"] == "gemini-2.0-flash" and got["responseId"]


async def test_thinking_tokens_and_thought_parts(client: Any) -> None:
    body = {**HELLO, "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    _, got, _, _ = await call(client, GEN, body)
    parts = got["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True and "thought" not in parts[1]
    u = got["usageMetadata"]
    assert u["thoughtsTokenCount"] > 0
    assert (
        u["totalTokenCount"]
        == u["promptTokenCount"] + u["candidatesTokenCount"] + u["thoughtsTokenCount"]
    )


async def test_function_calls_ids_by_model(client: Any) -> None:
    body = {
        **HELLO,
        "tools": [WEATHER_TOOL],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
    }
    _, new, _, _ = await call(client, GEN, body)
    _, old, _, _ = await call(client, "/models/gemini-2.0-flash:generateContent", body)
    new_part = new["candidates"][0]["content"]["parts"][0]
    old_part = old["candidates"][0]["content"]["parts"][0]
    assert new_part["functionCall"]["id"] and new_part["thoughtSignature"]
    assert "id" not in old_part["functionCall"] and "thoughtSignature" not in old_part
    assert set(old_part["functionCall"]["args"]) == {"city"}
    followup = {
        "contents": [
            *HELLO["contents"],
            {"role": "model", "parts": [old_part]},
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"t": "sunny"}}}
                ],
            },
        ],
        "tools": [WEATHER_TOOL],
    }
    _, got, _, _ = await call(client, "/models/gemini-2.0-flash:generateContent", followup)
    assert got["candidates"][0]["content"]["parts"][0]["text"].startswith("The function returned")


async def test_json_mode_and_cached_content(client: Any) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    body = {
        **HELLO,
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": schema},
    }
    _, got, _, _ = await call(client, GEN, body)
    assert set(orjson.loads(got["candidates"][0]["content"]["parts"][0]["text"])) == {"n"}
    _, got, _, _ = await call(client, GEN, {**HELLO, "cachedContent": "cachedContents/abc123"})
    u = got["usageMetadata"]
    assert (
        u["cachedContentTokenCount"] >= 2048
        and u["promptTokenCount"] > u["cachedContentTokenCount"]
    )


async def test_sse_stream_framing(client: Any) -> None:
    _, _, raw, response = await call(
        client, GEN.replace("generateContent", "streamGenerateContent?alt=sse"), HELLO
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert raw.endswith(b"\r\n\r\n") and b"[DONE]" not in raw
    frames = raw.split(b"\r\n\r\n")[:-1]
    assert len(frames) >= 2 and all(f.startswith(b"data: {") for f in frames)
    chunks = [orjson.loads(f[6:]) for f in frames]
    assert all("usageMetadata" in c and c["responseId"] == chunks[0]["responseId"] for c in chunks)
    assert "finishReason" not in chunks[0]["candidates"][0]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert "candidatesTokensDetails" in chunks[-1]["usageMetadata"]


async def test_json_array_stream(client: Any) -> None:
    _, got, raw, _ = await call(
        client, GEN.replace("generateContent", "streamGenerateContent"), HELLO
    )
    assert raw.startswith(b"[{") and raw.endswith(b"]") and b",\r\n{" in raw
    assert got[-1]["candidates"][0]["finishReason"] == "STOP"


async def test_count_embed_models(client: Any) -> None:
    _, got, _, _ = await call(client, "/models/gemini-2.5-flash:countTokens", HELLO)
    assert got == {"totalTokens": 3, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 3}]}
    body = {"content": {"parts": [{"text": "hi"}]}, "outputDimensionality": 8}
    _, got, _, _ = await call(client, "/models/gemini-embedding-001:embedContent", body)
    assert len(got["embedding"]["values"]) == 8
    batch = {"requests": [{**body, "model": "models/gemini-embedding-001"}] * 2}
    _, got, _, _ = await call(client, "/models/gemini-embedding-001:batchEmbedContents", batch)
    assert len(got["embeddings"]) == 2
    _, got, _, _ = await call(client, "/models?pageSize=2")
    assert len(got["models"]) == 2 and got["models"][0]["name"].startswith("models/")
    assert got["nextPageToken"]


@pytest.mark.parametrize(
    ("status", "name", "message"),
    [
        (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
        (500, "INTERNAL", None),
        (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    ],
)
async def test_status_faults(client: Any, status: int, name: str, message: str | None) -> None:
    client[0].inject(status=status, retry_after=12 if status == 429 else None)
    got_status, got, _, _ = await call(client, GEN, HELLO)
    assert got_status == status and got["error"]["status"] == name
    if message:
        assert got["error"]["message"] == message
    if status == 429:
        assert got["error"]["details"] == [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"}
        ]


async def test_safety_faults(client: Any) -> None:
    client[0].inject(content_filter=True)
    _, got, _, _ = await call(client, GEN, HELLO)
    candidate = got["candidates"][0]
    assert candidate["finishReason"] == "SAFETY" and "content" not in candidate
    assert any(r.get("blocked") for r in candidate["safetyRatings"])
    client[0].inject(prompt_blocked=True)
    _, got, _, _ = await call(client, GEN, HELLO)
    assert "candidates" not in got and got["promptFeedback"]["blockReason"] == "SAFETY"


async def test_stream_faults(client: Any) -> None:
    sse = GEN.replace("generateContent", "streamGenerateContent?alt=sse")
    client[0].inject(stream_error_after_chunks=1)
    _, _, raw, _ = await call(client, sse, HELLO)
    frames = raw.split(b"\r\n\r\n")[:-1]
    assert len(frames) == 2 and orjson.loads(frames[1][6:])["error"]["code"] == 503
    client[0].inject(cut_after_chunks=1)
    with pytest.raises(aiohttp.ClientPayloadError):
        await call(client, sse, HELLO)
