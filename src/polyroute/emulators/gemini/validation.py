"""Request validation as Google's proto-JSON parser and the Gemini API do it.

Unknown fields fail with ``Invalid JSON payload received. Unknown name "x" at 'a.b[0]':
Cannot find field.`` (paths in proto snake_case). Both the camelCase JSON name and the
snake_case proto name of every field are accepted, as the real parser does (a recorded
request sends ``parameters_json_schema`` and gets 200).
"""

from __future__ import annotations

import re
from typing import Any

from polyroute.emulators.gemini.catalog import GeminiModel
from polyroute.emulators.gemini.errors import bad_json, invalid

ANY = "any"  # google.protobuf.Struct / Value: anything goes
SCALAR = "scalar"
SCHEMA = "schema"  # the OpenAPI-subset Schema message (recursive)
Spec = dict[str, Any]

PART: Spec = {
    "text": SCALAR, "inlineData": {"mimeType": SCALAR, "data": SCALAR},
    "fileData": {"mimeType": SCALAR, "fileUri": SCALAR},
    "functionCall": {"id": SCALAR, "name": SCALAR, "args": ANY},
    "functionResponse": {"id": SCALAR, "name": SCALAR, "response": ANY, "willContinue": SCALAR,
                         "scheduling": SCALAR, "parts": ANY},
    "executableCode": {"language": SCALAR, "code": SCALAR},
    "codeExecutionResult": {"outcome": SCALAR, "output": SCALAR},
    "thought": SCALAR, "thoughtSignature": SCALAR, "partMetadata": ANY,
    "videoMetadata": {"startOffset": SCALAR, "endOffset": SCALAR, "fps": SCALAR},
    "mediaResolution": ANY,
}  # fmt: skip
DATA_FIELDS = ("text", "inlineData", "fileData", "functionCall", "functionResponse",
               "executableCode", "codeExecutionResult")  # fmt: skip
CONTENT: Spec = {"role": SCALAR, "parts": [PART]}
SCHEMA_FIELDS = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
    "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
    "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
})  # fmt: skip
SCHEMA_TYPES = (
    "TYPE_UNSPECIFIED",
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "ARRAY",
    "OBJECT",
    "NULL",
)
GENERATION_CONFIG: Spec = {k: SCALAR for k in (
    "candidateCount", "enableEnhancedCivicAnswers", "frequencyPenalty", "logprobs",
    "maxOutputTokens", "mediaResolution", "presencePenalty", "responseLogprobs",
    "responseMimeType", "responseModalities", "seed", "stopSequences", "temperature", "topK",
    "topP", "enableAffectiveDialog", "audioTimestamp")}  # fmt: skip
GENERATION_CONFIG.update(
    responseSchema=SCHEMA,
    responseJsonSchema=ANY,
    _responseJsonSchema=ANY,
    speechConfig=ANY,
    imageConfig=ANY,
    thinkingConfig={"includeThoughts": SCALAR, "thinkingBudget": SCALAR, "thinkingLevel": SCALAR},
)
FUNCTION_DECLARATION: Spec = {"name": SCALAR, "description": SCALAR, "behavior": SCALAR,
                              "parameters": SCHEMA, "parametersJsonSchema": ANY,
                              "response": SCHEMA, "responseJsonSchema": ANY}  # fmt: skip
TOOL: Spec = {"functionDeclarations": [FUNCTION_DECLARATION], "codeExecution": ANY,
              "googleSearch": ANY, "googleSearchRetrieval": ANY, "urlContext": ANY,
              "fileSearch": ANY, "computerUse": ANY, "googleMaps": ANY}  # fmt: skip
TOOL_CONFIG: Spec = {"functionCallingConfig": {"mode": SCALAR, "allowedFunctionNames": SCALAR},
                     "retrievalConfig": ANY}  # fmt: skip
