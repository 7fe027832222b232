"""``POST /v1/messages`` bodies: decoded into ``ChatRequest`` and encoded from it.

Design choices (canonical ⇄ Anthropic):

- ``max_tokens`` is required by Anthropic. When the canonical request has none, the body
  gets ``DEFAULT_MAX_TOKENS`` (4096: every Claude model since Claude 3 can produce that
  many), plus the thinking budget when thinking is on (the budget counts inside it).
- ``thinking`` stays in ``extra["thinking"]`` verbatim when decoded (Anthropic-out sends it
  as is; other protocols drop it and report it). An OpenAI-style ``reasoning_effort``
  becomes ``thinking: {"type": "enabled", "budget_tokens": ...}`` via ``_EFFORT_BUDGET``.
  With thinking on, Anthropic refuses ``temperature`` ≠ 1, ``top_k`` and ``top_p`` < 0.95,
  so those are left out.
- JSON mode is tool-based: ``response_format`` json_object / json_schema adds one tool
  (``json_tool_name``) whose ``input_schema`` is the schema (``{"type": "object"}`` for
  json_object), forces it with ``tool_choice`` (``any`` when the client has tools of its
  own; ``auto`` plus a system instruction when thinking is on, which forbids forcing), and
  the response and stream decoders turn that tool's input back into the answer's text.
  Works on every Claude model and enforces the schema.
- ``temperature`` above Anthropic's 1.0 maximum (OpenAI allows 2) is clamped to 1.0.
- ``n > 1`` is refused: Anthropic returns one answer per request.
- Unknown fields are kept in ``extra``; only those Anthropic defines (``ANTHROPIC_FIELDS``,
  and with ``betas`` the beta API's ``ANTHROPIC_BETA_FIELDS``) are sent to it, because it
  rejects any other.
"""

from __future__ import annotations

import re
from typing import Any

from polyroute.canonical import ChatRequest, ResponseFormat, ToolChoice, ToolSpec
from polyroute.errors import InvalidRequest
from polyroute.wire.anthropic.fields import (
    as_dict,
    invalid,
    join,
    missing,
    opt_bool,
    opt_dict,
    opt_int,
    opt_list,
    opt_number,
    opt_str,
    req_str,
)
from polyroute.wire.anthropic.turns import (
    decode_messages,
    decode_system,
    encode_system,
    encode_turns,
)

DEFAULT_MAX_TOKENS = 4096
ANTHROPIC_FIELDS = frozenset(
    {"cache_control", "container", "inference_geo", "metadata", "output_config",
     "service_tier", "thinking"}
)  # fmt: skip
ANTHROPIC_BETA_FIELDS = frozenset(
    {"context_management", "mcp_servers", "output_format", "speed", "user_profile_id"}
)
"""Fields only the beta Messages API takes (``anthropic-beta``; the spec's ``?beta=true``)."""
_BETA_API_FIELDS = ANTHROPIC_FIELDS | ANTHROPIC_BETA_FIELDS


def anthropic_fields(req: ChatRequest) -> frozenset[str]:
    """The extra fields Anthropic takes for ``req``: the beta API's too when it is in use."""
    return _BETA_API_FIELDS if req.betas else ANTHROPIC_FIELDS


def parse_betas(*headers: str) -> tuple[str, ...]:
    """The beta features named in ``anthropic-beta`` header values (comma-separated, one
    header or several), each once, in order."""
    return tuple(dict.fromkeys(b for h in headers for b in map(str.strip, h.split(",")) if b))


_KNOWN = frozenset(
    {"model", "messages", "max_tokens", "system", "stream", "temperature", "top_p", "top_k",
     "stop_sequences", "tools", "tool_choice", "metadata"}
)  # fmt: skip
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_CHOICE_MODES: dict[str, Any] = {"auto": "auto", "any": "required", "tool": "tool", "none": "none"}
_CHOICE_TYPES = {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}
_EFFORT_BUDGET = {"low": 1024, "medium": 4096, "high": 16384}
_JSON_TOOL = "json_response"
_JSON_INSTRUCTION = "Give your final answer by calling the `{}` tool, with the answer as its input."


