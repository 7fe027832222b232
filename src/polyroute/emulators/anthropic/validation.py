"""Request validation as strict as the Messages API (pydantic ``extra="forbid"`` messages).

Locations follow Anthropic's error text: ``messages.1.content.0.tool_use.id: ...`` (the block's
discriminator tag is part of the path), top-level problems as ``<field>: ...``.
"""

from __future__ import annotations

import re
from typing import Any

from polyroute.emulators.anthropic import catalog
from polyroute.emulators.anthropic.errors import AnthropicError, invalid

MESSAGE_FIELDS = frozenset({
    "model", "messages", "cache_control", "container", "inference_geo", "max_tokens", "metadata",
    "output_config", "service_tier", "stop_sequences", "stream", "system", "temperature",
    "thinking", "tool_choice", "tools", "top_k", "top_p",
})  # fmt: skip
BETA_MESSAGE_FIELDS = MESSAGE_FIELDS | {
    "context_management", "mcp_servers", "output_format", "speed", "user_profile_id",
}  # fmt: skip
"""The beta endpoint's body (``/v1/messages?beta=true`` in the spec) adds these."""
COUNT_FIELDS = frozenset({
    "cache_control", "messages", "model", "output_config", "system", "thinking", "tool_choice",
    "tools",
})  # fmt: skip
BETA_COUNT_FIELDS = COUNT_FIELDS | {"context_management", "mcp_servers", "output_format", "speed"}
"""The beta ``count_tokens`` body (``?beta=true``) adds these: the beta Messages fields but
``user_profile_id``."""
BLOCK_FIELDS: dict[str, frozenset[str]] = {
    "text": frozenset({"type", "text", "cache_control", "citations"}),
    "image": frozenset({"type", "source", "cache_control"}),
    "document": frozenset({"type", "source", "cache_control", "citations", "context", "title"}),
    "tool_use": frozenset({"type", "id", "name", "input", "cache_control", "caller"}),
    "tool_result": frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"}),
    "thinking": frozenset({"type", "thinking", "signature"}),
    "redacted_thinking": frozenset({"type", "data"}),
}
BLOCK_REQUIRED: dict[str, tuple[str, ...]] = {
    "text": ("text",), "image": ("source",), "document": ("source",),
    "tool_use": ("id", "name", "input"), "tool_result": ("tool_use_id",),
    "thinking": ("signature", "thinking"), "redacted_thinking": ("data",),
}  # fmt: skip
OTHER_TAGS = ("search_result", "server_tool_use", "web_search_tool_result",
              "web_fetch_tool_result", "code_execution_tool_result",
              "bash_code_execution_tool_result", "text_editor_code_execution_tool_result",
              "tool_search_tool_result", "container_upload")  # fmt: skip
ALL_TAGS = ("text", "image", "document", "search_result", "thinking", "redacted_thinking",
            "tool_use", "tool_result", *OTHER_TAGS[1:])  # fmt: skip
IMAGE_SOURCES = {
    "base64": frozenset({"type", "media_type", "data"}),
    "url": frozenset({"type", "url"}),
}
DOC_SOURCES = {"base64": frozenset({"type", "media_type", "data"}),
               "text": frozenset({"type", "media_type", "data"}),
               "content": frozenset({"type", "content"}),
               "url": frozenset({"type", "url"})}  # fmt: skip
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
TOOL_FIELDS = frozenset({"type", "description", "name", "input_schema", "cache_control", "strict",
                         "eager_input_streaming", "allowed_callers", "defer_loading",
                         "input_examples"})  # fmt: skip
CHOICE_FIELDS = {"auto": frozenset({"type", "disable_parallel_tool_use"}),
                 "any": frozenset({"type", "disable_parallel_tool_use"}),
                 "tool": frozenset({"type", "name", "disable_parallel_tool_use"}),
                 "none": frozenset({"type"})}  # fmt: skip
