"""Request decoding: OpenAI-style validation errors with their param paths, field mapping,
and bodies built from the ``openai`` SDK's own typed params."""

# Tables of wire bodies read best one case per line.
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
    CompletionCreateParams,
)

from polyroute.canonical import ImagePart, ReasoningPart, TextPart, ToolCall
from polyroute.errors import InvalidRequest
from polyroute.wire.openai import (
    decode_chat_request,
    decode_embedding_request,
    decode_fim_request,
    encode_chat_request,
    encode_embedding_request,
    encode_fim_request,
)

USER = {"role": "user", "content": "hi"}


def _body(**fields: Any) -> dict[str, Any]:
    return {"model": "auto", "messages": [USER], **fields}


INVALID: list[tuple[object, str | None]] = [
    ([1, 2], None),
    ({"messages": [USER]}, "model"),
    (_body(model=3), "model"),
    (_body(model=""), "model"),
    ({"model": "m"}, "messages"),
    (_body(messages={}), "messages"),
    (_body(messages=[]), "messages"),
    (_body(messages=["hi"]), "messages[0]"),
    (_body(messages=[USER, {"content": "x"}]), "messages[1].role"),
    (_body(messages=[{"role": "robot", "content": "x"}]), "messages[0].role"),
    (_body(messages=[{"role": "function", "content": "x", "name": "f"}]), "messages[0].role"),
    (_body(messages=[USER, USER, {"role": "user", "content": 5}]), "messages[2].content"),
    (_body(messages=[{"role": "user"}]), "messages[0].content"),
    (_body(messages=[{"role": "user", "content": [{"text": "a"}]}]), "messages[0].content[0].type"),
    (_body(messages=[{"role": "user", "content": [{"type": "video"}]}]), "messages[0].content[0].type"),
    (_body(messages=[{"role": "user", "content": ["a"]}]), "messages[0].content[0]"),
    (
        _body(messages=[{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]),
        "messages[0].content[0].type",
    ),
    (
        _body(messages=[{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]),
        "messages[0].content[0].type",
    ),
    (_body(messages=[{"role": "user", "content": [{"type": "text", "text": 1}]}]), "messages[0].content[0].text"),
    (_body(messages=[{"role": "user", "content": [{"type": "image_url"}]}]), "messages[0].content[0].image_url"),
    (
        _body(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
        "messages[0].content[0].image_url.url",
    ),
    (
        _body(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 1}}]}]),
        "messages[0].content[0].image_url.url",
    ),
    (_body(messages=[USER, {"role": "tool", "content": "42"}]), "messages[1].tool_call_id"),
    (_body(messages=[{"role": "assistant", "tool_calls": {}}]), "messages[0].tool_calls"),
    (_body(messages=[{"role": "assistant", "tool_calls": [{"type": "function"}]}]), "messages[0].tool_calls[0].function"),
    (
        _body(messages=[{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}]),
        "messages[0].tool_calls[0].id",
    ),
    (
        _body(messages=[{"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}]),
        "messages[0].tool_calls[0].function.name",
    ),
    (_body(stream="yes"), "stream"),
    (_body(temperature="hot"), "temperature"),
    (_body(temperature=2.5), "temperature"),
    (_body(temperature=-0.1), "temperature"),
    (_body(temperature=True), "temperature"),
    (_body(top_p=1.5), "top_p"),
    (_body(n=0), "n"),
    (_body(n=1.5), "n"),
    (_body(max_tokens=0), "max_tokens"),
    (_body(max_tokens="10"), "max_tokens"),
    (_body(max_completion_tokens=-1), "max_completion_tokens"),
    (_body(presence_penalty=3), "presence_penalty"),
    (_body(frequency_penalty=-2.5), "frequency_penalty"),
    (_body(seed="1"), "seed"),
    (_body(stop=5), "stop"),
    (_body(stop=["a", 1]), "stop[1]"),
    (_body(logprobs="yes"), "logprobs"),
    (_body(top_logprobs=3), "top_logprobs"),
    (_body(logprobs=True, top_logprobs=21), "top_logprobs"),
    (_body(user=1), "user"),
    (_body(reasoning_effort=1), "reasoning_effort"),
    (_body(tools={}), "tools"),
    (_body(tools=[{"type": "function"}]), "tools[0].function"),
    (_body(tools=[{"function": {"name": "f"}}]), "tools[0].type"),
    (_body(tools=[{"type": "custom", "custom": {}}]), "tools[0].type"),
    (_body(tools=[{"type": "function", "function": {}}]), "tools[0].function.name"),
    (_body(tools=[{"type": "function", "function": {"name": "bad name"}}]), "tools[0].function.name"),
    (_body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]), "tools[0].function.parameters"),
    (_body(tool_choice="sometimes"), "tool_choice"),
    (_body(tool_choice=1), "tool_choice"),
    (_body(tool_choice={"type": "tool"}), "tool_choice.type"),
    (_body(tool_choice={"type": "function", "function": {}}), "tool_choice.function.name"),
    (_body(parallel_tool_calls="no"), "parallel_tool_calls"),
    (_body(response_format="json"), "response_format"),
    (_body(response_format={}), "response_format.type"),
    (_body(response_format={"type": "yaml"}), "response_format.type"),
    (_body(response_format={"type": "json_schema"}), "response_format.json_schema"),
    (_body(response_format={"type": "json_schema", "json_schema": {"schema": {}}}), "response_format.json_schema.name"),
    (_body(stream_options={"include_usage": True}), "stream_options"),
    (_body(stream=True, stream_options={"include_usage": "yes"}), "stream_options.include_usage"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "param"), INVALID, ids=[str(p) for _, p in INVALID])
