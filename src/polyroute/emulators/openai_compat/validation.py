"""Request validation the way each provider does it (field tables come from the profile).

Every check raises :class:`ApiError` carrying the provider's real status and message. Under
``forbid`` (Mistral) all extra fields are collected into one pydantic-style 422; under
``reject`` (OpenAI, Groq, Cerebras, xAI) the first unknown field is a 400; ``permissive``
providers ignore unknown fields but still enforce required fields and message rules.
"""

from __future__ import annotations

from typing import Any

from polyroute.emulators.openai_compat import errors
from polyroute.emulators.openai_compat.errors import ApiError
from polyroute.emulators.openai_compat.profiles import ModelCard, Profile

_OPENAI_ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_CONTENT_REQUIRED = frozenset({"system", "developer", "user", "tool", "function"})


def _extra(loc: list[Any], value: Any) -> dict[str, Any]:
    return {
        "type": "extra_forbidden",
        "loc": loc,
        "msg": "Extra inputs are not permitted",
        "input": value,
    }


def _missing(loc: list[Any], obj: Any) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": obj}


def check_fields(
    profile: Profile, body: dict[str, Any], allowed: frozenset[str], required: tuple[str, ...]
) -> None:
    """Unknown and missing top-level fields, per the profile's strictness."""
    unknown = [k for k in body if k not in allowed]
    if profile.strictness == "forbid":
        detail = [_missing(["body", f], body) for f in required if f not in body]
        detail += [_extra(["body", k], body[k]) for k in unknown]
        detail += _message_extras(profile, body.get("messages"))
        if detail:
            raise errors.validation_422(detail)
        return
    if profile.strictness == "reject" and unknown:
        raise errors.unknown_field(profile, unknown[0])
    for name in required:
        if name not in body:
            raise errors.missing(profile, name)


def _message_extras(profile: Profile, messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list):
        return []
    detail: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        allowed = profile.message_fields.get(role) if isinstance(role, str) else None
        if allowed is None:
            tags = ", ".join(f"'{r}'" for r in sorted(profile.message_fields))
            detail.append(
                {
                    "type": "union_tag_invalid",
                    "loc": ["body", "messages", i],
                    "msg": f"Input tag '{role}' found using 'role' does not match any "
                    f"of the expected tags: {tags}",
                    "input": msg,
                }
            )
            continue
        loc = ["body", "messages", i, role]
        detail += [_extra([*loc, k], v) for k, v in msg.items() if k not in allowed]
        if role in ("system", "user", "tool") and "content" not in msg:
            detail.append(_missing([*loc, "content"], msg))
    return detail


def resolve_model(profile: Profile, body: dict[str, Any], kind: str) -> ModelCard:
    model_id = body.get("model", profile.models[0].id)
    card = profile.model(model_id)
    if card is None or card.kind != kind:
        raise errors.model_not_found(profile, model_id)
    return card


