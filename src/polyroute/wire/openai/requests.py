"""``POST /v1/chat/completions`` bodies: decoded into ``ChatRequest`` and encoded back.

``decode_chat_request`` validates the way OpenAI does and raises ``InvalidRequest`` with the
offending param path. ``encode_chat_request`` writes the reference OpenAI body (fields only
when set); provider dialect deltas (seed and max-tokens field names, unsupported fields,
``tool_choice`` spelling) are applied on top of it by the adapter.
"""

from __future__ import annotations

import re
from typing import Any

from polyroute.canonical import ChatRequest, ResponseFormat, ToolChoice, ToolSpec
from polyroute.errors import InvalidRequest
from polyroute.wire.openai.fields import (
    extra_fields,
    invalid_value,
    missing,
    opt_bool,
    opt_int,
    opt_number,
    opt_object,
    opt_stop,
    opt_str,
    req_str,
    wrong_type,
)
from polyroute.wire.openai.messages import decode_messages, encode_messages

_KNOWN = frozenset(
    {
        "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
        "temperature", "top_p", "top_k", "stop", "seed", "n", "presence_penalty",
        "frequency_penalty", "tools", "tool_choice", "parallel_tool_calls", "response_format",
        "logprobs", "top_logprobs", "user", "reasoning_effort",
    }
)  # fmt: skip

# Canonical fields written under the same name in the reference OpenAI body.
_SAME_NAME = (
    "temperature", "top_p", "top_k", "seed", "n", "presence_penalty", "frequency_penalty",
    "parallel_tool_calls", "logprobs", "top_logprobs", "user", "reasoning_effort",
)  # fmt: skip

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TOOL_CHOICE_MODES: dict[str, Any] = {
    "auto": "auto",
    "none": "none",
    "required": "required",
    "any": "required",  # Mistral's name for it, tolerated from Mistral-minded clients
}
_RESPONSE_FORMATS = ("text", "json_object", "json_schema")