GENERATE_REQUEST: Spec = {
    "model": SCALAR, "contents": [CONTENT], "systemInstruction": CONTENT, "tools": [TOOL],
    "toolConfig": TOOL_CONFIG, "safetySettings": [{"category": SCALAR, "threshold": SCALAR}],
    "generationConfig": GENERATION_CONFIG, "cachedContent": SCALAR, "labels": ANY,
}  # fmt: skip
EMBED_REQUEST: Spec = {"model": SCALAR, "content": CONTENT, "taskType": SCALAR, "title": SCALAR,
                       "outputDimensionality": SCALAR}  # fmt: skip
BATCH_EMBED: Spec = {"requests": [EMBED_REQUEST]}
COUNT_REQUEST: Spec = {"contents": [CONTENT], "generateContentRequest": GENERATE_REQUEST}
MODES = ("MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED")
MIME_TYPES = (
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
)
CACHE_NAME = re.compile(r"^cachedContents/[a-zA-Z0-9-]+$")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _lookup(spec: Spec, key: str) -> tuple[str, Any] | None:
    if key in spec:
        return key, spec[key]
    return next(((camel, sub) for camel, sub in spec.items() if snake(camel) == key), None)


def normalize(obj: Any, spec: Any, path: str = "") -> Any:
    """Check ``obj`` against ``spec``; return it with every field name in camelCase."""
    if spec in (ANY, SCALAR):
        return obj
    if spec == SCHEMA:
        return _schema(obj, path)
    if isinstance(spec, list):
        if not isinstance(obj, list):
            raise bad_json(path, f"Invalid value at '{path}' (type.googleapis.com/"
                           f"google.protobuf.ListValue), {_short(obj)}")  # fmt: skip
        return [normalize(item, spec[0], f"{path}[{i}]") for i, item in enumerate(obj)]
    if not isinstance(obj, dict):
        raise bad_json(path, f"Invalid value at '{path}', {_short(obj)}")
    out: dict[str, Any] = {}
    for key, value in obj.items():
        found = _lookup(spec, key)
        if found is None:
            where = f" at '{path}'" if path else ""
            raise bad_json(path, f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                           "Cannot find field.")  # fmt: skip
        camel, sub = found
        out[camel] = normalize(value, sub, f"{path}.{snake(camel)}".lstrip("."))
    return out