def decode_messages_request(body: object) -> ChatRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = req_str(body, "model")
    messages = decode_messages(body.get("messages"))
    max_tokens = opt_int(body, "max_tokens", minimum=1)
    if max_tokens is None:
        raise missing("max_tokens")
    system = decode_system(body.get("system"))
    if system is not None:
        messages.insert(0, system)
    stream = bool(opt_bool(body, "stream"))
    choice, parallel = _decode_tool_choice(opt_dict(body, "tool_choice"))
    metadata = opt_dict(body, "metadata") or {}
    extra = {k: v for k, v in body.items() if k not in _KNOWN}
    if metadata.keys() - {"user_id"}:
        extra["metadata"] = metadata
    if "thinking" in extra:
        _check_thinking(extra["thinking"], max_tokens)
    return ChatRequest(
        model=model,
        messages=messages,
        stream=stream,
        max_tokens=max_tokens,
        temperature=opt_number(body, "temperature", maximum=1),
        top_p=opt_number(body, "top_p", maximum=1),
        top_k=opt_int(body, "top_k"),
        stop=_decode_stop(opt_list(body, "stop_sequences")),
        tools=_decode_tools(opt_list(body, "tools")),
        tool_choice=choice,
        parallel_tool_calls=parallel,
        user=opt_str(metadata, "user_id", "metadata"),
        include_usage=stream,  # Anthropic streams always carry usage
        extra=extra,
    )


def _decode_stop(value: list[Any] | None) -> list[str] | None:
    if value is None:
        return None
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise invalid(join("stop_sequences", i), "Input should be a valid string")
    return list(value)


def _decode_tools(value: list[Any] | None) -> list[ToolSpec] | None:
    if not value:
        return None
    tools = []
    for i, raw in enumerate(value):
        path = join("tools", i)
        tool = as_dict(raw, path)
        if tool.get("type") not in (None, "custom"):
            raise invalid(join(path, "type"), f"tools of type '{tool['type']}' are not supported")
        name = req_str(tool, "name", path)
        if not _TOOL_NAME.match(name):
            raise invalid(
                join(path, "name"), "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"
            )
        schema = opt_dict(tool, "input_schema", path)
        if schema is None:
            raise missing(join(path, "input_schema"))
        description = opt_str(tool, "description", path)
        tools.append(ToolSpec(name=name, description=description, parameters=schema))
    return tools


def _decode_tool_choice(value: dict[str, Any] | None) -> tuple[ToolChoice | None, bool | None]:
    if value is None:
        return None, None
    kind = value.get("type")
    if kind not in _CHOICE_MODES:
        raise invalid("tool_choice.type", "Input tag does not match 'auto', 'any', 'tool', 'none'")
    name = req_str(value, "name", "tool_choice") if kind == "tool" else None
    disable = bool(opt_bool(value, "disable_parallel_tool_use", "tool_choice"))
    choice = ToolChoice(mode=_CHOICE_MODES[kind], name=name, disable_parallel=disable)
    return choice, (False if disable else None)


def _check_thinking(value: object, max_tokens: int) -> None:
    thinking = as_dict(value, "thinking")
    kind = thinking.get("type")
    if kind not in ("enabled", "disabled", "adaptive"):
        raise invalid("thinking.type", "Input tag does not match 'enabled', 'disabled', 'adaptive'")
    if kind == "enabled":
        budget = opt_int(thinking, "budget_tokens", "thinking", minimum=1024)
        if budget is None:
            raise missing("thinking.budget_tokens")
        if budget >= max_tokens:
            raise invalid(
                "max_tokens", "`max_tokens` must be greater than `thinking.budget_tokens`"
            )


# -- encoding ---------------------------------------------------------------------------


def json_tool_name(req: ChatRequest) -> str | None:
    """Name of the tool that carries the answer in JSON mode, or None outside JSON mode."""
    fmt = req.response_format
    if fmt is None or fmt.type == "text":
        return None
    taken = {t.name for t in req.tools or ()}
    name = _JSON_TOOL
    while name in taken:
        name += "_"
    return name