def test_invalid_chat_request_names_the_param(body: object, param: str | None) -> None:
    with pytest.raises(InvalidRequest) as info:
        decode_chat_request(body)
    assert info.value.param == param
    assert info.value.status == 400
    assert info.value.message and (param is None or f"'{param}'" in info.value.message)


def test_decode_maps_fields() -> None:
    req = decode_chat_request(
        {
            "model": "mistral/mistral-small-latest",
            "messages": [
                {"role": "developer", "content": "Be brief."},
                {
                    "role": "user",
                    "name": "ann",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "https://x/y.png", "detail": "low"},
                        },
                    ],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "reasoning_content": "Look first.",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "look", "arguments": "{}"},
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": "c1",
                    "content": [{"type": "text", "text": "a cat"}],
                },
            ],
            "max_tokens": 50,
            "max_completion_tokens": 60,
            "stream": True,
            "stream_options": {"include_usage": True},
            "stop": "END",
            "temperature": 0,
            "reasoning_effort": "low",
            "tool_choice": {"type": "function", "function": {"name": "look"}},
            "response_format": {"type": "json_object"},
            "safe_prompt": True,
            "metadata": {"k": "v"},
        }
    )
    assert req.max_tokens == 60 and req.stream and req.include_usage
    assert req.stop == ["END"] and req.temperature == 0 and req.reasoning_effort == "low"
    assert req.tool_choice is not None and (req.tool_choice.mode, req.tool_choice.name) == (
        "tool",
        "look",
    )
    assert req.response_format is not None and req.response_format.type == "json_object"
    assert req.extra == {"safe_prompt": True, "metadata": {"k": "v"}}
    system, user, assistant, tool = req.messages
    assert system.role == "system" and system.parts == [TextPart("Be brief.")]
    assert user.name == "ann" and user.parts == [
        TextPart("What is this?"),
        ImagePart("https://x/y.png", detail="low"),
    ]
    assert assistant.parts == [ReasoningPart("Look first.")]
    assert assistant.tool_calls == [ToolCall("c1", "look", "{}")]
    assert tool.role == "tool" and tool.tool_call_id == "c1" and tool.text() == "a cat"
    assert decode_chat_request(_body(max_tokens=7)).max_tokens == 7


def test_nulls_are_absent_and_any_means_required() -> None:
    req = decode_chat_request(_body(temperature=None, tools=None, stop=None, tool_choice="any"))
    assert req.temperature is None and req.tools is None and req.stop is None
    assert req.tool_choice is not None and req.tool_choice.mode == "required"


def test_encode_writes_reference_openai_body() -> None:
    req = decode_chat_request(
        _body(
            messages=[
                {"role": "system", "content": "s"},
                {"role": "user", "content": [{"type": "text", "text": "only"}]},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
            ],
            max_tokens=5,
            stream=True,
            stream_options={"include_usage": True},
            prompt_cache_key="k",
        )
    )
    assert encode_chat_request(req, "gpt-4o-mini") == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "only"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_completion_tokens": 5,
        "prompt_cache_key": "k",
    }