def _short(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower()


def _schema(obj: Any, path: str) -> Any:
    if not isinstance(obj, dict):
        raise bad_json(path, f"Invalid value at '{path}', {_short(obj)}")
    for key in obj:
        if key not in SCHEMA_FIELDS and snake(key) not in {snake(f) for f in SCHEMA_FIELDS}:
            raise bad_json(path, f'Invalid JSON payload received. Unknown name "{key}" at '
                           f"'{path}': Cannot find field.")  # fmt: skip
    kind = obj.get("type")
    if kind is not None and kind not in SCHEMA_TYPES:
        raise bad_json(f"{path}.type", f"Invalid value at '{path}.type' (type.googleapis.com/"
                       f'google.ai.generativelanguage.v1beta.Type), "{kind}"')  # fmt: skip
    for key, sub in (obj.get("properties") or {}).items():
        _schema(sub, f"{path}.properties[{key}].value")
    if "items" in obj:
        _schema(obj["items"], f"{path}.items")
    return obj


def check_contents(contents: Any, where: str = "GenerateContentRequest") -> None:
    if not contents:
        raise invalid(f"* {where}.contents: contents is not specified\n")
    for i, content in enumerate(contents):
        if content.get("role", "user") not in ("user", "model"):
            raise invalid("Please use a valid role: user, model.")
        check_parts(content.get("parts"), f"{where}.contents[{i}]")


def check_parts(parts: Any, loc: str) -> None:
    if not parts:
        raise invalid(f"* {loc}.parts: contents.parts must not be empty.\n")
    for j, part in enumerate(parts):
        set_fields = [f for f in DATA_FIELDS if f in part]
        if not set_fields and not part.get("thoughtSignature"):
            raise invalid(f"* {loc}.parts[{j}].data: required oneof field 'data' must have one "
                          "initialized field\n")  # fmt: skip
        if len(set_fields) > 1:
            path = f"{loc.split('.', 1)[-1]}.parts[{j}]"
            raise bad_json(path, f"Invalid value at '{path}' (oneof), oneof field 'data' is "
                           f"already set. Cannot set '{snake(set_fields[1])}'")  # fmt: skip
        if "functionCall" in part and not part["functionCall"].get("name"):
            raise invalid(f"* {loc}.parts[{j}].function_call.name: Name cannot be empty.\n")
        if "inlineData" in part and not part["inlineData"].get("mimeType"):
            raise invalid(f"* {loc}.parts[{j}].inline_data.mime_type: Mime type cannot be empty.\n")


def validate_generate(raw: Any, model: GeminiModel) -> dict[str, Any]:
    """Validate a GenerateContentRequest; return it normalized to camelCase."""
    body: dict[str, Any] = normalize(raw if isinstance(raw, dict) else {}, GENERATE_REQUEST)
    check_contents(body.get("contents"))
    if "systemInstruction" in body:
        check_parts(
            body["systemInstruction"].get("parts"), "GenerateContentRequest.system_instruction"
        )
    _check_config(body.get("generationConfig") or {}, model)
    for k, tool in enumerate(body.get("tools") or []):
        for n, decl in enumerate(tool.get("functionDeclarations") or []):
            if not decl.get("name"):
                raise invalid(f"* GenerateContentRequest.tools[{k}].function_declarations[{n}]"
                              ".name: Name cannot be empty.\n")  # fmt: skip
    mode = ((body.get("toolConfig") or {}).get("functionCallingConfig") or {}).get("mode")
    if mode is not None and mode not in MODES:
        path = "tool_config.function_calling_config.mode"
        enum = "google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode"
        raise bad_json(path, f"Invalid value at '{path}' (type.googleapis.com/{enum}), \"{mode}\"")
    cached = body.get("cachedContent")
    if cached is not None:
        if not isinstance(cached, str) or not CACHE_NAME.match(cached):
            raise invalid(f"* GenerateContentRequest.cached_content: unexpected format: {cached}\n")
        if any(k in body for k in ("systemInstruction", "tools", "toolConfig")):
            raise invalid("CachedContent can not be used with GenerateContent request setting "
                          "system_instruction, tools or tool_config.\n\nProposed fix: move those "
                          "values to CachedContent from GenerateContent request.")  # fmt: skip
    return body


def _check_config(config: dict[str, Any], model: GeminiModel) -> None:
    for key, kind in (("temperature", "TYPE_FLOAT"), ("topP", "TYPE_FLOAT"),
                      ("maxOutputTokens", "TYPE_INT32"), ("topK", "TYPE_INT32")):  # fmt: skip
        value = config.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            path = f"generation_config.{snake(key)}"
            raise bad_json(path, f"Invalid value at '{path}' ({kind}), {_short(value)}")
    mime = config.get("responseMimeType")
    if mime is not None and mime not in MIME_TYPES:
        raise invalid("* GenerateContentRequest.generation_config.response_mime_type: allowed "
                      "mimetypes are `text/plain`, `application/json`, `application/xml`, "
                      "`application/yaml` and `text/x.enum`.\n")  # fmt: skip
    if (
        "responseSchema" in config or "responseJsonSchema" in config
    ) and mime != "application/json":
        raise invalid("* GenerateContentRequest.generation_config.response_mime_type: "
                      "response_mime_type must be one of the following: [application/json, "
                      "text/x.enum] when response_schema is set.\n")  # fmt: skip
    limit = config.get("maxOutputTokens")
    if isinstance(limit, int) and limit > model.output_limit:
        raise invalid(f"The requested max_output_tokens {limit} exceeds the model's limit of "
                      f"{model.output_limit + 1} (exclusive).")  # fmt: skip
    thinking = config.get("thinkingConfig") or {}
    if thinking and not model.thinking:
        raise invalid("Thinking is not supported for this model.")
    if thinking.get("thinkingBudget") == 0 and model.thinking_required:
        raise invalid("Budget 0 is invalid. This model only works in thinking mode.")