def decode_chat_request(body: object) -> ChatRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_body")
    model = req_str(body, "model")
    messages = decode_messages(body.get("messages"))
    stream = bool(opt_bool(body, "stream"))
    stream_options = opt_object(body, "stream_options")
    if stream_options is not None and not stream:
        raise InvalidRequest(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    max_tokens = opt_int(body, "max_completion_tokens", minimum=1)
    if max_tokens is None:
        max_tokens = opt_int(body, "max_tokens", minimum=1)
    logprobs = opt_bool(body, "logprobs")
    top_logprobs = opt_int(body, "top_logprobs", minimum=0, maximum=20)
    if top_logprobs is not None and not logprobs:
        raise InvalidRequest(
            "Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
            param="top_logprobs",
            code="invalid_value",
        )
    return ChatRequest(
        model=model,
        messages=messages,
        stream=stream,
        max_tokens=max_tokens,
        temperature=opt_number(body, "temperature", minimum=0, maximum=2),
        top_p=opt_number(body, "top_p", minimum=0, maximum=1),
        top_k=opt_int(body, "top_k"),
        stop=opt_stop(body, "stop"),
        seed=opt_int(body, "seed"),
        n=opt_int(body, "n", minimum=1, maximum=128),
        presence_penalty=opt_number(body, "presence_penalty", minimum=-2, maximum=2),
        frequency_penalty=opt_number(body, "frequency_penalty", minimum=-2, maximum=2),
        tools=_decode_tools(body.get("tools")),
        tool_choice=_decode_tool_choice(body.get("tool_choice")),
        parallel_tool_calls=opt_bool(body, "parallel_tool_calls"),
        response_format=_decode_response_format(body.get("response_format")),
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        user=opt_str(body, "user"),
        reasoning_effort=opt_str(body, "reasoning_effort"),
        include_usage=bool(
            stream_options and opt_bool(stream_options, "include_usage", "stream_options")
        ),
        extra=extra_fields(body, _KNOWN),
    )


def _decode_tools(value: object) -> list[ToolSpec] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise wrong_type("tools", "an array", value)
    return [_decode_tool(t, f"tools[{i}]") for i, t in enumerate(value)] or None


def _decode_tool(raw: object, path: str) -> ToolSpec:
    if not isinstance(raw, dict):
        raise wrong_type(path, "an object", raw)
    kind = raw.get("type")
    if kind is None:
        raise missing(f"{path}.type")
    if kind != "function":
        raise invalid_value(f"{path}.type", f"'{kind}' is not supported; expected 'function'.")
    function = raw.get("function")
    if function is None:
        raise missing(f"{path}.function")
    if not isinstance(function, dict):
        raise wrong_type(f"{path}.function", "an object", function)
    fpath = f"{path}.function"
    name = req_str(function, "name", fpath)
    if not _TOOL_NAME.match(name):
        raise invalid_value(
            f"{fpath}.name", "must be 1-64 characters of a-z, A-Z, 0-9, underscores and dashes."
        )
    return ToolSpec(
        name=name,
        description=opt_str(function, "description", fpath),
        parameters=opt_object(function, "parameters", fpath),
        strict=opt_bool(function, "strict", fpath),
    )


def _decode_tool_choice(value: object) -> ToolChoice | None:
    if value is None:
        return None
    if isinstance(value, str):
        mode = _TOOL_CHOICE_MODES.get(value)
        if mode is None:
            raise invalid_value(
                "tool_choice", f"'{value}' is not one of 'none', 'auto', 'required'."
            )
        return ToolChoice(mode=mode)
    if not isinstance(value, dict):
        raise wrong_type("tool_choice", "a string or an object", value)
    if value.get("type") != "function":
        raise invalid_value("tool_choice.type", "expected 'function'.")
    function = value.get("function")
    if function is None:
        raise missing("tool_choice.function")
    if not isinstance(function, dict):
        raise wrong_type("tool_choice.function", "an object", function)
    return ToolChoice(mode="tool", name=req_str(function, "name", "tool_choice.function"))


def _decode_response_format(value: object) -> ResponseFormat | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_type("response_format", "an object", value)
    kind = value.get("type")
    if kind is None:
        raise missing("response_format.type")
    if kind not in _RESPONSE_FORMATS:
        raise invalid_value(
            "response_format.type", f"'{kind}' is not one of 'text', 'json_object', 'json_schema'."
        )
    if kind != "json_schema":
        return ResponseFormat(type=kind)
    spec = value.get("json_schema")
    if spec is None:
        raise missing("response_format.json_schema")
    if not isinstance(spec, dict):
        raise wrong_type("response_format.json_schema", "an object", spec)
    path = "response_format.json_schema"
    return ResponseFormat(
        type="json_schema",
        name=req_str(spec, "name", path),
        schema=opt_object(spec, "schema", path),
        strict=opt_bool(spec, "strict", path),
        description=opt_str(spec, "description", path),
    )


# -- encoding ---------------------------------------------------------------------------


def encode_chat_request(req: ChatRequest, model: str) -> dict[str, Any]:
    """The reference OpenAI body for ``req``, sent as ``model``."""
    body: dict[str, Any] = {"model": model, "messages": encode_messages(req.messages)}
    if req.stream:
        body["stream"] = True
        if req.include_usage:
            body["stream_options"] = {"include_usage": True}
    if req.max_tokens is not None:
        body["max_completion_tokens"] = req.max_tokens
    if req.stop is not None:
        body["stop"] = list(req.stop)
    for name in _SAME_NAME:
        value = getattr(req, name)
        if value is not None:
            body[name] = value
    if req.tools is not None:
        body["tools"] = [_encode_tool(t) for t in req.tools]
    if req.tool_choice is not None:
        body["tool_choice"] = _encode_tool_choice(req.tool_choice)
        if req.tool_choice.disable_parallel and req.parallel_tool_calls is None:
            body["parallel_tool_calls"] = False
    if req.response_format is not None:
        body["response_format"] = _encode_response_format(req.response_format)
    for key, value in req.extra.items():
        body.setdefault(key, value)
    return body


def _encode_tool(tool: ToolSpec) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        function["description"] = tool.description
    if tool.parameters is not None:
        function["parameters"] = tool.parameters
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _encode_tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name or ""}}
    return choice.mode


def _encode_response_format(fmt: ResponseFormat) -> dict[str, Any]:
    if fmt.type != "json_schema":
        return {"type": fmt.type}
    spec: dict[str, Any] = {"name": fmt.name or "response"}
    if fmt.description is not None:
        spec["description"] = fmt.description
    if fmt.schema is not None:
        spec["schema"] = fmt.schema
    if fmt.strict is not None:
        spec["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": spec}