def encode_messages_request(
    req: ChatRequest, model: str, *, stream: bool | None = None
) -> dict[str, Any]:
    """The Anthropic body for ``req``, sent as ``model`` (``stream`` overrides ``req.stream``)."""
    if req.n is not None and req.n > 1:
        raise InvalidRequest(
            "n: Anthropic returns one answer per request; n > 1 is not supported.", param="n"
        )
    body: dict[str, Any] = {"model": model, "messages": encode_turns(req.messages)}
    thinking = _thinking(req)
    budget = thinking.get("budget_tokens", 0) if thinking else 0
    body["max_tokens"] = req.max_tokens or DEFAULT_MAX_TOKENS + budget
    instructions: list[str] = []
    _encode_tools(
        req, body, instructions, thinking_on=bool(thinking and thinking.get("type") != "disabled")
    )
    system = encode_system(req.messages)
    if instructions:
        extra_block = {"type": "text", "text": "\n".join(instructions)}
        system = [
            *([{"type": "text", "text": system}] if isinstance(system, str) else system or []),
            extra_block,
        ]
    if system is not None:
        body["system"] = system
    if stream if stream is not None else req.stream:
        body["stream"] = True
    if req.stop:
        body["stop_sequences"] = list(req.stop)
    _sampling(req, body, thinking_on=bool(thinking and thinking.get("type") != "disabled"))
    accepted = anthropic_fields(req)
    body.update({k: v for k, v in req.extra.items() if k in accepted})
    if thinking:
        body["thinking"] = thinking
    if req.user is not None:
        body["metadata"] = {**body.get("metadata", {}), "user_id": req.user}
    return body


def _thinking(req: ChatRequest) -> dict[str, Any] | None:
    explicit = req.extra.get("thinking")
    if isinstance(explicit, dict):
        return explicit
    budget = _EFFORT_BUDGET.get(req.reasoning_effort or "")
    return {"type": "enabled", "budget_tokens": budget} if budget else None


def _sampling(req: ChatRequest, body: dict[str, Any], *, thinking_on: bool) -> None:
    if req.temperature is not None and (not thinking_on or req.temperature == 1):
        body["temperature"] = min(req.temperature, 1.0)
    if req.top_p is not None and (not thinking_on or req.top_p >= 0.95):
        body["top_p"] = req.top_p
    if req.top_k is not None and not thinking_on:
        body["top_k"] = req.top_k


def _encode_tools(
    req: ChatRequest, body: dict[str, Any], instructions: list[str], *, thinking_on: bool
) -> None:
    tools = [_encode_tool(t) for t in req.tools or ()]
    json_tool = json_tool_name(req)
    choice = req.tool_choice
    if json_tool is not None and req.response_format is not None:
        tools.append(_json_tool(json_tool, req.response_format))
        instructions.append(_JSON_INSTRUCTION.format(json_tool))
        if choice is None or choice.mode in ("auto", "required"):
            forced = "auto" if thinking_on else ("any" if req.tools else "tool")
            choice = ToolChoice(mode=_CHOICE_MODES[forced], name=json_tool)
    if not tools:
        return
    body["tools"] = tools
    disable = req.parallel_tool_calls is False or bool(choice and choice.disable_parallel)
    if choice is None and not disable:
        return
    encoded: dict[str, Any] = {"type": _CHOICE_TYPES[choice.mode] if choice else "auto"}
    if encoded["type"] == "tool":
        encoded["name"] = choice.name if choice else ""
    if disable and encoded["type"] != "none":
        encoded["disable_parallel_tool_use"] = True
    body["tool_choice"] = encoded


def _encode_tool(tool: ToolSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["input_schema"] = tool.parameters or {"type": "object", "properties": {}}
    return out


def _json_tool(name: str, fmt: ResponseFormat) -> dict[str, Any]:
    schema = fmt.schema if fmt.type == "json_schema" and fmt.schema else {"type": "object"}
    description = fmt.description or "Respond with the final answer, as this tool's input."
    return {"name": name, "description": description, "input_schema": schema}
