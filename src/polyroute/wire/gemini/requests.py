"""Canonical ``ChatRequest`` to Gemini's ``GenerateContentRequest``.

Decisions, from the v1beta spec and recorded exchanges:

* Tool parameters go in ``parametersJsonSchema`` (full JSON Schema), not ``parameters``
  (an OpenAPI 3.0 subset that rejects keywords clients send, such as
  ``additionalProperties``); the two are mutually exclusive, and the recorded Gemini 3
  exchange sends ``parameters_json_schema`` with ``additionalProperties: false``.
* Structured output uses ``responseJsonSchema`` for the same reason (``responseSchema`` is
  marked deprecated), with ``responseMimeType: application/json``.
* ``reasoning_effort`` becomes ``thinkingConfig.thinkingBudget`` (see ``THINKING_BUDGETS``),
  the budgets Google's own OpenAI-compatible endpoint uses. ``thinkingLevel`` would suit
  Gemini 3 better but is rejected by earlier models, while a budget works on both.
  ``includeThoughts`` is set so the thought summaries reach the client as reasoning.
* ``tool_choice``: auto → AUTO, none → NONE, required → ANY, a named tool → ANY limited to
  it by ``allowedFunctionNames``.
* ``extra`` fields are forwarded only when ``GenerateContentRequest`` has them and the
  canonical request does not already own them (``EXTRA_FIELDS``); snake_case spellings are
  accepted, except ``service_tier``, whose OpenAI values (``auto``, ``default``) Gemini's
  enum rejects. Everything else is dropped (the API rejects unknown names) and reported by the
  adapter's ``unsupported_params``.
"""

from __future__ import annotations

from typing import Any

from polyroute.canonical import ChatRequest, ResponseFormat, ToolChoice, ToolSpec
from polyroute.errors import InvalidRequest
from polyroute.wire.gemini.contents import encode_contents

REQUEST_FIELDS = frozenset(
    {
        "contents",
        "systemInstruction",
        "generationConfig",
        "tools",
        "toolConfig",
        "safetySettings",
        "cachedContent",
        "store",
        "serviceTier",
    }
)
"""``GenerateContentRequest``'s body fields (``model`` travels in the URL)."""

EXTRA_FIELDS: dict[str, str] = {
    "safetySettings": "safetySettings",
    "safety_settings": "safetySettings",
    "cachedContent": "cachedContent",
    "cached_content": "cachedContent",
    "store": "store",
    "serviceTier": "serviceTier",
}
"""Client ``extra`` keys forwarded, and the request field each one fills."""

THINKING_BUDGETS: dict[str, int] = {
    "none": 0,  # thinking off; models that cannot turn it off (2.5 Pro) reject it
    "minimal": 512,  # the smallest budget every 2.5 model accepts (Flash-Lite's minimum)
    "low": 1024,
    "medium": 8192,
    "high": 24576,
}

_TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}


def encode_generate_request(req: ChatRequest, model: str) -> dict[str, Any]:
    """The ``generateContent`` body for ``req`` (``model`` goes in the URL, not here)."""
    contents, system = encode_contents(req.messages)
    body: dict[str, Any] = {"contents": contents}
    if system is not None:
        body["systemInstruction"] = system
    config = generation_config(req)
    if config:
        body["generationConfig"] = config
    if req.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(t) for t in req.tools]}]
        if req.tool_choice is not None:
            body["toolConfig"] = {"functionCallingConfig": _calling_config(req.tool_choice)}
    for key, value in req.extra.items():
        field = EXTRA_FIELDS.get(key)
        if field is not None:
            body[field] = value
    return body


def model_resource(model: str) -> str:
    """``models/<id>`` for a bare id; a name that already has a collection
    (``tunedModels/…``, ``models/…``) is kept."""
    return model if "/" in model else f"models/{model}"


def forwarded_extra(req: ChatRequest) -> set[str]:
    return {key for key in req.extra if key in EXTRA_FIELDS}


def generation_config(req: ChatRequest) -> dict[str, Any]:
    values: dict[str, Any] = {
        "temperature": req.temperature,
        "topP": req.top_p,
        "topK": req.top_k,
        "maxOutputTokens": req.max_tokens,
        "stopSequences": req.stop or None,
        "candidateCount": req.n,
        "seed": req.seed,
        "presencePenalty": req.presence_penalty,
        "frequencyPenalty": req.frequency_penalty,
    }
    config = {key: value for key, value in values.items() if value is not None}
    if req.logprobs:
        config["responseLogprobs"] = True
        if req.top_logprobs is not None:
            config["logprobs"] = req.top_logprobs
    if req.response_format is not None:
        config.update(_response_format(req.response_format))
    if req.reasoning_effort is not None:
        config["thinkingConfig"] = thinking_config(req.reasoning_effort)
    return config


def thinking_config(effort: str) -> dict[str, Any]:
    budget = THINKING_BUDGETS.get(effort)
    if budget is None:
        allowed = ", ".join(f"'{name}'" for name in THINKING_BUDGETS)
        raise InvalidRequest(
            f"Invalid 'reasoning_effort': '{effort}' is not one of {allowed}.",
            param="reasoning_effort",
        )
    if budget == 0:
        return {"thinkingBudget": 0}
    return {"thinkingBudget": budget, "includeThoughts": True}


def _response_format(fmt: ResponseFormat) -> dict[str, Any]:
    if fmt.type == "json_object":
        return {"responseMimeType": "application/json"}
    if fmt.type == "json_schema":
        out: dict[str, Any] = {"responseMimeType": "application/json"}
        if fmt.schema is not None:
            out["responseJsonSchema"] = fmt.schema
        return out
    return {}


def _declaration(tool: ToolSpec) -> dict[str, Any]:
    # ``description`` is required by the spec; Google's SDK sends "" when there is none.
    out: dict[str, Any] = {"name": tool.name, "description": tool.description or ""}
    if tool.parameters is not None:
        out["parametersJsonSchema"] = tool.parameters
    return out


def _calling_config(choice: ToolChoice) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": _TOOL_MODES[choice.mode]}
    if choice.mode == "tool" and choice.name:
        out["allowedFunctionNames"] = [choice.name]
    return out