THINKING_FIELDS = {
    "enabled": frozenset({"type", "budget_tokens", "display"}),
    "disabled": frozenset({"type"}),
    "adaptive": frozenset({"type", "display"}),
}
ID_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
SYSTEM_ROLE = ('messages: Unexpected role "system". The Messages API accepts a top-level '
               '`system` parameter, not "system" as an input message role.')  # fmt: skip


def _tags(tags: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{t}'" for t in tags)


def check_object(
    obj: Any, loc: str, allowed: frozenset[str], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise invalid(f"{loc}: Input should be a valid dictionary or object to extract fields from")
    for key in obj:
        if key not in allowed:
            raise invalid(f"{loc}.{key}: Extra inputs are not permitted".lstrip("."))
    for key in required:
        if key not in obj:
            raise invalid(f"{loc}.{key}: Field required".lstrip("."))
    return obj


def tagged(
    obj: Any, loc: str, tables: dict[str, frozenset[str]], extra_tags: tuple[str, ...] = ()
) -> str:
    """Check a discriminated union member; return its tag."""
    if not isinstance(obj, dict):
        raise invalid(f"{loc}: Input should be a valid dictionary or object to extract fields from")
    tag = obj.get("type")
    if tag is None:
        raise invalid(f"{loc}: Unable to extract tag using discriminator 'type'")
    if tag not in tables and tag not in extra_tags:
        expected = _tags([*tables, *extra_tags])
        raise invalid(f"{loc}: Input tag '{tag}' found using 'type' does not match any of the "
                      f"expected tags: {expected}")  # fmt: skip
    if tag in tables:
        check_object(obj, f"{loc}.{tag}", tables[tag])
    return str(tag)


def validate(
    body: Any,
    table: tuple[catalog.ClaudeModel, ...] = catalog.MODELS,
    *,
    count_tokens: bool = False,
    beta: bool = False,
) -> catalog.ClaudeModel:
    """Validate a Messages (or count_tokens) body, of the beta API if ``beta``; return the
    resolved model."""
    if not isinstance(body, dict):
        raise invalid("Input should be a valid dictionary or object to extract fields from")
    if count_tokens:
        allowed = BETA_COUNT_FIELDS if beta else COUNT_FIELDS
    else:
        allowed = BETA_MESSAGE_FIELDS if beta else MESSAGE_FIELDS
    required = ("messages", "model") if count_tokens else ("max_tokens", "messages", "model")
    check_object(body, "", allowed)
    for key in required:
        if key not in body:
            raise invalid(f"{key}: Field required")
    if not isinstance(body["model"], str):
        raise invalid("model: Input should be a valid string")
    model = catalog.find(body["model"], table)
    if model is None:
        raise AnthropicError(404, f"model: {body['model']}")
    if not count_tokens:
        _check_scalars(body, model)
    _check_system(body.get("system"))
    _check_tools(body)
    _check_thinking(body, model, count_tokens)
    _check_messages(body["messages"])
    return model


def _check_scalars(body: dict[str, Any], model: catalog.ClaudeModel) -> None:
    mt = body["max_tokens"]
    if not isinstance(mt, int) or isinstance(mt, bool):
        raise invalid("max_tokens: Input should be a valid integer")
    if mt < 1:
        raise invalid("max_tokens: Input should be greater than or equal to 1")
    if mt > model.max_tokens:
        raise invalid(f"max_tokens: {mt} > {model.max_tokens}, which is the maximum allowed "
                      f"number of output tokens for {model.id}")  # fmt: skip
    temp = body.get("temperature")
    if temp is not None and (not isinstance(temp, int | float) or not 0 <= temp <= 1):
        raise invalid("temperature: Input should be less than or equal to 1")
    stops = body.get("stop_sequences")
    if stops is not None and (
        not isinstance(stops, list) or not all(isinstance(s, str) for s in stops)
    ):
        raise invalid("stop_sequences: Input should be a valid list")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise invalid("stream: Input should be a valid boolean")
    if "metadata" in body:
        check_object(body["metadata"], "metadata", frozenset({"user_id"}))


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise invalid("system: Input should be a valid list")
    for j, block in enumerate(system):
        tagged(block, f"system.{j}", {"text": BLOCK_FIELDS["text"]})
        _check_block_required(block, f"system.{j}", "text")


def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    names: list[str] = []
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid("tools: Input should be a valid list")
        for k, tool in enumerate(tools):
            if isinstance(tool, dict) and tool.get("type") not in (None, "custom"):
                names.append(str(tool.get("name", "")))  # server tool: checked by its own schema
                continue
            check_object(tool, f"tools.{k}.custom", TOOL_FIELDS, ("name", "input_schema"))
            if not isinstance(tool["name"], str) or not TOOL_NAME_RE.match(tool["name"]):
                raise invalid(f"tools.{k}.custom.name: String should match pattern "
                              "'^[a-zA-Z0-9_-]{1,128}$'")  # fmt: skip
            schema = tool["input_schema"]
            if not isinstance(schema, dict) or schema.get("type") != "object":
                raise invalid(f"tools.{k}.custom.input_schema.type: Input should be 'object'")
            names.append(tool["name"])
        if len(set(names)) != len(names):
            raise invalid("tools: Tool names must be unique.")
    choice = body.get("tool_choice")
    if choice is not None:
        tag = tagged(choice, "tool_choice", CHOICE_FIELDS)
        if tag == "tool":
            check_object(choice, "tool_choice.tool", CHOICE_FIELDS["tool"], ("name",))
            if choice["name"] not in names:
                raise invalid(
                    f"tool_choice.name: Tool '{choice['name']}' not found in provided tools"
                )


def _check_thinking(body: dict[str, Any], model: catalog.ClaudeModel, count_tokens: bool) -> None:
    thinking = body.get("thinking")
    if thinking is None:
        return
    tag = tagged(thinking, "thinking", THINKING_FIELDS)
    if tag == "disabled":
        return
    if not model.thinking:
        raise invalid(f"'{model.id}' does not support thinking.")
    if tag == "enabled":
        check_object(thinking, "thinking.enabled", THINKING_FIELDS["enabled"], ("budget_tokens",))
        budget = thinking["budget_tokens"]
        if not isinstance(budget, int) or budget < 1024:
            raise invalid(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            )
        if not count_tokens and body["max_tokens"] <= budget:
            raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`. Please "
                          "consult our documentation at https://docs.claude.com/en/docs/build-with-claude/"
                          "extended-thinking#max-tokens-and-context-window-size")  # fmt: skip
    choice = body.get("tool_choice") or {}
    if choice.get("type") in ("any", "tool"):
        raise invalid("Thinking may not be enabled when tool_choice forces tool use.")
    temp = body.get("temperature")
    if temp is not None and temp != 1:
        raise invalid("`temperature` may only be set to 1 when thinking is enabled. Please consult "
                      "our documentation at https://docs.claude.com/en/docs/build-with-claude/"
                      "extended-thinking#feature-compatibility")  # fmt: skip


def _check_block_required(block: dict[str, Any], loc: str, tag: str) -> None:
    for key in BLOCK_REQUIRED.get(tag, ()):
        if key not in block:
            raise invalid(f"{loc}.{tag}.{key}: Field required")
    if tag == "text" and (not isinstance(block["text"], str) or not block["text"]):
        raise invalid("messages: text content blocks must be non-empty")


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list):
        raise invalid("messages: Input should be a valid list")
    if not messages:
        raise invalid("messages: at least one message is required")
    for i, msg in enumerate(messages):
        if isinstance(msg, dict) and msg.get("role") == "system":
            raise invalid(SYSTEM_ROLE)
        check_object(msg, f"messages.{i}", frozenset({"role", "content"}), ("content", "role"))
        if msg["role"] not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        _check_content(msg, i, last=i == len(messages) - 1)
    if messages[0]["role"] != "user":
        raise invalid('messages: first message must use the "user" role')
    if messages[-1]["role"] == "assistant" and _ends_in_space(messages[-1]["content"]):
        raise invalid("messages: final assistant content cannot end with trailing whitespace")
    _check_tool_pairs(messages)


def _ends_in_space(content: Any) -> bool:
    if isinstance(content, list):
        content = content[-1].get("text", "") if content else ""
    return isinstance(content, str) and content != content.rstrip()


def _check_content(msg: dict[str, Any], i: int, last: bool) -> None:
    content = msg["content"]
    if isinstance(content, str):
        if not content and not (last and msg["role"] == "assistant"):
            raise invalid(f"messages.{i}: all messages must have non-empty content except for "
                          "the optional final assistant message")  # fmt: skip
        return
    if not isinstance(content, list):
        raise invalid(f"messages.{i}.content: Input should be a valid list")
    for j, block in enumerate(content):
        loc = f"messages.{i}.content.{j}"
        tag = tagged(block, loc, BLOCK_FIELDS, OTHER_TAGS)
        _check_block_required(block, loc, tag)
        _check_block(block, f"{loc}.{tag}", tag)


def _check_block(block: dict[str, Any], loc: str, tag: str) -> None:
    if tag == "image":
        source = tagged(block["source"], f"{loc}.source", IMAGE_SOURCES)
        if source == "base64" and block["source"].get("media_type") not in IMAGE_TYPES:
            raise invalid(f"{loc}.source.base64.media_type: Input should be 'image/jpeg', "
                          "'image/png', 'image/gif' or 'image/webp'")  # fmt: skip
    elif tag == "document":
        tagged(block["source"], f"{loc}.source", DOC_SOURCES)
    elif tag == "tool_use":
        if not isinstance(block["id"], str) or not ID_RE.match(block["id"]):
            raise invalid(f"{loc}.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
        if not isinstance(block["input"], dict):
            raise invalid(f"{loc}.input: Input should be a valid dictionary")
    elif tag == "tool_result":
        if not isinstance(block["tool_use_id"], str) or not ID_RE.match(block["tool_use_id"]):
            raise invalid(f"{loc}.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'")
        inner = block.get("content")
        if isinstance(inner, list):
            table = {k: BLOCK_FIELDS[k] for k in ("text", "image", "document")}
            for k, sub in enumerate(inner):
                sub_tag = tagged(
                    sub, f"{loc}.content.{k}", table, ("search_result", "tool_reference")
                )
                _check_block_required(sub, f"{loc}.content.{k}", sub_tag)


def _blocks(msg: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    content = msg["content"]
    return [b for b in content if b.get("type") == tag] if isinstance(content, list) else []


def _check_tool_pairs(messages: list[dict[str, Any]]) -> None:
    """tool_result ids must answer the previous assistant turn's tool_use ids, and vice versa."""
    for i, msg in enumerate(messages):
        if msg["role"] == "user":
            _check_results(messages, i, msg)
    for i, msg in enumerate(messages):
        if msg["role"] == "assistant" and i + 1 < len(messages):
            ids = [b["id"] for b in _blocks(msg, "tool_use")]
            answered = {b["tool_use_id"] for b in _blocks(messages[i + 1], "tool_result")}
            missing = [x for x in ids if x not in answered]
            if missing:
                raise invalid(
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                    "corresponding `tool_result` block in the next message."
                )


def _check_results(messages: list[dict[str, Any]], i: int, msg: dict[str, Any]) -> None:
    prev = messages[i - 1] if i and messages[i - 1]["role"] == "assistant" else None
    known = {b["id"] for b in _blocks(prev, "tool_use")} if prev else set()
    content = msg["content"] if isinstance(msg["content"], list) else []
    for j, block in enumerate(content):
        if block.get("type") == "tool_result" and block["tool_use_id"] not in known:
            raise invalid(
                f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                f"`tool_result` blocks: {block['tool_use_id']}. Each `tool_result` block "
                "must have a corresponding `tool_use` block in the previous message."
            )