# -- bodies built with the openai SDK's typed params ----------------------------------


def test_sdk_typed_params_decode() -> None:
    tool: ChatCompletionToolParam = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            "strict": True,
        },
    }
    assistant: ChatCompletionAssistantMessageParam = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    }
    messages: list[ChatCompletionMessageParam] = [
        {"role": "developer", "content": [{"type": "text", "text": "Be terse."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AAAA", "detail": "high"},
                },
            ],
        },
        assistant,
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    params: CompletionCreateParams = {
        "model": "auto",
        "messages": messages,
        "tools": [tool],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
        },
        "max_completion_tokens": 100,
        "logprobs": True,
        "top_logprobs": 2,
        "seed": 7,
        "n": 2,
        "stream": True,
        "stream_options": {"include_usage": True},
        "service_tier": "auto",
    }
    req = decode_chat_request(dict(params))
    assert req.messages[0].role == "system" and req.messages[0].text() == "Be terse."
    assert req.messages[1].parts[1] == ImagePart("data:image/png;base64,AAAA", detail="high")
    assert req.messages[2].tool_calls == [ToolCall("call_1", "get_weather", '{"city":"Paris"}')]
    assert req.tools is not None and req.tools[0].strict and req.tools[0].parameters
    assert req.tool_choice is not None and req.tool_choice.mode == "required"
    assert req.parallel_tool_calls is False
    assert req.response_format is not None and req.response_format.name == "answer"
    assert (req.max_tokens, req.logprobs, req.top_logprobs, req.seed, req.n) == (100, True, 2, 7, 2)
    assert req.include_usage and req.extra == {"service_tier": "auto"}


# -- FIM and embeddings ---------------------------------------------------------------


def test_fim_request_both_ways() -> None:
    body = {
        "model": "codestral-latest",
        "prompt": "def f(",
        "suffix": "return x",
        "max_tokens": 64,
        "min_tokens": 1,
        "stop": ["\n\n"],
        "random_seed": 3,
        "temperature": 0.2,
        "top_p": 0.9,
        "stream": True,
        "prompt_cache_key": "k",
    }
    req = decode_fim_request(body)
    assert (req.prompt, req.suffix, req.seed, req.max_tokens, req.min_tokens) == (
        "def f(",
        "return x",
        3,
        64,
        1,
    )
    assert req.include_usage and req.extra == {"prompt_cache_key": "k"}
    assert encode_fim_request(req, "codestral-latest") == body
    with pytest.raises(InvalidRequest) as info:
        decode_fim_request({"model": "codestral-latest"})
    assert info.value.param == "prompt"
    with pytest.raises(InvalidRequest) as info:
        decode_fim_request({"model": "c", "prompt": "x", "temperature": 2})
    assert info.value.param == "temperature"


@pytest.mark.parametrize(
    ("value", "inputs", "was_list"),
    [
        ("hello", ["hello"], False),
        (["a", "b"], ["a", "b"], True),
        ([1, 2, 3], [[1, 2, 3]], False),
        ([[1, 2], [3]], [[1, 2], [3]], True),
    ],
)
def test_embedding_inputs(value: object, inputs: object, was_list: bool) -> None:
    req = decode_embedding_request(
        {"model": "e", "input": value, "dimensions": 8, "user": "u", "output_dtype": "int8"}
    )
    assert (req.inputs, req.input_was_list, req.dimensions, req.user) == (inputs, was_list, 8, "u")
    assert req.extra == {"output_dtype": "int8"}
    assert encode_embedding_request(req, "e") == {
        "model": "e", "input": value, "dimensions": 8, "user": "u", "output_dtype": "int8",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "e"}, "input"),
        ({"model": "e", "input": 5}, "input"),
        ({"model": "e", "input": []}, "input"),
        ({"model": "e", "input": ""}, "input"),
        ({"model": "e", "input": ["a", 1]}, "input[1]"),
        ({"model": "e", "input": [[1], "a"]}, "input[1]"),
        ({"model": "e", "input": [True]}, "input[0]"),
        ({"model": "e", "input": "a", "dimensions": 0}, "dimensions"),
        ({"model": "e", "input": "a", "encoding_format": "int8"}, "encoding_format"),
        ({"input": "a"}, "model"),
    ],
)
def test_invalid_embedding_request(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        decode_embedding_request(body)
    assert info.value.param == param