def validate_chat(profile: Profile, body: Any) -> ModelCard:
    if not isinstance(body, dict):
        raise errors.invalid("Invalid type for request body: expected an object.")
    check_fields(profile, body, profile.chat_fields, profile.required_chat)
    card = resolve_model(profile, body, "chat")
    if not card.reasoning:
        for name in profile.reasoning_only_fields & body.keys():
            raise errors.unknown_field(profile, name)
    elif profile.reasoning_only_fields and "max_tokens" in body:
        raise ApiError(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this "
            "model. Use 'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    if body.get("stream_options") is not None and not body.get("stream"):
        raise errors.invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    _check_messages(profile, card, body.get("messages"))
    _check_tools(profile, body)
    return card


def _check_messages(profile: Profile, card: ModelCard, messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise errors.invalid(
            "Invalid 'messages': empty array. Expected an array with minimum "
            "length 1, but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise errors.invalid(
                f"Invalid type for 'messages[{i}]': expected an object.",
                param=f"messages[{i}]",
                code="invalid_type",
            )
        _check_message(profile, card, i, msg)
    _check_tool_sequence(profile, messages)


def _check_message(profile: Profile, card: ModelCard, i: int, msg: dict[str, Any]) -> None:
    role = msg.get("role")
    if role not in _OPENAI_ROLES:
        raise errors.invalid(
            f"Invalid value: '{role}'. Supported values are: 'system', "
            "'assistant', 'user', 'function', 'tool', and 'developer'.",
            param=f"messages[{i}].role",
            code="invalid_value",
        )
    if role in _CONTENT_REQUIRED and "content" not in msg:
        raise errors.missing(profile, f"messages[{i}].content")
    if role == "assistant" and msg.get("content") is None and not msg.get("tool_calls"):
        raise errors.invalid(
            "Invalid value for 'content': expected a string, got null.",
            param=f"messages.[{i}].content",
        )
    if role == "tool" and not msg.get("tool_call_id"):
        raise errors.missing(profile, f"messages[{i}].tool_call_id")
    content = msg.get("content")
    if isinstance(content, list) and not card.vision:
        for j, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "image_url":
                raise errors.invalid(
                    "Invalid content type. image_url is only supported by certain models.",
                    param=f"messages.[{i}].content.[{j}].type",
                    code="invalid_value",
                )
    for call_id in _ids_in(msg):
        _check_tool_call_id(profile, call_id)


def _ids_in(msg: dict[str, Any]) -> list[str]:
    ids = [c.get("id") for c in msg.get("tool_calls") or [] if isinstance(c, dict)]
    if msg.get("role") == "tool":
        ids.append(msg.get("tool_call_id"))
    return [str(i) for i in ids if i is not None]


def _check_tool_call_id(profile: Profile, call_id: str) -> None:
    rule = profile.tool_call_id_rule
    if rule is None:
        return
    length, alphabet = rule
    if len(call_id) != length or any(ch not in alphabet for ch in call_id):
        raise errors.invalid(
            f"Tool call id was {call_id} but must be a-z, A-Z, 0-9, with a length of {length}."
        )


def _check_tool_sequence(profile: Profile, messages: list[dict[str, Any]]) -> None:
    """A tool message answers a call of the latest assistant turn; every call is answered."""
    pending: dict[str, int] = {}
    declared: set[str] = set()
    for i, msg in enumerate(messages):
        role = msg.get("role")
        if role == "tool":
            call_id = str(msg.get("tool_call_id"))
            if call_id not in declared:
                raise _unanswerable(profile, i)
            pending.pop(call_id, None)
            continue
        if pending:
            raise _unanswered(profile, min(pending.values()), sorted(pending))
        declared = set()
        if role == "assistant":
            for call in msg.get("tool_calls") or []:
                call_id = str(call.get("id")) if isinstance(call, dict) else ""
                pending[call_id] = i
                declared.add(call_id)
    if pending:
        raise _unanswered(profile, min(pending.values()), sorted(pending))


def _unanswerable(profile: Profile, i: int) -> ApiError:
    if profile.error_style == "mistral":
        return errors.invalid("Unexpected role 'tool' after role 'user'")
    return errors.invalid(
        "Invalid parameter: messages with role 'tool' must be a response to a "
        "preceeding message with 'tool_calls'.",
        param=f"messages.[{i}].role",
    )


def _unanswered(profile: Profile, i: int, ids: list[str]) -> ApiError:
    if profile.error_style == "mistral":
        return errors.invalid("Not the same number of function calls and responses")
    return errors.invalid(
        "An assistant message with 'tool_calls' must be followed by tool "
        "messages responding to each 'tool_call_id'. The following "
        f"tool_call_ids did not have response messages: {', '.join(ids)}",
        param=f"messages.[{i}].role",
    )


def _check_tools(profile: Profile, body: dict[str, Any]) -> None:
    tools = body.get("tools") or []
    names = set()
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not fn.get("name"):
            raise errors.missing(profile, f"tools[{i}].function.name")
        names.add(fn["name"])
    choice = body.get("tool_choice")
    if choice is None:
        return
    if isinstance(choice, str):
        allowed = {"none", "auto"} | profile.required_tool_choices
        if choice not in allowed:
            values = ", ".join(f"'{v}'" for v in sorted(allowed))
            raise errors.invalid(
                f"Invalid value: '{choice}'. Supported values are: {values}.",
                param="tool_choice",
                code="invalid_value",
            )
        return
    if not tools:
        raise errors.invalid(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed "
            "when 'tools' are specified.",
            param="tool_choice",
        )
    name = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if name not in names:
        raise errors.invalid(
            f"Invalid 'tool_choice': function '{name}' not found in 'tools'.", param="tool_choice"
        )


def validate_embeddings(profile: Profile, body: Any) -> ModelCard:
    if not isinstance(body, dict):
        raise errors.invalid("Invalid type for request body: expected an object.")
    check_fields(profile, body, profile.embedding_fields, ("input", "model"))
    card = resolve_model(profile, body, "embedding")
    text = body["input"]
    if isinstance(text, str):
        text = [text]
    if not isinstance(text, list) or not text:
        raise errors.invalid(
            "'$.input' is invalid. Please check the API reference: "
            "https://platform.openai.com/docs/api-reference."
        )
    if body.get("encoding_format", "float") not in ("float", "base64"):
        raise errors.invalid(
            f"Invalid value: '{body['encoding_format']}'. Supported values are: "
            "'float' and 'base64'.",
            param="encoding_format",
            code="invalid_value",
        )
    field = profile.embedding_dimensions_field
    if field and field in body:
        size = body[field]
        if not isinstance(size, int) or size < 1 or size > card.dimensions:
            raise errors.invalid(
                f"Invalid value for '{field}': must be between 1 and {card.dimensions}.",
                param=field,
            )
    return card


def validate_fim(profile: Profile, body: Any) -> ModelCard:
    if not isinstance(body, dict):
        raise errors.invalid("Invalid type for request body: expected an object.")
    check_fields(profile, body, profile.fim_fields, ("prompt", "model"))
    card = resolve_model(profile, body, "chat")
    if not card.fim:
        raise errors.model_not_found(profile, card.id)
    return card
